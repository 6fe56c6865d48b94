"""Sessions: one login token per device, at most OOH_TOKENS_PER_USER of them, each listed and revocable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from ooh.audit.models import AccessLog
from tests.factories import DEFAULT_PASSWORD
from tests.personas import client_for

TOKEN_URL = "/api/v1/auth/token/"
SESSIONS_URL = "/api/v1/auth/sessions/"


def login(client, device_name, username="alice"):
    return client.post(
        TOKEN_URL, {"username": username, "password": DEFAULT_PASSWORD, "device_name": device_name}
    )


@pytest.fixture
def two_tokens_each(settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}


def _sessions(client):
    response = client.get(SESSIONS_URL)
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.django_db
class TestTokenLimit:
    def test_a_user_at_the_token_limit_gets_no_new_token(self, api_client, alice, two_tokens_each):
        assert [login(api_client, d).status_code for d in ("phone", "tablet")] == [201, 201]
        response = login(api_client, "laptop")
        assert response.status_code == 403
        body = response.json()
        assert body["type"] == "client_error"
        [error] = body["errors"]
        assert error["code"] == "token_limit_reached"
        assert "2 devices" in error["detail"]
        assert "Sign out on a device you no longer use" in error["detail"]
        assert "agency admin" in error["detail"]
        assert AuthToken.objects.filter(user=alice).count() == 2

    def test_the_limit_is_per_user(self, api_client, alice, bob, two_tokens_each):
        login(api_client, "phone")
        login(api_client, "tablet")
        assert login(api_client, "phone", username="bob").status_code == 201

    def test_expired_tokens_go_first_and_do_not_count(self, api_client, alice, two_tokens_each):
        login(api_client, "phone")
        login(api_client, "tablet")
        AuthToken.objects.filter(user=alice, device__device_name="phone").update(
            expiry=timezone.now() - timedelta(seconds=1)
        )
        assert login(api_client, "laptop").status_code == 201
        assert sorted(AuthToken.objects.filter(user=alice).values_list("device__device_name", flat=True)) == [
            "laptop",
            "tablet",
        ]

    def test_signing_out_an_old_device_makes_room(self, api_client, alice, two_tokens_each):
        old = client_for(alice, "old phone")
        client_for(alice, "tablet")
        assert login(api_client, "new phone").status_code == 403
        old_id = next(s["id"] for s in _sessions(old) if s["device_name"] == "old phone")
        assert old.delete(f"{SESSIONS_URL}{old_id}/").status_code == 204
        assert login(api_client, "new phone").status_code == 201


@pytest.mark.django_db
class TestSessions:
    def test_the_caller_sees_its_own_devices_and_which_one_is_this(self, alice, bob):
        phone, tablet = client_for(alice, "phone"), client_for(alice, "tablet")
        client_for(bob, "bob's phone")
        sessions = _sessions(phone)
        assert [s["device_name"] for s in sessions] == ["tablet", "phone"]  # newest first
        assert [s["current"] for s in sessions] == [False, True]
        assert set(sessions[0]) == {"id", "device_name", "created", "expiry", "current"}
        keys = dict(AuthToken.objects.filter(user=alice).values_list("device__device_name", "token_key"))
        assert {s["device_name"]: s["id"] for s in sessions} == keys
        assert [s["current"] for s in _sessions(tablet)] == [True, False]

    def test_an_expired_session_is_not_listed(self, alice):
        phone = client_for(alice, "phone")
        client_for(alice, "old tablet")
        AuthToken.objects.filter(device__device_name="old tablet").update(
            expiry=timezone.now() - timedelta(seconds=1)
        )
        assert [s["device_name"] for s in _sessions(phone)] == ["phone"]

    def test_revoking_a_session_signs_out_that_device_only(self, alice):
        phone, tablet = client_for(alice, "phone"), client_for(alice, "tablet")
        tablet_id = next(s["id"] for s in _sessions(phone) if s["device_name"] == "tablet")
        assert phone.delete(f"{SESSIONS_URL}{tablet_id}/").status_code == 204
        assert tablet.get("/api/v1/me/").status_code == 401
        assert phone.get("/api/v1/me/").status_code == 200
        assert [s["device_name"] for s in _sessions(phone)] == ["phone"]
        revoked = AccessLog.objects.get(action="logout", object_type="session")
        assert (revoked.user, revoked.detail) == (alice, {"session": tablet_id})

    def test_revoking_this_session_signs_this_device_out(self, alice):
        phone = client_for(alice, "phone")
        [this] = _sessions(phone)
        assert phone.delete(f"{SESSIONS_URL}{this['id']}/").status_code == 204
        assert phone.get("/api/v1/me/").status_code == 401

    def test_another_users_session_is_not_found_and_stays(self, alice, bob):
        bob_client = client_for(bob, "bob's phone")
        [bobs] = _sessions(bob_client)
        response = client_for(alice).delete(f"{SESSIONS_URL}{bobs['id']}/")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"
        assert bob_client.get("/api/v1/me/").status_code == 200

    def test_an_unknown_session_is_not_found(self, alice_client):
        assert alice_client.delete(f"{SESSIONS_URL}not-a-session/").status_code == 404
