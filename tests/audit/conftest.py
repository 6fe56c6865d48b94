"""A short access log to verify and tamper with."""

import uuid

import pytest
from django.test import RequestFactory

from ooh.audit.models import AccessLog
from ooh.audit.records import record_access

from .tampering import Attacker


@pytest.fixture
def chain(alice):
    """Four rows written through record_access, each disclosing two people; rows 2 and 3 by alice."""
    logs = [record_access(action="read", object_type="person", person_ids=[uuid.uuid4(), uuid.uuid4()])]
    for n in (2, 3):
        request = RequestFactory().get(
            "/api/v1/people/", headers={"X-Access-Reason": f"call {n}"}, REMOTE_ADDR="10.2.3.4"
        )
        request.user = alice
        logs.append(
            record_access(
                action="read",
                object_type="network",
                object_ids=[uuid.uuid4()],
                person_ids=[uuid.uuid4(), uuid.uuid4()],
                request=request,
                incident_id=uuid.uuid4(),
                detail={"depth": 2},
            )
        )
    logs.append(record_access(action="update", object_type="flag", actor=alice, person_ids=[uuid.uuid4()]))
    return [AccessLog.objects.get(pk=log.pk) for log in logs]


@pytest.fixture
def attacker(chain):
    return Attacker()
