"""The Django admin obeys need to know: casework is read-only and superusers' only, reading it is audited,
an agency admin administers its own agency's users and nothing else, the login is throttled and audited,
and a lost phone is signed out of every device."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from knox.models import AuthToken

from ooh.accounts.actions import issue_token
from ooh.accounts.models import AgencyKind, Role, User
from ooh.admin_site import FailedAdminLogins
from ooh.audit.models import AccessAction, AccessedPerson, AccessLog
from ooh.flags.models import Flag, FlagVersion

from .factories import DEFAULT_PASSWORD, AgencyFactory, UserFactory, flag, member, person

LOGIN = "/admin/login/"
USERS = "/admin/accounts/user/"
FLAGS = "/admin/flags/flag/"
FLAG_VERSIONS = "/admin/flags/flagversion/"
# Apps whose models are a family's records (casework) or their history.
CASEWORK_APPS = {"people", "flags", "plans", "incidents", "alerts", "access", "audit"}


@pytest.fixture
def root(db):
    """A superuser: cross-agency administration, audited."""
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def staff_member(*, role, agency, username):
    user = member(role=role, agency=agency, username=username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def pam(police):
    """The police's agency admin."""
    return staff_member(role=Role.ADMIN, agency=police, username="pam")


@pytest.fixture
def council(db):
    return AgencyFactory(code="council", name="Council", kind=AgencyKind.CHILDRENS_SOCIAL_CARE)


@pytest.fixture
def subject(alice):
    return person(alice, family_name="Vale", given_name="Mara")


@pytest.fixture
def mara_flag(alice, subject):
    return flag(alice, on=subject, category="weapons", severity="high", summary="Knife at address")


def signed_in(client, user):
    client.force_login(user)
    return client


def page_ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def form_data(response, **changes):
    """What a browser would post back for the admin form page in `response`, with `changes` applied
    (a value of None leaves the field out)."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[form.add_prefix(name)] = form[name].value()
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form.add_prefix(name)] = inline_form[name].value()
    data.update(changes)
    # A browser sends nothing for an empty field or an unticked box.
    return {key: value for key, value in data.items() if value is not None and value is not False}


def audit_rows(**filters):
    return list(AccessLog.objects.filter(**filters).order_by("chain_seq"))


def people_of(log):
    return sorted(str(p) for p in AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))


# --- Casework: read-only for everyone, superusers only ---------------------------------------------


@pytest.mark.django_db
class TestCaseworkIsReadOnly:
    def test_a_flag_cannot_be_edited_in_the_admin_even_by_a_superuser(self, client, root, mara_flag):
        signed_in(client, root)
        url = f"{FLAGS}{mara_flag.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        versions = FlagVersion.objects.filter(flag=mara_flag).count()

        response = client.post(url, {"summary": "Nothing to see", "severity": "low", "status": "revoked"})

        assert response.status_code == 403
        mara_flag.refresh_from_db()
        assert (mara_flag.summary, mara_flag.severity, mara_flag.status) == (
            "Knife at address",
            "high",
            "active",
        )
        assert FlagVersion.objects.filter(flag=mara_flag).count() == versions

    def test_a_flag_cannot_be_added_or_deleted_in_the_admin(self, client, root, mara_flag):
        signed_in(client, root)
        assert client.get(f"{FLAGS}add/").status_code == 403
        assert client.post(f"{FLAGS}{mara_flag.pk}/delete/", {"post": "yes"}).status_code == 403
        assert Flag.objects.filter(pk=mara_flag.pk).exists()

    def test_flag_history_cannot_be_forged_in_the_admin(self, client, root, mara_flag):
        signed_in(client, root)
        version = FlagVersion.objects.get(flag=mara_flag)
        forged = {
            "flag": str(mara_flag.pk),
            "version": "2",
            "snapshot": '{"summary": "never said"}',
            "changed_by": str(root.pk),
            "changed_at_0": "2020-01-01",
            "changed_at_1": "00:00:00",
            "change": "edit",
        }

        assert client.get(f"{FLAG_VERSIONS}add/").status_code == 403
        assert client.post(f"{FLAG_VERSIONS}add/", forged).status_code == 403
        assert client.post(f"{FLAG_VERSIONS}{version.pk}/change/", forged).status_code == 403
        assert client.post(f"{FLAG_VERSIONS}{version.pk}/delete/", {"post": "yes"}).status_code == 403
        assert list(FlagVersion.objects.filter(flag=mara_flag).values_list("pk", "version")) == [
            (version.pk, 1)
        ]

    @pytest.mark.parametrize(
        "label",
        [
            "flags.FlagVersion",
            "plans.BirthPlanVersion",
            "plans.Acknowledgement",
            "incidents.Event",
            "audit.AccessLog",
            "audit.AccessedPerson",
        ],
    )
    def test_history_is_never_added_changed_or_deleted_in_the_admin(self, root, label):
        model = apps.get_model(label)
        if not admin.site.is_registered(model):
            return  # no page at all
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/admin/")
        request.user = root
        assert model_admin.has_add_permission(request) is False
        assert model_admin.has_change_permission(request) is False
        assert model_admin.has_delete_permission(request) is False

    def test_no_casework_model_is_writable_in_the_admin(self, root, pam):
        registered = [
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in CASEWORK_APPS
        ]
        assert Flag in dict(registered)  # the test sees the pages it guards
        for model, model_admin in registered:
            request = RequestFactory().get("/admin/")
            request.user = root
            assert model_admin.has_add_permission(request) is False, model
            assert model_admin.has_change_permission(request) is False, model
            assert model_admin.has_delete_permission(request) is False, model
            assert model_admin.get_actions(request) == {}, model
            if model._meta.app_label != "audit":
                request.user = pam
                assert model_admin.has_view_permission(request) is False, model
                assert model_admin.has_module_permission(request) is False, model


@pytest.mark.django_db
class TestReadingCaseworkIsAudited:
    def test_reading_a_flag_in_the_admin_is_audited_with_its_subject(self, client, root, mara_flag, subject):
        signed_in(client, root)
        assert client.get(f"{FLAGS}{mara_flag.pk}/change/").status_code == 200

        [log] = audit_rows(action=AccessAction.READ, object_type="flag")
        assert log.user == root
        assert log.object_ids == [str(mara_flag.pk)]
        assert log.reason == "Django admin"
        assert people_of(log) == [str(subject.pk)]

    def test_the_flag_list_in_the_admin_is_audited_with_every_person_shown(
        self, client, root, alice, mara_flag, subject
    ):
        other = person(alice, family_name="Roe")
        other_flag = flag(alice, on=other, category="other", severity="low")
        signed_in(client, root)

        response = client.get(FLAGS)

        assert response.status_code == 200
        assert page_ids(response) == {mara_flag.pk, other_flag.pk}
        [log] = audit_rows(action=AccessAction.READ, object_type="flag")
        assert sorted(log.object_ids) == sorted([str(mara_flag.pk), str(other_flag.pk)])
        assert people_of(log) == sorted([str(subject.pk), str(other.pk)])

    def test_reading_flag_history_in_the_admin_is_audited(self, client, root, mara_flag, subject):
        version = FlagVersion.objects.get(flag=mara_flag)
        signed_in(client, root)
        assert client.get(f"{FLAG_VERSIONS}{version.pk}/change/").status_code == 200

        [log] = audit_rows(action=AccessAction.READ, object_type="flag_version")
        assert log.object_ids == [str(version.pk)]
        assert people_of(log) == [str(subject.pk)]

    def test_a_records_admin_history_page_is_refused(self, client, root, mara_flag):
        signed_in(client, root)
        assert client.get(f"{FLAGS}{mara_flag.pk}/history/").status_code == 403

    def test_a_null_character_in_the_list_query_is_refused(self, client, root, mara_flag):
        signed_in(client, root)
        assert client.get(FLAGS, {"q": "Knife\x00"}).status_code == 400
        assert not audit_rows(action=AccessAction.READ)


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


@pytest.mark.django_db
class TestAgencyAdmin:
    def test_an_agency_admin_sees_only_their_agencys_users(self, client, pam, alice, bob, root, police):
        police_root = staff_member(role=Role.ADMIN, agency=police, username="police-root")
        police_root.is_superuser = True
        police_root.save()
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

    def test_an_agency_admin_cannot_take_over_a_superuser_of_their_agency(self, client, pam, police):
        police_root = staff_member(role=Role.ADMIN, agency=police, username="police-root")
        police_root.is_superuser = True
        police_root.save()
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


# --- Login: throttled and audited -----------------------------------------------------------------


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


def log_in(client, username, password, address="203.0.113.7"):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


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

    def test_a_casework_user_cannot_log_in_to_the_admin_even_as_staff(self, client, police):
        staff_member(role=Role.MANAGER, agency=police, username="mo")

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
