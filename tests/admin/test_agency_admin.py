"""Who may use the Django admin, and an agency admin administers its own agency's users and nothing else."""

import pytest

from ooh.accounts.models import Role, User
from ooh.audit.models import AccessAction
from tests.factories import DEFAULT_PASSWORD, UserFactory, member

from .pages import FLAG_VERSIONS, FLAGS, LOGIN, USERS, audit_rows, form_data, page_ids, signed_in

# --- Who may use the admin ------------------------------------------------------------------------


@pytest.mark.django_db
class TestWhoMayUseTheAdmin:
    @pytest.mark.parametrize(
        ("role", "is_staff"),
        [(Role.MANAGER, True), (Role.CALL_HANDLER, True), (Role.ADMIN, False)],
    )
    def test_anyone_but_superusers_and_agency_admins_gets_no_admin(self, client, police, role, is_staff):
        user = member(role=role, agency=police, username="someone")
        user.is_staff = is_staff
        user.save()
        signed_in(client, user)
        for url in ("/admin/", USERS, "/admin/audit/accesslog/"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(LOGIN)

    def test_staff_without_an_agency_gets_no_admin(self, client, db):
        signed_in(client, UserFactory(username="drifter", is_staff=True))
        assert client.get(USERS)["Location"].startswith(LOGIN)

    def test_an_agency_admin_cannot_see_casework(self, client, pam, mara_flag):
        signed_in(client, pam)
        index = client.get("/admin/")
        assert index.status_code == 200
        shown = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
        assert shown == {"User", "Membership", "AccessLog"}
        for url in (FLAGS, f"{FLAGS}{mara_flag.pk}/change/", FLAG_VERSIONS, "/admin/alerts/notification/"):
            assert client.get(url).status_code == 403, url
        assert not audit_rows(action=AccessAction.READ, object_type="flag")

    def test_an_agency_admin_cannot_administer_agencies(self, client, pam, police):
        signed_in(client, pam)
        assert client.get("/admin/accounts/agency/").status_code == 403
        response = client.post(f"/admin/accounts/agency/{police.pk}/change/", {"name": "Renamed"})
        assert response.status_code == 403
        police.refresh_from_db()
        assert police.name == "Police control"


# --- An agency admin administers only its own agency -----------------------------------------------


@pytest.fixture
def police_root(police):
    """A superuser who is also a police admin: still not Pam's to administer."""
    user = member(role=Role.ADMIN, agency=police, username="police-root", is_staff=True)
    user.is_superuser = True
    user.save()
    return user


@pytest.mark.django_db
class TestAgencyAdmin:
    def test_an_agency_admin_sees_only_their_agencys_users(self, client, pam, alice, bob, root, police_root):
        signed_in(client, pam)

        response = client.get(USERS)

        assert response.status_code == 200
        assert page_ids(response) == {pam.pk, alice.pk}

    def test_an_agency_admin_cannot_open_another_agencys_user(self, client, pam, bob):
        signed_in(client, pam)
        response = client.get(f"{USERS}{bob.pk}/change/")
        assert response.status_code == 302  # "does not exist": the admin's answer for a missing record
        assert response["Location"] == "/admin/"
        assert client.get(f"{USERS}{bob.pk}/password/").status_code == 404

    def test_an_agency_admin_cannot_take_over_a_superuser_of_their_agency(self, client, pam, police_root):
        signed_in(client, pam)

        response = client.post(
            f"{USERS}{police_root.pk}/password/",
            {"password1": "a-new-long-password-1", "password2": "a-new-long-password-1"},
        )

        assert response.status_code == 404
        police_root.refresh_from_db()
        assert police_root.check_password(DEFAULT_PASSWORD)

    def test_an_agency_admin_creates_a_user_in_their_own_agency_audited(self, client, pam, police):
        signed_in(client, pam)
        page = client.get(f"{USERS}add/")
        data = form_data(
            page,
            username="newcomer",
            password1="a-long-new-password-7",
            password2="a-long-new-password-7",
            **{"membership-0-agency": str(police.pk), "membership-0-role": Role.RESPONDER},
        )

        response = client.post(f"{USERS}add/", data)

        assert response.status_code == 302, response.context and response.context["errors"]
        newcomer = User.objects.get(username="newcomer")
        assert (newcomer.membership.agency, newcomer.membership.role) == (police, Role.RESPONDER)
        assert (newcomer.is_staff, newcomer.is_superuser) == (False, False)
        [log] = audit_rows(action=AccessAction.CREATE, object_type="user")
        assert (log.user, log.object_ids, log.reason) == (pam, [str(newcomer.pk)], "Django admin")

    def test_an_agency_admin_cannot_create_a_user_in_another_agency(self, client, pam, ambulance):
        signed_in(client, pam)
        data = form_data(
            client.get(f"{USERS}add/"),
            username="infiltrator",
            password1="a-long-new-password-7",
            password2="a-long-new-password-7",
            **{"membership-0-agency": str(ambulance.pk), "membership-0-role": Role.CALL_HANDLER},
        )

        response = client.post(f"{USERS}add/", data)

        assert response.status_code == 200  # the form again, with its error
        assert "agency" in response.context["inline_admin_formsets"][0].formset.errors[0]
        assert not User.objects.filter(username="infiltrator").exists()
        assert not audit_rows(action=AccessAction.CREATE)

    def test_an_agency_admin_cannot_create_a_user_of_no_agency(self, client, pam):
        signed_in(client, pam)
        data = form_data(
            client.get(f"{USERS}add/"),
            username="nobodys",
            password1="a-long-new-password-7",
            password2="a-long-new-password-7",
        )
        data = {key: value for key, value in data.items() if not key.startswith("membership-0-")}

        response = client.post(f"{USERS}add/", data)

        assert response.status_code == 200
        assert not User.objects.filter(username="nobodys").exists()

    def test_an_agency_admin_cannot_move_a_user_to_another_agency(
        self, client, pam, alice, police, ambulance
    ):
        signed_in(client, pam)
        url = f"{USERS}{alice.pk}/change/"
        data = form_data(client.get(url), **{"membership-0-agency": str(ambulance.pk)})

        response = client.post(url, data)

        assert response.status_code == 200
        alice.membership.refresh_from_db()
        assert alice.membership.agency == police
        assert not audit_rows(action=AccessAction.UPDATE)

    def test_an_agency_admin_cannot_make_anyone_staff_or_superuser(self, client, pam, alice):
        signed_in(client, pam)
        url = f"{USERS}{alice.pk}/change/"
        data = form_data(client.get(url), is_staff="on", is_superuser="on", display_name="Alice A")

        response = client.post(url, data)

        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.display_name == "Alice A"  # the change that is theirs to make went through
        assert (alice.is_staff, alice.is_superuser) == (False, False)

    def test_an_agency_admins_change_to_a_user_is_audited(self, client, pam, alice):
        signed_in(client, pam)
        url = f"{USERS}{alice.pk}/change/"
        client.post(url, form_data(client.get(url), **{"membership-0-role": Role.CONTROL_ROOM_SUPERVISOR}))

        alice.membership.refresh_from_db()
        assert alice.membership.role == Role.CONTROL_ROOM_SUPERVISOR
        [log] = audit_rows(action=AccessAction.UPDATE, object_type="user")
        assert (log.user, log.object_ids, log.agency) == (pam, [str(alice.pk)], pam.membership.agency)
        assert "membership" in str(log.detail["change"]).lower()

    def test_an_agency_admin_changes_roles_only_in_their_agency(self, client, pam, alice, bob):
        signed_in(client, pam)
        memberships = "/admin/accounts/membership/"
        assert page_ids(client.get(memberships)) == {pam.membership.pk, alice.membership.pk}
        response = client.post(f"{memberships}{bob.membership.pk}/change/", {"role": Role.ADMIN})
        assert response.status_code == 302
        bob.membership.refresh_from_db()
        assert bob.membership.role == Role.RESPONDER
        assert client.get(f"{memberships}add/").status_code == 403

    def test_an_agency_admin_chooses_a_line_manager_only_from_their_agency(
        self, client, pam, alice, pat, bob
    ):
        """The line manager (the next rung of a casework escalation) is one of the agency's own staff."""
        signed_in(client, pam)
        for url, form in [
            (f"{USERS}{alice.pk}/change/", lambda r: r.context["inline_admin_formsets"][0].formset.forms[0]),
            (
                f"/admin/accounts/membership/{alice.membership.pk}/change/",
                lambda r: r.context["adminform"].form,
            ),
        ]:
            choices = set(form(client.get(url)).fields["reports_to"].queryset)
            assert choices == {pam, alice, pat}
            assert bob not in choices
        response = client.post(
            f"/admin/accounts/membership/{alice.membership.pk}/change/",
            {"role": Role.CALL_HANDLER, "reports_to": bob.pk},
        )
        assert response.status_code == 200  # the form refuses a manager of another agency
        alice.membership.refresh_from_db()
        assert alice.membership.reports_to is None

    def test_a_role_change_on_the_membership_page_is_audited(self, client, pam, alice):
        signed_in(client, pam)
        url = f"/admin/accounts/membership/{alice.membership.pk}/change/"
        response = client.post(url, {"role": Role.MANAGER})
        assert response.status_code == 302
        [log] = audit_rows(action=AccessAction.UPDATE, object_type="membership")
        assert (log.user, log.object_ids) == (pam, [str(alice.membership.pk)])

    def test_an_agency_admin_sees_only_their_agencys_audit(self, client, pam, alice, bob):
        from ooh.audit.records import record_access

        ours = record_access(action=AccessAction.READ, object_type="person", actor=alice)
        theirs = record_access(action=AccessAction.READ, object_type="person", actor=bob)
        signed_in(client, pam)

        shown = page_ids(client.get("/admin/audit/accesslog/"))

        assert ours.pk in shown
        assert theirs.pk not in shown
