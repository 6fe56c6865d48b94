"""generate_population: a small synthetic population in proportion, every constraint holding."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from ooh.flags.models import GROUP_OF_CATEGORY, NEEDS_REVIEW_BY, Flag, FlagStatus
from ooh.people.management.commands.generate_population import nhs_check_digit, postcode_for
from ooh.people.models import (
    UK_POSTCODE,
    Address,
    Person,
    PersonIdentifier,
    PersonStatus,
    Relationship,
    Residence,
    normalise_postcode,
)
from ooh.picture.linked import person_network

pytestmark = pytest.mark.django_db


def generate(people, seed):
    out = io.StringIO()
    call_command("generate_population", people=people, seed=seed, batch=100, no_progress=True, stdout=out)
    return out.getvalue()


def assert_constraints_hold():
    duplicates = PersonIdentifier.objects.values("scheme", "value").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    two_current = (
        Residence.objects.filter(current=True).values("person").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not two_current.exists()
    assert not Flag.objects.filter(severity__in=list(NEEDS_REVIEW_BY), review_by__isnull=True).exists()
    for category, group in Flag.objects.values_list("category", "group").distinct():
        assert GROUP_OF_CATEGORY[category] == group, category
    assert not Flag.objects.filter(valid_until__lte=F("valid_from")).exists()
    assert not Flag.objects.filter(subject_person__isnull=True, subject_address__isnull=True).exists()
    unborn = Person.objects.filter(status=PersonStatus.UNBORN)
    assert not unborn.filter(Q(date_of_birth__isnull=False) | Q(expected_date__isnull=True)).exists()
    assert not Relationship.objects.filter(from_person=F("to_person")).exists()


def test_a_population_in_realistic_proportions_with_every_constraint_holding():
    out = generate(300, seed=1)
    assert "people_person" in out
    assert "peak RSS" in out

    people = Person.objects.count()
    assert 300 <= people < 340  # whole families: the last one may overshoot
    per_person = {
        "addresses": Address.objects.count() / people,
        "relationships": Relationship.objects.count() / people,
        "flags": Flag.objects.count() / people,
        "identifiers": PersonIdentifier.objects.count() / people,
    }
    assert 0.3 <= per_person["addresses"] <= 0.6, per_person
    assert 1.8 <= per_person["relationships"] <= 3.2, per_person
    assert 0.3 <= per_person["flags"] <= 0.8, per_person
    assert 0.9 <= per_person["identifiers"] <= 1.3, per_person
    assert Residence.objects.filter(current=True).count() / people > 0.85

    # Every kind of person, link and flag the linked picture has to show.
    assert Person.objects.filter(status=PersonStatus.UNBORN).exists()
    kinds = set(Relationship.objects.values_list("kind", flat=True))
    assert {"mother_of", "father_of", "partner_of", "ex_partner_of", "sibling_of", "associate_of"} <= kinds
    assert PersonIdentifier.objects.filter(scheme="nhs_number").count() > 0.8 * people
    assert PersonIdentifier.objects.filter(scheme="pnc_id").exists()
    assert Flag.objects.filter(subject_address__isnull=False).exists()
    assert Flag.objects.filter(status=FlagStatus.REVOKED, revoked_at__isnull=False).exists()
    in_force = Flag.objects.in_force().count()
    assert 0 < in_force < Flag.objects.count()  # some expired, revoked (or not yet started)
    assert {f.source_agency.code for f in Flag.objects.select_related("source_agency")[:20]} == {"population"}

    # Stored exactly as the write path stores them.
    for person in Person.objects.all():
        stored = person.search_text
        person.refresh_search_text()
        assert person.search_text == stored
    for address in Address.objects.all():
        assert address.postcode == normalise_postcode(address.postcode)
        assert re.match(UK_POSTCODE, address.postcode)
        stored = address.search_text
        address.refresh_search_text()
        assert address.search_text == stored
    assert_constraints_hold()


def test_a_second_seed_adds_people_and_a_used_seed_is_refused():
    generate(150, seed=1)
    before = Person.objects.count()
    generate(150, seed=2)
    assert Person.objects.count() >= before + 150
    assert_constraints_hold()
    with pytest.raises(CommandError, match="already used"):
        generate(10, seed=2)


def test_the_linked_picture_of_a_generated_child_reaches_parents_and_beyond(alice_client):
    generate(200, seed=3)
    child = (
        Person.objects.filter(
            relationships_in__kind="mother_of", relationships_in__from_person__relationships_in__isnull=False
        )
        .distinct()
        .first()
    )
    assert child is not None
    network = person_network(child, depth=2)
    mothers = Relationship.objects.filter(to_person=child, kind="mother_of").values_list(
        "from_person", flat=True
    )
    members = {m.person.pk for m in network.members}
    assert set(mothers) <= members
    assert any(m.distance == 2 for m in network.members)

    response = alice_client.get(f"/api/v1/people/{child.pk}/network/?depth=2")
    assert response.status_code == 200
    body = response.json()
    assert {m["person"]["id"] for m in body["members"]} == {str(pk) for pk in members}


def test_identifiers_and_postcodes_are_well_formed():
    assert nhs_check_digit("943476591") == 9  # 943 476 5919, a valid NHS number
    for k in range(0, 200_000, 997):
        assert re.match(UK_POSTCODE, postcode_for(k))
        assert normalise_postcode(postcode_for(k)) == postcode_for(k)
