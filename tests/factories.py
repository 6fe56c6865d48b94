"""factory-boy factories for every model the tests build."""

import factory
from django.contrib.auth import get_user_model

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


def member(*, role=Role.RESPONDER, agency=None, username=None, **agency_fields):
    """A user with a membership: the persona most tests need."""
    agency = agency or AgencyFactory(**agency_fields)
    user = UserFactory(**({"username": username} if username else {}))
    MembershipFactory(user=user, agency=agency, role=role)
    user.refresh_from_db()
    return user
