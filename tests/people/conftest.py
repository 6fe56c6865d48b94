import datetime

import pytest
from django.utils import timezone

from tests.personas import client_for


@pytest.fixture
def alice_client(alice):
    """Alice is a police call handler: her searches and pictures reach everyone, so she states why."""
    return client_for(alice, reason="Welfare check after a 999 call")


@pytest.fixture
def s1_family(alice_client):
    """Scenario S1's family, built through the API as a control room would: ids by role name."""
    c = alice_client
    now = timezone.now()
    ids = {}
    ids["home"] = c.post(
        "/api/v1/addresses/", {"line1": "14 Larch Close", "town": "Northshire", "postcode": "ne3 2qx"}
    ).json()["id"]
    ids["kerry"] = c.post(
        "/api/v1/people/",
        {
            "given_name": "Kerry",
            "family_name": "Vale",
            "aliases": ["Kez Vale"],
            "date_of_birth": "1999-04-02",
            "status": "living",
            "sex": "female",
            "identifiers": [{"scheme": "nhs_number", "value": "9434765919"}],
            "current_address": ids["home"],
        },
    ).json()["id"]
    ids["dean"] = c.post(
        "/api/v1/people/",
        {
            "given_name": "Dean",
            "family_name": "Vale",
            "date_of_birth": "1996-11-20",
            "status": "living",
            "sex": "male",
            "identifiers": [{"scheme": "pnc_id", "value": "96/123456X"}],
            "current_address": ids["home"],
        },
    ).json()["id"]
    ids["baby"] = c.post(
        "/api/v1/people/",
        {
            "given_name": "",
            "family_name": "Vale",
            "status": "unborn",
            "expected_date": str(timezone.localdate() + datetime.timedelta(days=7)),
        },
    ).json()["id"]
    for frm, kind, to in [
        ("kerry", "mother_of", "baby"),
        ("dean", "father_of", "baby"),
        ("dean", "partner_of", "kerry"),
    ]:
        response = c.post(
            "/api/v1/relationships/", {"from_person": ids[frm], "to_person": ids[to], "kind": kind}
        )
        assert response.status_code == 201, response.json()
    review = str(timezone.localdate() + datetime.timedelta(days=60))
    flags = [
        ("baby", "unborn_child_protection_plan", "critical", "Unborn child protection plan", ""),
        (
            "baby",
            "removal_at_birth_plan",
            "high",
            "Plan to remove at birth",
            "do not disclose plan to parents",
        ),
        ("dean", "violence", "high", "Violence towards partner", ""),
        ("dean", "threats_to_staff", "critical", "Threatened social workers with a knife", "Two officers"),
        ("home", "dangerous_animal", "high", "Large dog at the address", "Ask for the dog to be secured"),
    ]
    for subject, category, severity, summary, handling in flags:
        key = "subject_address" if subject == "home" else "subject_person"
        response = c.post(
            "/api/v1/flags/",
            {
                key: ids[subject],
                "category": category,
                "severity": severity,
                "summary": summary,
                "handling_instructions": handling,
                "valid_from": (now - datetime.timedelta(days=30)).isoformat(),
                "review_by": review,
            },
        )
        assert response.status_code == 201, response.json()
        ids[category] = response.json()["id"]
    return ids
