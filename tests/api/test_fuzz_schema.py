"""Schemathesis against the live /api/schema/, authenticated, with every default check.

Every endpoint added later is fuzzed automatically. Examples per operation are bounded so the
suite stays fast; raise OOH_FUZZ_EXAMPLES locally for a deeper run.
"""

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from ooh.accounts.actions import issue_token
from ooh.accounts.models import Role
from tests.factories import member

MAX_EXAMPLES = int(os.environ.get("OOH_FUZZ_EXAMPLES", "15"))


@pytest.fixture
def api_schema(live_server):
    config = SchemathesisConfig.from_path(Path(__file__).with_name("schemathesis.toml"))
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json", config=config)


@pytest.fixture
def fuzz_user(transactional_db):
    return member(role=Role.CONTROL_ROOM_SUPERVISOR, username="fuzzer")


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
