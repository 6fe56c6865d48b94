"""create_agency and create_user: safe to run again, refuse bad values and write nothing then."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from ooh.accounts.models import Agency, Membership

User = get_user_model()
PASSWORD = "a-long-enough-passphrase-42"


def create_agency(*args):
    out = StringIO()
    call_command("create_agency", *args, stdout=out)
    return out.getvalue()


def create_user(*args):
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def west(**overrides):
    values = {"code": "police-west", "name": "West police", "kind": "police", "out-of-hours-phone": ""}
    values.update(overrides)
    return [f"--{key}={value}" for key, value in values.items()]


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv("OOH_TEST_PASSWORD", PASSWORD)
    return "--password-env=OOH_TEST_PASSWORD"


@pytest.mark.django_db
class TestCreateAgency:
    def test_creates_the_agency(self):
        output = create_agency(*west(**{"out-of-hours-phone": "01632 960001"}))
        agency = Agency.objects.get()
        assert (agency.code, agency.name, agency.kind, agency.out_of_hours_phone) == (
            "police-west",
            "West police",
            "police",
            "01632 960001",
        )
        assert output.startswith(f"Created agency police-west ({agency.id})")

    def test_running_again_with_the_same_values_creates_no_duplicate(self):
        create_agency(*west())
        output = create_agency(*west())
        assert Agency.objects.count() == 1
        assert output.startswith("Updated agency police-west")

    def test_running_again_updates_changed_fields(self):
        create_agency(*west())
        first_id = Agency.objects.get().id
        create_agency(
            *west(name="West Midlands police", kind="other", **{"out-of-hours-phone": "0121 496 0000"})
        )
        agency = Agency.objects.get()
        assert agency.id == first_id
        assert (agency.name, agency.kind, agency.out_of_hours_phone) == (
            "West Midlands police",
            "other",
            "0121 496 0000",
        )

    def test_an_unknown_kind_is_refused_naming_the_known_kinds(self):
        with pytest.raises(CommandError, match=r"--kind 'navy' is not known; use one of: police, ambulance"):
            create_agency(*west(kind="navy"))
        assert not Agency.objects.exists()

    @pytest.mark.parametrize("code", ["Police West", "police_west", "x", "-police", "p" * 41])
    def test_a_badly_formed_code_is_refused(self, code):
        with pytest.raises(CommandError, match=r"--code: Use 2 to 40 lower-case letters"):
            create_agency(*west(code=code))
        assert not Agency.objects.exists()

    def test_a_bad_phone_number_is_refused(self):
        with pytest.raises(CommandError, match=r"--out-of-hours-phone: Enter a phone number"):
            create_agency(*west(**{"out-of-hours-phone": "call us"}))
        assert not Agency.objects.exists()

    def test_a_bad_update_leaves_the_existing_agency_unchanged(self):
        create_agency(*west())
        with pytest.raises(CommandError, match="--name"):
            create_agency(*west(name="n" * 201))
        assert Agency.objects.get().name == "West police"


@pytest.mark.django_db
class TestCreateUser:
    @pytest.fixture(autouse=True)
    def agencies(self):
        create_agency(*west())
        create_agency("--code=ambulance", "--name=Ambulance", "--kind=ambulance")

    def test_creates_the_user_with_a_membership_and_the_password_from_the_environment(self, password_env):
        output = create_user(
            "--username=carol",
            "--agency=police-west",
            "--role=call_handler",
            "--display-name=Carol C",
            password_env,
        )
        user = User.objects.get(username="carol")
        assert user.display_name == "Carol C"
        assert (user.membership.agency.code, user.membership.role) == ("police-west", "call_handler")
        assert authenticate(username="carol", password=PASSWORD) == user
        assert authenticate(username="carol", password="wrong-password-123") is None
        assert output.startswith("Created user carol (call_handler at police-west)")

    def test_with_no_password_the_new_user_cannot_log_in(self):
        create_user("--username=carol", "--agency=police-west", "--role=responder", "--no-password")
        assert not User.objects.get(username="carol").has_usable_password()

    def test_running_again_with_the_same_values_creates_no_duplicate(self, password_env):
        args = ["--username=carol", "--agency=police-west", "--role=call_handler", password_env]
        create_user(*args)
        output = create_user(*args)
        assert User.objects.filter(username="carol").count() == 1
        assert Membership.objects.count() == 1
        assert output.startswith("Updated user carol")

    def test_running_again_updates_agency_role_and_display_name_and_keeps_the_password(self, password_env):
        create_user("--username=carol", "--agency=police-west", "--role=call_handler", password_env)
        create_user(
            "--username=carol",
            "--agency=ambulance",
            "--role=responder",
            "--display-name=Carol the paramedic",
            "--no-password",
        )
        user = User.objects.get(username="carol")
        assert user.display_name == "Carol the paramedic"
        assert (user.membership.agency.code, user.membership.role) == ("ambulance", "responder")
        assert Membership.objects.count() == 1
        assert authenticate(username="carol", password=PASSWORD) == user

    def test_running_again_with_a_new_password_replaces_it(self, monkeypatch, password_env):
        create_user("--username=carol", "--agency=police-west", "--role=call_handler", password_env)
        monkeypatch.setenv("OOH_TEST_PASSWORD", "another-long-passphrase-7")
        create_user("--username=carol", "--agency=police-west", "--role=call_handler", password_env)
        assert authenticate(username="carol", password=PASSWORD) is None
        assert authenticate(username="carol", password="another-long-passphrase-7") is not None

    def test_an_unknown_agency_code_is_refused(self, password_env):
        with pytest.raises(CommandError, match=r"--agency 'fire': no agency has this code"):
            create_user("--username=carol", "--agency=fire", "--role=responder", password_env)
        assert not User.objects.filter(username="carol").exists()

    def test_an_unknown_role_is_refused_naming_the_known_roles(self, password_env):
        with pytest.raises(CommandError, match=r"--role 'chief' is not known; use one of: call_handler"):
            create_user("--username=carol", "--agency=police-west", "--role=chief", password_env)
        assert not User.objects.filter(username="carol").exists()

    def test_a_missing_password_variable_is_refused(self, monkeypatch):
        monkeypatch.delenv("OOH_NO_SUCH_PASSWORD", raising=False)
        with pytest.raises(
            CommandError, match="--password-env: the variable OOH_NO_SUCH_PASSWORD is not set"
        ):
            create_user(
                "--username=carol",
                "--agency=police-west",
                "--role=responder",
                "--password-env=OOH_NO_SUCH_PASSWORD",
            )
        assert not User.objects.filter(username="carol").exists()

    def test_a_weak_password_is_refused(self, monkeypatch):
        monkeypatch.setenv("OOH_TEST_PASSWORD", "short")
        with pytest.raises(CommandError, match="too short"):
            create_user(
                "--username=carol",
                "--agency=police-west",
                "--role=responder",
                "--password-env=OOH_TEST_PASSWORD",
            )
        assert not User.objects.filter(username="carol").exists()

    def test_a_bad_username_is_refused(self, password_env):
        with pytest.raises(CommandError, match="--username: Enter a valid username"):
            create_user("--username=carol smith!", "--agency=police-west", "--role=responder", password_env)
        assert not User.objects.exists()
        assert not Membership.objects.exists()

    def test_without_a_terminal_or_a_password_option_it_refuses_instead_of_prompting(self, monkeypatch):
        monkeypatch.setattr("os.isatty", lambda fd: False)
        with pytest.raises(CommandError, match="No terminal to prompt for a password"):
            create_user("--username=carol", "--agency=police-west", "--role=responder")
        assert not User.objects.filter(username="carol").exists()
