"""The linked picture's one-statement PostgreSQL path gives exactly the ORM path's payload."""

import datetime
import random

import pytest
from django.utils import timezone

from ooh.people.models import Person
from ooh.picture.linked import person_network
from ooh.picture.linked_sql import person_network_json, person_network_payload
from ooh.picture.payload import network_payload
from tests import factories
from tests.personas import agency

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def both(person, depth, now):
    orm = network_payload(person_network(person, depth=depth, now=now))
    found = person_network_json(person.pk, depth=depth, now=now)
    assert found is not None
    sql, disclosed = found
    return orm, sql, disclosed


def a_family(actor, lead, now):
    """Mother, father, unborn child with an active plan, a half-sibling, grandparents: every kind of
    record the picture shows, with timestamps with and without a fraction of a second."""
    from ooh.plans import actions as plans

    home = factories.address(actor, line1="14 Larch Close", postcode="NE3 2QX", uprn=100012345678)
    other = factories.address(actor, line1="2 Elm Row", line2="Flat 3", town="Northshire", postcode="NE1 1AA")
    kerry = factories.person(
        actor,
        given_name="Kerry",
        family_name="Vale",
        aliases=["Kez"],
        date_of_birth=datetime.date(1999, 4, 2),
        sex="female",
        current_address=home,
        identifiers=[{"scheme": "nhs_number", "value": "9434765919"}, {"scheme": "local", "value": "K-1"}],
    )
    dean = factories.person(actor, given_name="Dean", family_name="Vale", current_address=home)
    baby = factories.person(
        actor,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=9),
    )
    jay = factories.person(actor, given_name="Jay", family_name="Hart", current_address=other)
    gran = factories.person(actor, given_name="Ann", family_name="Vale")
    twin = factories.person(actor, given_name="Ann", family_name="Vale")  # same name: order by path
    factories.link(actor, kerry, "mother_of", baby)
    factories.link(actor, dean, "father_of", baby)
    factories.link(actor, dean, "partner_of", kerry)
    factories.link(actor, dean, "father_of", jay)
    factories.link(actor, gran, "mother_of", kerry)
    factories.link(actor, twin, "sibling_of", kerry)
    exact = now.replace(microsecond=0) - datetime.timedelta(hours=2)
    factories.flag(actor, on=home, category="dangerous_animal", severity="high", created_at=exact)
    factories.flag(actor, on=dean, category="violence", severity="critical", valid_from=exact)
    factories.flag(
        actor,
        on=dean,
        category="threats_to_staff",
        severity="high",
        valid_until=now + datetime.timedelta(days=3),
    )
    factories.flag(actor, on=baby, category="unborn_child_protection_plan", severity="critical")
    factories.flag(
        actor, on=kerry, category="learning_disability", severity="medium", handling_instructions="Easy read"
    )
    factories.flag(actor, on=jay, category="child_protection_plan", severity="high")
    factories.flag(actor, on=other, category="other", severity="low")
    # Not in force: expired, not started, revoked.
    factories.flag(
        actor,
        on=kerry,
        category="other",
        valid_from=now - datetime.timedelta(days=9),
        valid_until=now - datetime.timedelta(days=1),
    )
    factories.flag(actor, on=kerry, category="other", valid_from=now + datetime.timedelta(days=1))
    from ooh.flags.actions import revoke_flag

    revoke_flag(actor=actor, flag=factories.flag(actor, on=gran, category="violence"), reason="wrong person")
    police, edt = agency("police"), agency("edt")
    # Midwifery booked the pregnancy: the unborn child is one of its cases, so its midwife writes the plan.
    Person.objects.filter(pk=baby.pk).update(recorded_by_agency=lead.membership.agency)
    plan = plans.draft_plan(
        actor=lead,
        mother=kerry,
        unborn_child=baby,
        expected_date=baby.expected_date,
        lead_professional=lead,
        plan_at_birth="Stay in hospital",
        home_birth_contingency="Ambulance, then police",
        out_of_hours_instructions="Call EDT",
        parents_aware_of_plan=False,
        parents_not_aware_reason="Risk of flight",
        key_contacts=[
            {"agency": police, "name": "DS Roe", "phone_out_of_hours": "01632 960101"},
            {"agency": edt, "name": "EDT", "phone_out_of_hours": "01632 960004"},
            {"agency": lead.membership.agency, "name": "Mia", "phone_in_hours": "01632 960102"},
        ],
    )
    plans.activate_plan(actor=lead, plan=plan, agreed_on=timezone.localdate())
    return {"kerry": kerry, "dean": dean, "baby": baby, "jay": jay, "gran": gran, "twin": twin}


@pytest.mark.parametrize("depth", [1, 2])
@pytest.mark.parametrize("who", ["kerry", "dean", "baby", "jay", "gran"])
def test_the_one_statement_picture_equals_the_orm_picture(alice, mia, who, depth):
    now = timezone.now()
    family = a_family(alice, mia, now)
    orm, sql, disclosed = both(family[who], depth, now)
    assert sql == orm
    assert sorted(disclosed) == sorted([orm["subject"]["id"], *(m["person"]["id"] for m in orm["members"])])


def test_it_still_equals_the_orm_picture_for_the_s1_baby_with_its_plan(alice, mia):
    now = timezone.now()
    family = a_family(alice, mia, now)
    orm, sql, _ = both(family["baby"], 2, now)
    assert sql == orm
    assert [m["relation"] for m in sql["members"]][:2] == [
        "father of the unborn child",
        "mother of the unborn child",
    ]
    assert len(sql["birth_plans"]) == 1
    # Out-of-hours numbers first; Mia has none, so tonight's number is her agency's (none here either).
    mia_contact = sql["birth_plans"][0]["key_contacts_out_of_hours"][2]
    assert (mia_contact["name"], mia_contact["phone_in_hours"], mia_contact["phone_out_of_hours"]) == (
        "Mia",
        "01632 960102",
        "",
    )
    assert mia_contact["call_out_of_hours"] == mia_contact["agency"]["out_of_hours_phone"]
    assert [f["category"] for f in sql["flags"]][:3] == [
        "violence",
        "threats_to_staff",
        "dangerous_animal",
    ]  # critical, then newest


def test_a_person_with_no_links_and_a_missing_person(alice):
    import uuid

    loner = factories.person(alice, given_name="Lone", family_name="Person")
    now = timezone.now()
    orm, sql, disclosed = both(loner, 2, now)
    assert sql == orm
    assert (sql["members"], sql["flags"]) == ([], [])
    assert disclosed == [str(loner.pk)]
    assert person_network_payload(uuid.uuid4(), depth=1) is None


def test_random_families_give_the_same_picture(alice):
    """Random graphs (links in any direction and kind, shared addresses, flags on anyone) at both depths."""
    rng = random.Random(20261124)
    kinds = ["mother_of", "father_of", "parent_of", "partner_of", "sibling_of", "carer_of", "associate_of"]
    homes = [factories.address(alice, line1=f"{n} Random Road") for n in range(4)]
    people = [
        factories.person(
            alice,
            given_name=rng.choice(["Al", "Bo", "Cy", ""]),
            family_name=rng.choice(["Ash", "Birch"]),
            current_address=rng.choice([None, *homes]),
        )
        for _ in range(14)
    ]
    for _ in range(24):
        a, b = rng.sample(people, 2)
        factories.link(alice, a, rng.choice(kinds), b)
    for _ in range(12):
        on = rng.choice([*people, *homes])
        factories.flag(
            alice, on=on, category=rng.choice(["violence", "other", "domestic_abuse"]), severity="low"
        )
    now = timezone.now()
    for person in rng.sample(people, 6):
        for depth in (1, 2):
            orm, sql, _ = both(Person.objects.get(pk=person.pk), depth, now)
            assert sql == orm, (person.pk, depth)
