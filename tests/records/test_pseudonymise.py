"""Pseudonymised for publication: people by how they relate ("Mother", "Baby", "Father"), staff by role
and agency, the record as "Family C19"; and not one real name, username, date of birth, address line,
postcode or reference anywhere in the document, free text included."""

import datetime as dt
import json
import re

from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.people.actions import create_person, end_link, link_people
from ooh.people.models import Person
from ooh.records.chronology import concern_chronology, incident_chronology
from ooh.records.naming import Staff, family_reference, family_roles, load_family, staff_labels
from tests import factories
from tests.personas import persona

VALE_WORDS = (
    "Kerry",
    "Dean",
    "Vale",
    "Larch",
    "Close",
    "NE3",
    "2QX",
    "1998",
    "04/05/1998",
    "OOH-2026-000001",
)


def leaks(document: str, words) -> list[str]:
    """The words (whole words, any case) found in the document."""
    return [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", document, re.IGNORECASE)]


def staff_words(users) -> set[str]:
    return {w for user in users for w in (user.username, user.display_name) if w}


def test_no_real_name_of_the_night_reaches_the_document(night):
    document = json.dumps(incident_chronology(night.incident, now=night.now, pseudonymise=True).as_dict())

    assert leaks(document, VALE_WORDS) == []
    assert leaks(document, staff_words(night.users.values())) == []
    # and the same night, not pseudonymised, names them all (the test would catch a leak)
    plain = json.dumps(incident_chronology(night.incident, now=night.now).as_dict())
    assert set(leaks(plain, ("Kerry", "Dean", "Vale", "Alice", "Hale", "Morgan", "Larch", "NE3"))) == {
        "Kerry",
        "Dean",
        "Vale",
        "Alice",
        "Hale",
        "Morgan",
        "Larch",
        "NE3",
    }


def test_free_text_names_people_by_how_they_relate(night):
    items = incident_chronology(night.incident, now=night.now, pseudonymise=True).items
    [decision] = [i for i in items if i.kind == "decision.recorded"]

    assert decision.summary == (
        "Decision: Baby to go to Northshire General with Mother; Father not to travel with them because Mother "
        "(born [date of birth]) agreed; [address] is not safe ([postcode]); Call handler, Police control confirmed."
    )
    assert decision.actor == "Responder, Police control"
    assert decision.ids == {}


def test_people_staff_and_the_family_reference(night):
    chronology = incident_chronology(night.incident, now=night.now, pseudonymise=True)

    assert [(p.name, p.role) for p in chronology.people] == [
        ("Mother", "mother of Baby"),
        ("Baby", "unborn child of Mother"),
    ]
    names = [s.name for s in chronology.staff]
    assert "Call handler, Police control" in names
    assert "Responder, Police control" in names
    assert all(s.name == s.role for s in chronology.staff)
    assert re.fullmatch(r"Family [A-Z]\d{2}", chronology.reference)
    assert chronology.reference == family_reference("incident", night.incident.pk)  # the same every time
    assert chronology.title.startswith(
        f"Incident concerning {chronology.reference}: Mother in labour at home"
    )
    assert chronology.pseudonymised


def test_the_concern_pseudonymised(story):
    chronology = concern_chronology(story.concern, now=story.now, pseudonymise=True)
    document = json.dumps(chronology.as_dict())
    cast = [
        getattr(story.world, name)
        for name in ("connor", "harriet", "gail", "mia", "mandy", "carol", "hugo", "dana", "ada")
    ]

    assert (
        leaks(document, ("Leah", "Kyle", "Ash", "Mill", "NE6", "1AB", "CON-2026-000001", "REF-2026-000001"))
        == []
    )
    assert leaks(document, staff_words(cast)) == []
    assert "referred the concern to North council children's services (referral R1)" in document
    assert "Referral R1 to North council children's services was not allocated" in document


def test_two_of_one_role_and_agency_are_numbered_in_order_of_appearance():
    def member(name, role="Social worker", agency="North council"):
        return Staff(id=name, name=name, role=role, agency=agency, words=(name,))

    staff = {
        m.id: m
        for m in (member("dana"), member("sam"), member("carol", role="Manager"), member("rex", agency=None))
    }

    assert staff_labels(staff, ["sam", "carol", "dana", "rex"]) == {
        "sam": "Social worker 1, North council",
        "dana": "Social worker 2, North council",
        "carol": "Manager, North council",
        "rex": "Social worker",
    }


def test_a_family_named_by_its_relationships(db):
    dana = persona("dana")
    mother = factories.person(dana, given_name="Rose", family_name="Hart")
    father = factories.person(dana, given_name="Tom", family_name="Hart")
    baby = factories.person(dana, family_name="Hart", status="unborn", expected_date=dt.date(2027, 1, 1))
    older = factories.person(dana, given_name="Lily", family_name="Hart", date_of_birth=dt.date(2019, 3, 1))
    younger = factories.person(dana, given_name="Finn", family_name="Hart", date_of_birth=dt.date(2022, 6, 1))
    nan = factories.person(dana, given_name="June", family_name="Hart", date_of_birth=dt.date(1960, 1, 1))
    for child in (baby, older, younger):
        factories.link(dana, mother, "mother_of", child)
    factories.link(dana, father, "father_of", baby)
    factories.link(dana, nan, "associate_of", mother)
    cousin = factories.person(dana, given_name="Kit", family_name="Hart", date_of_birth=dt.date(2015, 1, 1))
    factories.link(dana, cousin, "household_member_of", mother)

    family = load_family([mother.pk, baby.pk])
    names = {
        Person.objects.get(pk=pid).given_name or "baby": name
        for pid, name in family_roles(family, dt.date(2026, 11, 10)).items()
    }

    assert names == {
        "Rose": "Mother",
        "Tom": "Father",
        "baby": "Baby",
        "Lily": "Sibling 1",
        "Finn": "Sibling 2",
        "June": "Adult",
        "Kit": "Child",
    }


def test_a_former_partner_and_a_colleague_who_did_not_act_are_taken_out_of_free_text(night):
    """A former partner (the link ended) is the person most likely named in a note; a colleague of
    another council named in a purpose did not act in the record. Neither reaches the document."""
    world = night.world
    jason = create_person(actor=world.dana, given_name="Jason", family_name="Hart")
    link = link_people(actor=world.dana, from_person=jason, to_person=world.kerry, kind="partner_of")
    end_link(actor=world.dana, relationship=link, reason="They separated in the spring")
    maxine = world.users["max"]
    maxine.display_name = "Maxine Oduya"
    maxine.save(update_fields=["display_name"])
    record_access(
        action=AccessAction.READ,
        object_type="person",
        object_ids=[world.kerry.pk],
        person_ids=[world.kerry.pk],
        actor=world.sam,
        reason="Jason Hart released on bail; Maxine Oduya asked me to check Kerry",
    )
    dumped = json.dumps(incident_chronology(night.incident, now=night.now, pseudonymise=True).as_dict())
    for word in ("Jason", "Hart", "Maxine Oduya"):
        assert word not in dumped
    assert "[member of staff]" in dumped
