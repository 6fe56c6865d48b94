"""The board's browser session (ooh/accounts/browser.py, BrowserSessionAuthentication, BrowserLoginView)
and its pages, driven by Django's test client with CSRF enforced as a browser's would be.

The session is one of the user's devices: a login token whose text nobody keeps, found by its digest.
"""

import json
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from board.views import CONTENT_SECURITY_POLICY
from ooh.accounts import browser as browser_sessions
from ooh.accounts.actions import issue_token
from ooh.accounts.browser import DEVICE_NAME, SESSION_KEY
from ooh.audit.models import AccessLog
from tests.factories import DEFAULT_PASSWORD
from tests.personas import browser_for, client_for
from tests.vale_world import open_vale_incident

pytestmark = pytest.mark.django_db

SIGN_IN = "/api/v1/auth/browser-login/"


def signed_out_browser():
    """A browser that has opened the sign-in page, so it holds the CSRF cookie and nothing else."""
    browser = Client(enforce_csrf_checks=True)
    response = browser.get("/board/sign-in/")
    assert response.status_code == 200
    assert settings.CSRF_COOKIE_NAME in browser.cookies
    return browser


def csrf(browser):
    """The header a page's script sends: the CSRF cookie's value (the page sets the cookie)."""
    if settings.CSRF_COOKIE_NAME not in browser.cookies:
        assert browser.get("/board/sign-in/").status_code in (200, 302)
    return {"HTTP_X_CSRFTOKEN": browser.cookies[settings.CSRF_COOKIE_NAME].value}


def sign_in(browser, username, password=DEFAULT_PASSWORD, *, with_csrf=True, **extra):
    headers = {**(csrf(browser) if with_csrf else {}), **extra}
    body = json.dumps({"username": username, "password": password})
    return browser.post(SIGN_IN, body, content_type="application/json", **headers)


def post(browser, path, **headers):
    """A POST without a body, as the board's script sends one (api.js)."""
    return browser.post(path, content_type="application/json", **headers)


def session_key(browser):
    morsel = browser.cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None and morsel.value else None


def board_tokens(user):
    return AuthToken.objects.filter(user=user, device__device_name=DEVICE_NAME)


@contextmanager
def kept_token_texts():
    """The text of every token the browser sign-in issues (so a test can look for it where it must not be)."""
    texts = []
    real = browser_sessions.issue_token

    def spy(**kwargs):
        instance, text = real(**kwargs)
        texts.append(text)
        return instance, text

    with mock.patch.object(browser_sessions, "issue_token", side_effect=spy):
        yield texts


@contextmanager
def login_rates(rates):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    with mock.patch.object(
        SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, **rates}
    ):
        yield


class TestSignIn:
    def test_without_a_csrf_token_it_is_refused_and_writes_nothing(self, pat):
        browser = signed_out_browser()
        response = sign_in(browser, "pat", with_csrf=False)
        assert response.status_code == 403
        body = response.json()
        assert body["type"] == "client_error"
        assert body["errors"][0]["code"] == "permission_denied"
        assert "CSRF" in body["errors"][0]["detail"]
        assert not AuthToken.objects.exists()
        assert not Session.objects.exists()
        assert session_key(browser) is None
        assert not AccessLog.objects.filter(action__in=["login", "login_failed"]).exists()

    def test_a_csrf_header_that_does_not_match_the_cookie_is_refused(self, pat):
        browser = signed_out_browser()
        response = sign_in(browser, "pat", HTTP_X_CSRFTOKEN="a" * 32)
        assert response.status_code == 403
        assert not AuthToken.objects.exists()
        assert not Session.objects.exists()

    def test_a_sign_in_sets_an_httponly_session_holding_only_the_tokens_digest(self, pat):
        browser = signed_out_browser()
        with kept_token_texts() as texts:
            response = sign_in(browser, "pat")
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"expiry", "user"}
        assert body["user"]["username"] == "pat"
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie.value
        assert cookie["httponly"] is True
        token = board_tokens(pat).get()
        [text] = texts
        session = Session.objects.get(session_key=cookie.value)
        assert session.get_decoded()[SESSION_KEY] == token.digest
        assert all(text not in str(value) for value in session.get_decoded().values())
        assert text not in session.session_data
        assert text not in response.content.decode()
        assert all(text not in morsel.value for morsel in response.cookies.values())
        login = AccessLog.objects.get(action="login", user=pat)
        assert login.detail == {"device_name": DEVICE_NAME}

    def test_the_session_id_changes_at_sign_in(self, pat):
        browser = signed_out_browser()
        planted = browser.session  # a session id someone else may know, before the sign-in
        planted["planted"] = True
        planted.save()
        browser.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
        assert sign_in(browser, "pat").status_code == 201
        assert session_key(browser) not in (None, planted.session_key)
        assert not Session.objects.filter(session_key=planted.session_key).exists()
        assert browser.get("/api/v1/me/").status_code == 200

    def test_the_csrf_secret_changes_at_sign_in(self, pat):
        browser = signed_out_browser()
        before = csrf(browser)
        assert sign_in(browser, "pat").status_code == 201
        after = csrf(browser)
        assert before != after
        assert post(browser, "/api/v1/ws-ticket/", **before).status_code == 403
        assert post(browser, "/api/v1/ws-ticket/", **after).status_code == 201

    def test_a_wrong_password_is_401_audited_and_opens_no_session(self, pat):
        browser = signed_out_browser()
        response = sign_in(browser, "pat", password="not-the-password")
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "authentication_failed"
        failed = AccessLog.objects.get(action="login_failed")
        assert (failed.username, failed.user, failed.detail) == ("pat", None, {"device_name": DEVICE_NAME})
        assert not AuthToken.objects.exists()
        assert not Session.objects.exists()
        assert browser.get("/board/").status_code == 302

    def test_a_user_without_membership_is_401(self, nobody):
        browser = signed_out_browser()
        assert sign_in(browser, "nobody").status_code == 401
        assert AccessLog.objects.filter(action="login_failed", username="nobody").count() == 1
        assert not AuthToken.objects.exists()
        assert not Session.objects.exists()

    def test_a_user_at_the_token_limit_is_refused_and_gets_no_session(self, pat, settings):
        client_for(pat)
        settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 1}
        response = sign_in(signed_out_browser(), "pat")
        assert response.status_code == 403
        assert not board_tokens(pat).exists()
        assert not Session.objects.exists()

    def test_failed_attempts_on_one_username_are_throttled_with_the_token_sign_ins(self, pat):
        """One budget per username, whichever door the attempts come through."""
        with login_rates({"login_ip": "1000/min", "login_username": "3/min"}):
            phone = Client()
            for i in range(2):
                body = {"username": "pat", "password": "wrong", "device_name": "phone"}
                response = phone.post(
                    "/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR=f"10.0.0.{i}"
                )
                assert response.status_code == 401
            browser = signed_out_browser()
            third = sign_in(browser, "pat", password="wrong", REMOTE_ADDR="10.0.0.7")
            fourth = sign_in(browser, "pat", REMOTE_ADDR="10.0.0.8")  # even the right password
        assert (third.status_code, fourth.status_code) == (401, 429)
        assert fourth.json()["errors"][0]["code"] == "throttled"
        assert int(fourth["Retry-After"]) >= 1
        assert not AuthToken.objects.exists()
        assert not Session.objects.exists()

    def test_attempts_from_one_address_are_throttled(self, pat):
        with login_rates({"login_ip": "2/min", "login_username": "1000/min"}):
            browser = signed_out_browser()
            codes = [
                sign_in(browser, f"u{i}", password="x", REMOTE_ADDR="10.1.1.1").status_code for i in range(2)
            ]
            refused = sign_in(browser, "pat", REMOTE_ADDR="10.1.1.1")
            elsewhere = sign_in(browser, "pat", REMOTE_ADDR="10.1.1.2")
        assert codes == [401, 401]
        assert refused.status_code == 429
        assert elsewhere.status_code == 201

    def test_a_second_sign_in_in_the_same_browser_signs_the_first_out(self, pat, hale):
        browser = signed_out_browser()
        assert sign_in(browser, "pat").status_code == 201
        assert sign_in(browser, "hale").status_code == 201
        assert not board_tokens(pat).exists()
        assert board_tokens(hale).count() == 1
        assert browser.get("/api/v1/me/").json()["username"] == "hale"


class TestSignedInBrowser:
    def test_me_says_whether_the_user_is_a_control_room(self, pat, hale):
        supervisor = browser_for(pat).get("/api/v1/me/")
        responder = browser_for(hale).get("/api/v1/me/")
        assert (supervisor.status_code, responder.status_code) == (200, 200)
        assert (supervisor.json()["username"], supervisor.json()["control_room"]) == ("pat", True)
        assert (responder.json()["username"], responder.json()["control_room"]) == ("hale", False)

    def test_a_write_needs_the_csrf_header(self, pat):
        browser = browser_for(pat)
        headers = csrf(browser)
        refused = post(browser, "/api/v1/ws-ticket/")
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["code"] == "permission_denied"
        assert post(browser, "/api/v1/ws-ticket/", **headers).status_code == 201

    def test_the_session_is_listed_with_the_users_devices(self, pat):
        client_for(pat, "pat's phone")
        browser = browser_for(pat)
        listed = browser.get("/api/v1/auth/sessions/").json()["results"]
        assert sorted((s["device_name"], s["current"]) for s in listed) == [
            (DEVICE_NAME, True),
            ("pat's phone", False),
        ]

    def test_signing_the_session_out_from_a_phone_ends_it(self, pat):
        browser, phone = browser_for(pat), client_for(pat, "pat's phone")
        assert browser.get("/api/v1/me/").status_code == 200
        [board] = [s for s in phone.get("/api/v1/auth/sessions/").json()["results"] if not s["current"]]
        assert board["device_name"] == DEVICE_NAME
        assert phone.delete(f"/api/v1/auth/sessions/{board['id']}/").status_code == 204
        assert browser.get("/api/v1/me/").status_code == 401
        assert browser.get("/board/").status_code == 302
        assert phone.get("/api/v1/me/").status_code == 200

    def test_logout_revokes_the_token_and_flushes_the_session(self, pat):
        browser = browser_for(pat)
        phone = client_for(pat, "pat's phone")
        key, token = session_key(browser), board_tokens(pat).get()
        assert post(browser, "/api/v1/auth/logout/").status_code == 403  # no CSRF header: nothing ends
        assert board_tokens(pat).exists()
        assert post(browser, "/api/v1/auth/logout/", **csrf(browser)).status_code == 204
        assert not AuthToken.objects.filter(digest=token.digest).exists()
        assert not Session.objects.filter(session_key=key).exists()
        assert browser.get("/board/").status_code == 302
        assert browser.get("/api/v1/me/").status_code == 401
        assert phone.get("/api/v1/me/").status_code == 200  # only this device
        assert AccessLog.objects.filter(action="logout", user=pat).count() == 1

    def test_logout_all_from_the_browser_ends_every_device_and_the_session(self, pat):
        browser = browser_for(pat)
        phone = client_for(pat, "pat's phone")
        key = session_key(browser)
        assert post(browser, "/api/v1/auth/logout-all/", **csrf(browser)).status_code == 204
        assert not AuthToken.objects.filter(user=pat).exists()
        assert not Session.objects.filter(session_key=key).exists()
        assert browser.get("/board/").status_code == 302
        assert phone.get("/api/v1/me/").status_code == 401

    def test_an_expired_token_ends_the_session(self, pat):
        browser = browser_for(pat)
        assert browser.get("/board/").status_code == 200
        board_tokens(pat).update(expiry=timezone.now() - timedelta(seconds=1))
        assert browser.get("/api/v1/me/").status_code == 401
        assert browser.get("/board/").status_code == 302

    def test_a_deactivated_user_is_signed_out(self, pat):
        browser = browser_for(pat)
        pat.is_active = False
        pat.save()
        assert browser.get("/api/v1/me/").status_code == 401
        assert browser.get("/board/").status_code == 302

    def test_the_admins_django_login_does_not_reach_the_api_or_the_board(self, pam):
        admin = Client(enforce_csrf_checks=True)
        admin.force_login(pam)
        assert admin.get("/admin/").status_code == 200
        assert admin.get("/api/v1/me/").status_code == 401
        assert admin.get("/board/").status_code == 302


class TestTokenHeaderWins:
    def test_a_phone_token_works_unchanged_beside_a_board_session(self, pat, hale):
        browser = browser_for(pat)
        _, token = issue_token(user=hale, device_name="hale's phone")
        header = {"HTTP_AUTHORIZATION": f"Token {token}"}
        assert browser.get("/api/v1/me/", **header).json()["username"] == "hale"
        assert post(browser, "/api/v1/ws-ticket/", **header).status_code == 201  # a token needs no CSRF

    def test_a_bad_token_header_is_401_even_with_a_board_session(self, pat):
        browser = browser_for(pat)
        assert browser.get("/api/v1/me/").status_code == 200
        response = browser.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "0" * 64)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


class TestPages:
    @pytest.mark.parametrize("path", ["/board/", "/board/incidents/{incident}/"])
    def test_anyone_not_signed_in_is_sent_to_sign_in(self, world, path):
        path = path.format(incident=open_vale_incident(world).pk)
        response = browser_for(None).get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/board/sign-in/?next={quote(path, safe='')}"
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize("path", ["/board/", "/board/incidents/{incident}/"])
    def test_a_member_gets_a_shell_with_no_record_in_it(self, world, path):
        incident = open_vale_incident(world)
        path = path.format(incident=incident.pk)
        response = browser_for(world.pat).get(path)
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert "<main" in html
        for record in ("Vale", "Kerry", "Larch Close", "NE3 2QX", str(world.kerry.pk)):
            assert record not in html

    @pytest.mark.parametrize(
        "wanted",
        ["https://evil.example/", "//evil.example/", "/api/v1/", "/\\evil.example/", "https://testserver/"],
    )
    def test_a_signed_in_member_is_never_sent_off_the_board(self, pat, wanted):
        response = browser_for(pat).get("/board/sign-in/", {"next": wanted})
        assert response.status_code == 302
        assert response["Location"] == "/board/"

    def test_a_signed_in_member_goes_on_to_the_page_asked_for(self, world):
        wanted = f"/board/incidents/{open_vale_incident(world).pk}/"
        response = browser_for(world.pat).get("/board/sign-in/", {"next": wanted})
        assert (response.status_code, response["Location"]) == (302, wanted)

    def test_the_sign_in_page_is_served_to_anyone_with_the_csrf_cookie(self, db):
        response = browser_for(None).get("/board/sign-in/", {"next": "/board/"})
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "no-store" in response["Cache-Control"]
        assert settings.CSRF_COOKIE_NAME in response.cookies
