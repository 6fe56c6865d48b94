"""Schemathesis against the live /api/schema/, authenticated, with every default check.

Every endpoint added later is fuzzed automatically. Examples per operation are bounded so the
suite stays fast; raise OOH_FUZZ_EXAMPLES locally for a deeper run.
"""

import itertools
import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from ooh.accounts.actions import issue_token
from ooh.accounts.models import AgencyKind, Role
from tests.factories import member

MAX_EXAMPLES = int(os.environ.get("OOH_FUZZ_EXAMPLES", "15"))


@pytest.fixture
def api_schema(live_server):
    config = SchemathesisConfig.from_path(Path(__file__).with_name("schemathesis.toml"))
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json", config=config)


# Every role but the control room supervisor, in an agency of the kind it works for: each sees (and may
# change) different things, and none may find a server error.
OTHER_ROLES = [
    (Role.CALL_HANDLER, AgencyKind.AMBULANCE),
    (Role.RESPONDER, AgencyKind.POLICE),
    (Role.SOCIAL_WORKER, AgencyKind.CHILDRENS_SOCIAL_CARE),
    (Role.OOH_SOCIAL_WORKER, AgencyKind.OOH_SOCIAL_CARE),
    (Role.MIDWIFE, AgencyKind.MIDWIFERY),
    (Role.PRACTITIONER, AgencyKind.HEALTH),
    (Role.MANAGER, AgencyKind.CHILDRENS_SOCIAL_CARE),
    (Role.ADMIN, AgencyKind.OTHER),
    (Role.DATA_PROTECTION_OFFICER, AgencyKind.CHILDRENS_SOCIAL_CARE),
    (Role.REVIEWER, AgencyKind.OTHER),
]


@pytest.fixture(autouse=True)
def _a_token_for_every_call(request):
    """Each call below signs in afresh: far more tokens than the per-user limit allows at once."""
    django_settings = request.getfixturevalue("settings")
    django_settings.REST_KNOX = {**django_settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": None}


@pytest.fixture
def fuzz_user(transactional_db):
    return member(role=Role.CONTROL_ROOM_SUPERVISOR, username="fuzzer")


@pytest.fixture
def role_users(transactional_db):
    return [
        member(role=role, username=f"fuzz-{role}", code=f"fuzz-{kind.replace('_', '-')}", kind=kind)
        for role, kind in OTHER_ROLES
    ]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_api_honours_its_schema(case, fuzz_user):
    if case.operation.schema.is_security_param_negated(case):
        # The negative case is "no credentials": send none, and the API must answer 401.
        case.call_and_validate()
        return
    # A fresh token per call: the logout endpoints are fuzzed too and revoke what they are given.
    _, token = issue_token(user=fuzz_user, device_name="fuzzer")
    case.call_and_validate(headers={"Authorization": f"Token {token}"})


@schema.parametrize()
@settings(
    max_examples=max(len(OTHER_ROLES), MAX_EXAMPLES // 2),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_role_finds_no_server_error(case, role_users):
    """The same schema with a token of each other role, taking turns case by case (every role meets
    every operation): what one role may not see or do is a 4xx in the error shape, never a 5xx."""
    if case.operation.schema.is_security_param_negated(case):
        case.call_and_validate()
        return
    user = role_users[next(_turns) % len(role_users)]
    _, token = issue_token(user=user, device_name="fuzzer")
    case.call_and_validate(headers={"Authorization": f"Token {token}"})


_turns = itertools.count()
