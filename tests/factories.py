"""factory-boy factories for every model the tests build, and builders of the records tests make through the
domain actions (people, addresses, links, flags, a family). The named people who use them are in
tests/personas.py."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from ooh.accounts.models import Agency, AgencyKind, Membership, Role

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.LazyAttribute(lambda o: f"Agency {o.code}")
    kind = AgencyKind.POLICE
    out_of_hours_phone = "01632 960000"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Role.RESPONDER


def member(*, role=Role.RESPONDER, agency=None, username=None, is_staff=False, **agency_fields):
    """A user with a membership (of a new agency unless one is given); `is_staff` for the Django admin."""
    agency = agency or AgencyFactory(**agency_fields)
    user = UserFactory(
        **({"username": username} if username else {}), **({"is_staff": True} if is_staff else {})
    )
    MembershipFactory(user=user, agency=agency, role=role)
    user.refresh_from_db()
    return user


def person(actor, **fields):
    """A person through the domain action (search text, identifiers and address as the API would)."""
    from ooh.people.actions import create_person

    fields.setdefault("family_name", "Doe")
    return create_person(actor=actor, **fields)


def address(actor, **fields):
    from ooh.people.actions import create_address

    fields.setdefault("line1", "1 High Street")
    fields.setdefault("postcode", "NE1 4ST")
    return create_address(actor=actor, **fields)


def link(actor, from_person, kind, to_person):
    from ooh.people.actions import link_people

    return link_people(actor=actor, from_person=from_person, to_person=to_person, kind=kind)


def flag(actor, *, on, category="other", severity="low", **fields):
    """A flag on a person or an address, raised by `actor` (who owns it unless `owner` is given)."""
    from ooh.flags.actions import raise_flag
    from ooh.people.models import Address

    subject = {"subject_address": on} if isinstance(on, Address) else {"subject_person": on}
    fields.setdefault("summary", f"{category} marker")
    fields.setdefault("valid_from", timezone.now() - datetime.timedelta(days=1))
    if severity in ("high", "critical"):
        fields.setdefault("review_by", timezone.localdate() + datetime.timedelta(days=90))
    return raise_flag(actor=actor, category=category, severity=severity, **subject, **fields)


def vale_family(actor, *, father=False) -> dict:
    """Kerry Vale at 14 Larch Close and her unborn baby due in a week, recorded by `actor`; with `father`,
    Dean too, the baby's father, at the same address. {"home", "kerry", "baby"[, "dean"]}."""
    home = address(actor, line1="14 Larch Close", postcode="NE3 2QX")
    kerry = person(actor, given_name="Kerry", family_name="Vale", current_address=home)
    baby = person(
        actor,
        family_name="Vale",
        status="unborn",
        expected_date=timezone.localdate() + datetime.timedelta(days=7),
    )
    family = {"home": home, "kerry": kerry, "baby": baby}
    if father:
        family["dean"] = person(actor, given_name="Dean", family_name="Vale", current_address=home)
    link(actor, kerry, "mother_of", baby)
    if father:
        link(actor, family["dean"], "father_of", baby)
    return family
