"""A superuser administers every agency, every change audited; a lost phone is signed out of every device."""

import pytest
from knox.models import AuthToken

from ooh.accounts.actions import issue_token
from ooh.accounts.models import AgencyKind, User
from ooh.audit.models import AccessAction

from .pages import USERS, audit_rows, form_data, page_ids, signed_in

# --- Superusers: every agency, every change audited ------------------------------------------------


@pytest.mark.django_db
class TestSuperuser:
    def test_a_superuser_sees_every_agencys_users(self, client, root, pam, alice, bob):
        signed_in(client, root)
        assert page_ids(client.get(USERS)) == {root.pk, pam.pk, alice.pk, bob.pk}

    def test_a_superusers_move_of_a_user_to_another_agency_is_audited(self, client, root, alice, ambulance):
        signed_in(client, root)
        url = f"{USERS}{alice.pk}/change/"
        response = client.post(url, form_data(client.get(url), **{"membership-0-agency": str(ambulance.pk)}))

        assert response.status_code == 302
        alice.membership.refresh_from_db()
        assert alice.membership.agency == ambulance
        [log] = audit_rows(action=AccessAction.UPDATE, object_type="user")
        assert (log.user, log.object_ids, log.reason) == (root, [str(alice.pk)], "Django admin")

    def test_a_superusers_new_agency_is_audited(self, client, root):
        signed_in(client, root)
        response = client.post(
            "/admin/accounts/agency/add/",
            {"code": "midwives-north", "name": "Midwives North", "kind": AgencyKind.MIDWIFERY},
        )
        assert response.status_code == 302
        [log] = audit_rows(action=AccessAction.CREATE, object_type="agency")
        assert log.user == root

    def test_a_password_set_in_the_admin_is_audited(self, client, root, alice):
        signed_in(client, root)
        response = client.post(
            f"{USERS}{alice.pk}/password/",
            {
                "password1": "a-new-long-password-1",
                "password2": "a-new-long-password-1",
                "usable_password": "true",
            },
        )
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.check_password("a-new-long-password-1")
        [log] = audit_rows(action=AccessAction.UPDATE, object_type="user")
        assert log.object_ids == [str(alice.pk)]

    def test_no_one_deletes_a_user_in_the_admin(self, client, root, alice):
        signed_in(client, root)
        assert client.post(f"{USERS}{alice.pk}/delete/", {"post": "yes"}).status_code == 403
        assert User.objects.filter(pk=alice.pk).exists()


# --- Lost phone ------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestLostPhone:
    def sign_out_everywhere(self, client, *users):
        return client.post(
            USERS, {"action": "sign_out_everywhere", "_selected_action": [str(u.pk) for u in users]}
        )

    def test_lost_phone_signs_the_user_out_of_every_device_audited(self, client, pam, alice):
        issue_token(user=alice, device_name="phone")
        issue_token(user=alice, device_name="tablet")
        issue_token(user=pam, device_name="pams phone")
        signed_in(client, pam)

        response = self.sign_out_everywhere(client, alice)

        assert response.status_code == 302
        assert not AuthToken.objects.filter(user=alice).exists()
        assert AuthToken.objects.filter(user=pam).count() == 1
        [log] = audit_rows(action=AccessAction.REVOKE, object_type="session")
        assert (log.user, log.object_ids, log.detail["user"]) == (pam, [str(alice.pk)], "alice")

    def test_lost_phone_cannot_reach_another_agencys_user(self, client, pam, bob):
        issue_token(user=bob, device_name="phone")
        signed_in(client, pam)

        self.sign_out_everywhere(client, bob)

        assert AuthToken.objects.filter(user=bob).count() == 1
        assert not audit_rows(action=AccessAction.REVOKE)

    def test_a_superuser_signs_out_anyones_devices(self, client, root, bob):
        issue_token(user=bob, device_name="phone")
        signed_in(client, root)
        self.sign_out_everywhere(client, bob)
        assert not AuthToken.objects.filter(user=bob).exists()
