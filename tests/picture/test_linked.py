"""The linked picture: every linked person, address and active flag, officer safety first."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ooh.audit.models import AccessedPerson, AccessLog
from tests import factories
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def test_s1_unborn_childs_network_shows_all_five_flags_dog_and_fathers_markers_first(alice_client, s1_family):
    ids = s1_family
    response = alice_client.get(f"/api/v1/people/{ids['baby']}/network/")
    assert response.status_code == 200
    body = response.json()
    categories = [f["category"] for f in body["flags"]]
    assert len(categories) == 5
    # Officer safety first (critical before high, then newest first), then the rest by severity.
    assert categories == [
        "threats_to_staff",
        "dangerous_animal",
        "violence",
        "unborn_child_protection_plan",
        "removal_at_birth_plan",
    ]
    assert body["highest_severity"] == "critical"
    relations = {m["person"]["id"]: m["relation"] for m in body["members"]}
    assert relations == {
        ids["kerry"]: "mother of the unborn child",
        ids["dean"]: "father of the unborn child",
    }
    assert [a["address"]["postcode"] for a in body["addresses"]] == ["NE3 2QX"]
    assert sorted(body["addresses"][0]["residents"]) == sorted([ids["kerry"], ids["dean"]])
    removal = next(f for f in body["flags"] if f["category"] == "removal_at_birth_plan")
    assert removal["handling_instructions"] == "do not disclose plan to parents"
    assert removal["group"] == "safeguarding"


def test_the_inverse_of_a_link_reads_naturally(alice_client, s1_family):
    body = alice_client.get(f"/api/v1/people/{s1_family['kerry']}/network/").json()
    relations = {m["person"]["id"]: m["relation"] for m in body["members"]}
    assert relations[s1_family["baby"]] == "unborn child of Kerry Vale"
    assert relations[s1_family["dean"]] == "partner of Kerry Vale"


def test_depth_two_reaches_the_fathers_other_child_with_a_chained_label(alice, alice_client, s1_family):
    from ooh.people.models import Person

    dean = Person.objects.get(pk=s1_family["dean"])
    other_child = factories.person(
        alice, given_name="Jay", family_name="Hart", date_of_birth=datetime.date(2015, 3, 1)
    )
    factories.link(alice, dean, "father_of", other_child)
    factories.flag(alice, on=other_child, category="child_protection_plan", severity="high")

    shallow = alice_client.get(f"/api/v1/people/{s1_family['baby']}/network/?depth=1").json()
    assert str(other_child.pk) not in {m["person"]["id"] for m in shallow["members"]}

    deep = alice_client.get(f"/api/v1/people/{s1_family['baby']}/network/?depth=2").json()
    member = next(m for m in deep["members"] if m["person"]["id"] == str(other_child.pk))
    assert member["relation"] == "child of the father of the unborn child"
    assert member["distance"] == 2
    assert member["path"] == [s1_family["baby"], s1_family["dean"], str(other_child.pk)]
    assert "child_protection_plan" in [f["category"] for f in deep["flags"]]


def test_the_address_network_shows_residents_their_links_and_the_dog(alice_client, s1_family):
    body = alice_client.get(f"/api/v1/addresses/{s1_family['home']}/network/").json()
    assert body["subject_type"] == "address"
    relations = {m["person"]["id"]: m["relation"] for m in body["members"]}
    assert relations[s1_family["kerry"]] == "lives at this address"
    assert relations[s1_family["baby"]].startswith("unborn child of ")
    assert body["flags"][0]["category"] in {"threats_to_staff", "dangerous_animal"}
    assert len(body["flags"]) == 5


def test_expired_and_revoked_flags_drop_out_without_any_job(alice, alice_client, s1_family):
    from ooh.people.models import Person

    kerry = Person.objects.get(pk=s1_family["kerry"])
    now = timezone.now()
    expired = factories.flag(
        alice,
        on=kerry,
        category="mental_health",
        valid_from=now - datetime.timedelta(days=10),
        valid_until=now - datetime.timedelta(minutes=1),
    )
    revoked = factories.flag(alice, on=kerry, category="substance_misuse")
    assert (
        alice_client.post(f"/api/v1/flags/{revoked.pk}/revoke/", {"reason": "Recorded in error"}).status_code
        == 200
    )
    body = alice_client.get(f"/api/v1/people/{s1_family['baby']}/network/").json()
    shown = {f["id"] for f in body["flags"]}
    assert str(expired.pk) not in shown
    assert str(revoked.pk) not in shown
    assert alice_client.get(f"/api/v1/flags/{expired.pk}/").json()["status"] == "expired"


def test_a_not_yet_valid_flag_is_not_shown(alice, alice_client, s1_family):
    from ooh.people.models import Person

    future = factories.flag(
        alice,
        on=Person.objects.get(pk=s1_family["kerry"]),
        valid_from=timezone.now() + datetime.timedelta(days=1),
    )
    body = alice_client.get(f"/api/v1/people/{s1_family['kerry']}/network/").json()
    assert str(future.pk) not in {f["id"] for f in body["flags"]}


def test_each_network_read_is_one_audit_row_naming_every_person_disclosed(alice, alice_client, s1_family):
    before = AccessLog.objects.count()
    alice_client.get(f"/api/v1/people/{s1_family['baby']}/network/", HTTP_X_ACCESS_REASON="call 23:40")
    assert AccessLog.objects.count() == before + 1
    log = AccessLog.objects.order_by("-at").first()
    assert (log.user, log.action, log.object_type, log.reason) == (alice, "read", "network", "call 23:40")
    assert log.request_id
    assert log.ip == "127.0.0.1"
    disclosed = set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))
    assert {str(p) for p in disclosed} == {s1_family["baby"], s1_family["kerry"], s1_family["dean"]}


def test_bad_depth_is_a_400_naming_it(alice_client, s1_family):
    for bad in ["0", "3", "two"]:
        response = alice_client.get(f"/api/v1/people/{s1_family['baby']}/network/?depth={bad}")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "depth"


def _family(actor, size):
    """A mother, an unborn child and `size - 2` relatives, each with a flag and a shared address."""
    home = factories.address(actor, line1=f"{size} Family Road")
    mother = factories.person(actor, given_name="M", family_name=f"F{size}", current_address=home)
    baby = factories.person(
        actor,
        family_name=f"F{size}",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=9),
    )
    factories.link(actor, mother, "mother_of", baby)
    factories.flag(actor, on=home, category="dangerous_animal")
    factories.flag(actor, on=baby, category="unborn_child_protection_plan", severity="critical")
    for n in range(size - 2):
        relative = factories.person(
            actor,
            given_name=f"R{n}",
            family_name=f"F{size}",
            current_address=factories.address(actor, line1=f"{n} Lane"),
            identifiers=[{"scheme": "local", "value": f"F{size}-{n}"}],
        )
        factories.link(actor, relative, "sibling_of" if n % 2 else "associate_of", mother)
        factories.flag(actor, on=relative, category="violence")
    return baby


@pytest.mark.parametrize("depth", [1, 2])
def test_query_count_is_the_same_for_a_family_of_3_and_of_30(alice, depth):
    client = client_for(alice, reason="Welfare check after a 999 call")  # a control room states why
    counts = {}
    for size in (3, 30):
        baby = _family(alice, size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/people/{baby.pk}/network/?depth={depth}")
        assert response.status_code == 200
        assert len(response.json()["members"]) == (1 if depth == 1 else size - 1)
        counts[size] = len(queries)
    assert counts[3] == counts[30]
    if connection.vendor == "postgresql":
        # 1 token with its user, membership and agency; 1 statement for the whole linked picture
        # (network_sql.py); 1 the audit chain's lock and tail; 1 statement for the audit row and the
        # people it names.
        assert counts[30] == 4, counts
    else:
        # 1 token; 1 the subject; 1 edges per hop (depth); 1 the people reached; 1 current addresses;
        # 1 identifiers; 1 flags with agency and owner; 1 active birth plans (their key contacts only
        # when there is one); 3 the audit chain's tail, the audit row and the people it names, in one
        # transaction (no savepoint: it joins the test's transaction).
        assert counts[30] == 10 + depth, counts


def test_the_network_of_an_unknown_person_is_a_404_disclosing_nobody(alice_client):
    import uuid

    before = AccessLog.objects.count()
    response = alice_client.get(f"/api/v1/people/{uuid.uuid4()}/network/?depth=2")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    # nothing was disclosed: the only row is the refusal itself, naming no one
    assert list(AccessLog.objects.order_by("at").values_list("action", flat=True))[before:] == ["refused"]
    assert not AccessedPerson.objects.filter(log__action="refused").exists()
