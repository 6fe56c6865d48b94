"""Recording a birth: the unborn baby becomes a living child, keeping every link, flag and plan, and the
people the plan was written for hear of it (the lead professional, and every agency it was shared with).

The pre-birth protocol ends with the birth: its escalations are resolved when the sweeper next finds
the baby no longer unborn (alerts/prebirth_rules.py). The plan's "at birth" instructions lead the
child's picture from now on (ooh/picture/guidance.py).
"""

import uuid
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.lines import first_line_managers
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.errors import Conflict
from ooh.incidents.notices import tell
from ooh.people.models import Person, PersonStatus
from ooh.plans.models import BirthPlan, PlanShare, PlanStatus

from .calendar import local_date

# Plans a birth is news for: the plan in force, and one still being drafted.
OPEN_PLANS = (PlanStatus.ACTIVE, PlanStatus.DRAFT)


def _tell(actor: User, person: Person, plans: list[BirthPlan], now: datetime) -> list[uuid.UUID]:
    """The lead professionals, and each shared agency's feed and its first-line managers' inboxes."""
    shared = set(PlanShare.objects.filter(plan__in=plans).values_list("agency_id", flat=True).distinct())
    born = person.date_of_birth
    expected = f", expected {person.expected_date:%d %b %Y}," if person.expected_date else ""
    where = f" at {person.place_of_birth}" if person.place_of_birth else ""
    return tell(
        event="person.born",
        users=[plan.lead_professional_id for plan in plans] + sorted(first_line_managers(shared), key=str),
        agencies=sorted(shared, key=str),
        title="A baby with a birth plan has been born",
        body=f"The baby of a birth plan you lead or hold{expected} was born on {born:%d %b %Y}{where}. "
        "The plan's instructions at birth apply now.",
        data={
            "person": str(person.pk),
            "date_of_birth": born.isoformat() if born else None,
            "place_of_birth": person.place_of_birth,
            "birth_plans": [str(plan.pk) for plan in plans],
        },
        at=now,
        actor=actor,
    )


@transaction.atomic
def record_birth(
    *,
    actor: User,
    person: Person,
    date_of_birth: date,
    place: str,
    now: datetime | None = None,
) -> Person:
    """The unborn baby is born: status living, the date and place of birth; the expected date, links,
    flags and plans stay. Tells the plan's lead professional and every agency it was shared with."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not policy.may_record_birth(actor, person):
        raise PermissionDenied(
            "Only an agency with a case on the baby, or someone at an open incident about it, records its birth."
        )
    if person.status != PersonStatus.UNBORN:
        raise Conflict(f"This person is {person.status}, not an unborn baby.", code="not_unborn")
    if date_of_birth > local_date(now):
        raise ValidationError({"date_of_birth": "A date of birth cannot be in the future."})
    person.status, person.date_of_birth, person.place_of_birth = PersonStatus.LIVING, date_of_birth, place
    person.save(update_fields=["status", "date_of_birth", "place_of_birth", "updated_at"])
    plans = list(BirthPlan.objects.filter(unborn_child=person, status__in=OPEN_PLANS).order_by("created_at"))
    told = _tell(actor, person, plans, now)
    record_access(
        action=AccessAction.UPDATE,
        object_type="person",
        object_ids=[person.pk],
        person_ids=[person.pk],
        actor=actor,
        detail={
            "born": date_of_birth.isoformat(),
            "place_of_birth": place,
            "birth_plans": [str(plan.pk) for plan in plans],
            "told": [str(user) for user in told],
        },
    )
    return person
