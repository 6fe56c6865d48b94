"""The Django admin's login is throttled and audited."""

import pytest

from ooh.admin_site import FailedAdminLogins
from ooh.audit.models import AccessAction
from tests.factories import DEFAULT_PASSWORD

from .pages import audit_rows, log_in, signed_in


@pytest.fixture
def login_rates(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "login_ip": "5/min", "login_username": "3/min"},
    }


@pytest.fixture
def clock(monkeypatch):
    """The throttle's time, moved by the test."""
    now = [1_000_000.0]
    monkeypatch.setattr(FailedAdminLogins, "clock", staticmethod(lambda: now[0]))
    return now


@pytest.mark.django_db
class TestAdminLogin:
    def test_an_admin_login_is_audited(self, client, pam):
        response = log_in(client, "pam", DEFAULT_PASSWORD)

        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        [log] = audit_rows(action=AccessAction.LOGIN)
        assert (log.user, log.username, log.object_type, log.ip) == (
            pam,
            "pam",
            "admin_session",
            "203.0.113.7",
        )

    def test_a_failed_admin_login_is_audited_with_the_username_as_typed(self, client, pam):
        response = log_in(client, "  PAM ", "wrong")

        assert response.status_code == 200
        [log] = audit_rows(action=AccessAction.LOGIN_FAILED)
        assert (log.user, log.username, log.object_type) == (None, "  PAM ", "admin_session")

    def test_a_casework_user_cannot_log_in_to_the_admin_even_as_staff(self, client, mo):
        mo.is_staff = True
        mo.save(update_fields=["is_staff"])

        response = log_in(client, "mo", DEFAULT_PASSWORD)

        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
        assert [log.username for log in audit_rows(action=AccessAction.LOGIN_FAILED)] == ["mo"]

    def test_an_admin_logout_is_audited(self, client, pam):
        signed_in(client, pam)
        client.post("/admin/logout/")
        [log] = audit_rows(action=AccessAction.LOGOUT)
        assert (log.user, log.object_type) == (pam, "admin_session")

    def test_failed_logins_of_one_username_are_throttled(self, client, pam, login_rates, clock):
        for _ in range(3):
            assert log_in(client, "pam", "wrong", address=f"198.51.100.{_}").status_code == 200
        clock[0] += 20

        refused = log_in(client, "Pam", DEFAULT_PASSWORD, address="198.51.100.99")

        assert refused.status_code == 429
        assert refused["Retry-After"] == "40"
        assert "_auth_user_id" not in client.session  # refused without checking the password
        assert len(audit_rows(action=AccessAction.LOGIN_FAILED)) == 3
        assert not audit_rows(action=AccessAction.LOGIN)

    def test_failed_logins_from_one_address_are_throttled(self, client, pam, login_rates, clock):
        for n in range(5):
            assert log_in(client, f"guess{n}", "wrong").status_code == 200

        refused = log_in(client, "pam", DEFAULT_PASSWORD)

        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        assert log_in(client, "pam", DEFAULT_PASSWORD, address="192.0.2.1").status_code == 302

    def test_the_throttle_lifts_when_the_failures_leave_the_window(self, client, pam, login_rates, clock):
        for _ in range(3):
            log_in(client, "pam", "wrong")
        assert log_in(client, "pam", DEFAULT_PASSWORD).status_code == 429
        clock[0] += 61
        assert log_in(client, "pam", DEFAULT_PASSWORD).status_code == 302

    def test_successful_logins_never_spend_the_budget(self, client, pam, login_rates, clock):
        for _ in range(6):
            assert log_in(client, "pam", DEFAULT_PASSWORD).status_code == 302
        assert len(audit_rows(action=AccessAction.LOGIN)) == 6

    def test_the_login_fails_open_when_the_cache_is_down(self, client, pam, login_rates, monkeypatch):
        class DownCache:
            def get(self, *args, **kwargs):
                raise ConnectionError("cache down")

            set = get

        monkeypatch.setattr("ooh.admin_site.cache", DownCache())
        for _ in range(5):
            assert log_in(client, "pam", "wrong").status_code == 200
        assert log_in(client, "pam", DEFAULT_PASSWORD).status_code == 302

    def test_a_null_character_in_the_username_is_audited_not_a_server_error(self, client, pam):
        response = log_in(client, "pam\x00", "wrong")
        assert response.status_code == 200
        [log] = audit_rows(action=AccessAction.LOGIN_FAILED)
        assert log.username == "pam\ufffd"
