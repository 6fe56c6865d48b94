"""Login, logout, /me/, /agencies/ and websocket tickets (API.md "Accounts")."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from ooh.accounts.actions import redeem_ws_ticket
from ooh.accounts.models import TokenDevice, WebsocketTicket
from ooh.audit.models import AccessLog
from tests.factories import DEFAULT_PASSWORD
from tests.personas import client_for

TOKEN_URL = "/api/v1/auth/token/"


def login(client, username="alice", password=DEFAULT_PASSWORD, device_name="Alice's phone", **extra):
    return client.post(
        TOKEN_URL, {"username": username, "password": password, "device_name": device_name}, **extra
    )


@pytest.mark.django_db
class TestLogin:
    def test_login_returns_a_device_token_and_the_user(self, api_client, alice, police):
        response = login(api_client)
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"token", "expiry", "user"}
        assert body["user"] == {
            "id": str(alice.id),
            "username": "alice",
            "display_name": alice.display_name,
            "role": "call_handler",
            "agency": {"id": str(police.id), "code": "police", "name": "Police control", "kind": "police"},
        }
        token_row = AuthToken.objects.get(user=alice)
        assert body["token"] not in token_row.digest, "only the hash is stored"
        assert TokenDevice.objects.get(token=token_row).device_name == "Alice's phone"

    def test_token_expires_after_twelve_hours_by_default(self, api_client, alice):
        before = timezone.now()
        login(api_client)
        expiry = AuthToken.objects.get(user=alice).expiry
        assert timedelta(hours=11, minutes=59) < expiry - before <= timedelta(hours=12, seconds=5)

    def test_token_authenticates_me(self, api_client, alice):
        token = login(api_client).json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api_client.get("/api/v1/me/")
        assert response.status_code == 200
        assert response.json()["username"] == "alice"
        assert response.json()["role"] == "call_handler"

    def test_each_device_gets_its_own_token(self, api_client, alice):
        first = login(api_client, device_name="phone").json()["token"]
        second = login(api_client, device_name="tablet").json()["token"]
        assert first != second
        assert sorted(TokenDevice.objects.values_list("device_name", flat=True)) == ["phone", "tablet"]

    def test_wrong_password_is_401_in_the_error_shape_and_audited(self, api_client, alice):
        response = login(api_client, password="not-the-password")
        assert response.status_code == 401
        assert response.json()["type"] == "client_error"
        assert response.json()["errors"][0]["code"] == "authentication_failed"
        assert not AuthToken.objects.exists()
        failed = AccessLog.objects.get(action="login_failed")
        assert failed.username == "alice"
        assert failed.user is None
        assert failed.request_id == response["X-Request-ID"]

    def test_unknown_user_is_401_and_audited(self, api_client, db):
        assert login(api_client, username="mallory").status_code == 401
        assert AccessLog.objects.filter(action="login_failed", username="mallory").count() == 1

    def test_user_without_agency_cannot_log_in(self, api_client, nobody):
        assert login(api_client, username="nobody").status_code == 401

    def test_inactive_user_cannot_log_in(self, api_client, alice):
        alice.is_active = False
        alice.save()
        assert login(api_client).status_code == 401

    def test_missing_field_is_400_naming_it_and_writes_nothing(self, api_client, alice):
        response = api_client.post(TOKEN_URL, {"username": "alice", "password": DEFAULT_PASSWORD})
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "validation_error"
        assert body["errors"] == [
            {"code": "required", "detail": "This field is required.", "attr": "device_name"}
        ]
        assert not AuthToken.objects.exists()
        assert not AccessLog.objects.exists()

    def test_malformed_json_is_400_in_the_error_shape(self, api_client, alice):
        response = api_client.post(TOKEN_URL, data='{"username": "alice",', content_type="application/json")
        assert response.status_code == 400
        assert response.json()["type"] == "client_error"
        assert response.json()["errors"][0]["code"] == "parse_error"
        assert not AuthToken.objects.exists()

    def test_form_encoded_body_is_refused_with_415(self, api_client, alice):
        response = api_client.post(
            TOKEN_URL, data="username=alice", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 415
        assert response.json()["errors"][0]["code"] == "unsupported_media_type"


@pytest.mark.django_db
class TestLoginThrottle:
    def test_repeated_attempts_on_one_username_are_throttled(self, api_client, alice):
        rates = {"login_ip": "1000/min", "login_username": "3/min"}
        with _rates(rates):
            codes = [
                login(api_client, password="wrong", REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(4)
            ]
        assert codes == [401, 401, 401, 429]
        # the throttle is per username: another user from the same addresses may still log in
        with _rates(rates):
            assert login(api_client, username="alice2", REMOTE_ADDR="10.0.0.9").status_code == 401

    def test_repeated_attempts_from_one_ip_are_throttled(self, api_client, alice):
        with _rates({"login_ip": "3/min", "login_username": "1000/min"}):
            codes = [
                login(api_client, username=f"u{i}", password="x", REMOTE_ADDR="10.1.1.1").status_code
                for i in range(4)
            ]
            assert codes == [401, 401, 401, 429]
            # the right password from the throttled address is still refused until the window passes
            assert login(api_client, REMOTE_ADDR="10.1.1.1").status_code == 429
            assert login(api_client, REMOTE_ADDR="10.1.1.2").status_code == 201

    def test_throttled_response_uses_the_error_shape(self, api_client, alice):
        with _rates({"login_ip": "1/min", "login_username": "1000/min"}):
            login(api_client, password="x")
            response = login(api_client, password="x")
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "throttled"

    def test_successful_logins_never_spend_the_username_budget(self, api_client, alice):
        """An officer logging in on several phones, or anyone logging in as her, never locks her out."""
        with _rates({"login_ip": "1000/min", "login_username": "3/min"}):
            phones = [login(api_client, device_name=f"phone {i}").status_code for i in range(6)]
            failures = [login(api_client, password="wrong").status_code for _ in range(4)]
        assert phones == [201] * 6
        assert failures == [401, 401, 401, 429]
        # every failed attempt that was tried is on the record; the refused one was never tried
        assert AccessLog.objects.filter(action="login_failed", username="alice").count() == 3

    def test_each_429_says_when_to_try_again(self, api_client, alice):
        from unittest import mock

        from rest_framework.throttling import SimpleRateThrottle

        now = [1_000_000.0]
        with (
            mock.patch.object(SimpleRateThrottle, "timer", new=lambda self: now[0]),  # noqa: PT008
            _rates({"login_ip": "2/min", "login_username": "2/min"}),
        ):
            login(api_client, password="wrong", REMOTE_ADDR="10.2.0.1")
            now[0] += 15
            login(api_client, password="wrong", REMOTE_ADDR="10.2.0.2")
            by_username = login(api_client, REMOTE_ADDR="10.2.0.3")
            login(api_client, username="u1", password="x", REMOTE_ADDR="10.2.0.4")
            login(api_client, username="u2", password="x", REMOTE_ADDR="10.2.0.4")
            now[0] += 5
            by_address = login(api_client, username="u3", password="x", REMOTE_ADDR="10.2.0.4")
        assert (by_username.status_code, by_username["Retry-After"]) == (429, "45")
        assert (by_address.status_code, by_address["Retry-After"]) == (429, "55")
        assert by_address.json()["errors"][0]["code"] == "throttled"

    def test_a_failed_login_still_answers_401_when_the_cache_is_down(self, api_client, alice, monkeypatch):
        from django.core.cache import cache

        def down(*args, **kwargs):
            raise ConnectionError("cache down")

        monkeypatch.setattr(cache, "get", down)
        monkeypatch.setattr(cache, "set", down)
        assert login(api_client, password="wrong").status_code == 401
        assert AccessLog.objects.filter(action="login_failed").count() == 1


def _rates(rates):
    from unittest import mock

    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    return mock.patch.object(
        SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, **rates}
    )


@pytest.mark.django_db
class TestLogout:
    def test_logout_revokes_only_this_token(self, alice):
        phone, tablet = client_for(alice, "phone"), client_for(alice, "tablet")
        assert phone.post("/api/v1/auth/logout/").status_code == 204
        assert phone.get("/api/v1/me/").status_code == 401
        assert tablet.get("/api/v1/me/").status_code == 200

    def test_logout_all_revokes_every_token_of_the_user(self, alice, bob):
        phone, tablet, other = client_for(alice, "phone"), client_for(alice, "tablet"), client_for(bob)
        assert phone.post("/api/v1/auth/logout-all/").status_code == 204
        assert phone.get("/api/v1/me/").status_code == 401
        assert tablet.get("/api/v1/me/").status_code == 401
        assert other.get("/api/v1/me/").status_code == 200
        logout = AccessLog.objects.get(action="logout", user=alice)
        assert logout.detail == {"revoked": 2}  # two devices, not their device rows counted too

    def test_expired_token_is_refused(self, alice):
        client = client_for(alice)
        AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(seconds=1))
        assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
class TestMeAndAgencies:
    def test_me_requires_membership(self, nobody):
        response = client_for(nobody).get("/api/v1/me/")
        assert response.status_code == 403
        assert "agency membership" in response.json()["errors"][0]["detail"]

    def test_agencies_are_listed_with_their_out_of_hours_phone(self, alice_client, police, ambulance):
        response = alice_client.get("/api/v1/agencies/")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        assert [a["code"] for a in body["results"]] == ["ambulance", "police"]
        assert body["results"][1] == {
            "id": str(police.id),
            "code": "police",
            "name": "Police control",
            "kind": "police",
            "out_of_hours_phone": "01632 960000",
        }


@pytest.mark.django_db
class TestWebsocketTicket:
    def test_ticket_is_single_use(self, alice_client, alice):
        response = alice_client.post("/api/v1/ws-ticket/")
        assert response.status_code == 201
        body = response.json()
        assert body["expires_in"] == 30
        assert not WebsocketTicket.objects.filter(digest=body["ticket"]).exists(), "only the digest is stored"
        assert redeem_ws_ticket(ticket=body["ticket"]).user == alice
        assert redeem_ws_ticket(ticket=body["ticket"]) is None

    def test_ticket_expires_after_thirty_seconds(self, alice_client):
        ticket = alice_client.post("/api/v1/ws-ticket/").json()["ticket"]
        assert redeem_ws_ticket(ticket=ticket, now=timezone.now() + timedelta(seconds=31)) is None

    def test_unknown_ticket_is_refused(self, db):
        assert redeem_ws_ticket(ticket="made-up") is None


def test_login_still_works_when_the_throttle_cache_is_down(api_client, alice, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    response = api_client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": DEFAULT_PASSWORD, "device_name": "phone"},
        format="json",
    )
    assert response.status_code == 201
