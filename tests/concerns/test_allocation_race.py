"""Two managers allocating one referral at the same moment, on PostgreSQL: the referral's row lock lets
exactly one allocate it; the other is told it is allocated already (409) and writes nothing."""

import pytest
from django.db import connection

from alerts.models import Notification
from ooh.referrals.models import Referral, ReferralStatus
from tests.personas import client_for
from tests.racing import race

from .helpers import colleague, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_managers_allocating_one_referral_at_once_one_wins_and_the_other_gets_a_409(baby_a):
    a = baby_a
    assert connection.vendor == "postgresql"
    referral = referred(a)
    other = colleague(username="other")
    # Each manager's phone is signed in before the start line, so the race is the allocation alone.
    contenders = [(client_for(a.carol), a.dana), (client_for(a.hugo), other)]
    answers = {}

    def allocate(client, social_worker):
        response = client.post(
            f"/api/v1/referrals/{referral.pk}/allocate/",
            {"social_worker": str(social_worker.pk)},
            format="json",
        )
        answers[social_worker.username] = response

    race(*[(lambda c=c, sw=sw: allocate(c, sw)) for c, sw in contenders])
    assert sorted(r.status_code for r in answers.values()) == [200, 409]
    [(winner, won)] = [(name, r) for name, r in answers.items() if r.status_code == 200]
    [lost] = [r for r in answers.values() if r.status_code == 409]
    assert lost.json()["errors"][0]["code"] == "already_allocated"
    row = Referral.objects.get(pk=referral.pk)
    assert row.status == ReferralStatus.ALLOCATED
    assert row.allocated_to.username == winner == won.json()["allocated_to"]["username"]
    # One allocation told: the winner's social worker alone heard of it.
    told = Notification.objects.filter(kind="referral.allocated").values_list("user__username", flat=True)
    assert winner in told
    assert ({"dana", "other"} - {winner}).isdisjoint(told)
