"""DASH risk assessments: the SafeLives Dash risk checklist (24 questions) about a victim of domestic
abuse, its score and risk level, and whether a referral to the MARAC (the multi-agency risk assessment
conference) is recommended, and why.

The thresholds are SafeLives': 14 or more `yes` answers is high risk ("visible high risk"), 10 to 13
medium, fewer standard. A MARAC referral is recommended on any of: visible high risk; the assessor's
professional judgement that the risk is high; potential escalation (3 or more police call-outs in the
last 12 months); a previous MARAC referral within 12 months (a repeat), which the service works out from
its own record: a `marac_case` flag raised on the person (as an assessment that recommends a referral
does when its assessor chooses) in the 12 months before now.
"""

import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ooh.access import policy
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access
from ooh.flags import actions as flag_actions
from ooh.flags.models import Flag, FlagCategory, FlagStatus, Severity
from ooh.incidents.models import Incident
from ooh.people.models import Person

from .calendar import local_date
from .models import DashAssessment, RiskLevel

# The checklist's questions, in its order and numbering, in short.
QUESTIONS: dict[str, str] = {
    "1": "Has the current incident resulted in injury?",
    "2": "Are you very frightened?",
    "3": "What are you afraid of? Is it further injury or violence?",
    "4": "Do you feel isolated from family or friends?",
    "5": "Are you feeling depressed or having suicidal thoughts?",
    "6": "Have you separated or tried to separate from the abuser within the past year?",
    "7": "Is there conflict over child contact?",
    "8": "Does the abuser constantly text, call, contact, follow, stalk or harass you?",
    "9": "Are you pregnant, or have you had a baby in the last 18 months?",
    "10": "Is the abuse happening more often?",
    "11": "Is the abuse getting worse?",
    "12": "Does the abuser try to control everything you do, or are they excessively jealous?",
    "13": "Has the abuser ever used weapons or objects to hurt you?",
    "14": "Has the abuser ever threatened to kill you or someone else, and you believed them?",
    "15": "Has the abuser ever attempted to strangle, choke, suffocate or drown you?",
    "16": "Does the abuser do or say things of a sexual nature that make you feel bad or physically hurt you "
    "or someone else?",
    "17": "Is there any other person who has threatened you or whom you are afraid of?",
    "18": "Do you know if the abuser has hurt anyone else (children, relatives, previous partners, "
    "strangers)?",
    "19": "Has the abuser ever mistreated an animal or the family pet?",
    "20": "Are there any financial issues (dependence on the abuser for money, a recent loss of job)?",
    "21": "Has the abuser had problems in the past year with drugs, alcohol or mental health, leading to "
    "problems in leading a normal life?",
    "22": "Has the abuser ever threatened or attempted suicide?",
    "23": "Has the abuser ever breached bail, an injunction or any agreement about when they can see you or "
    "the children?",
    "24": "Do you know if the abuser has ever been in trouble with the police or has a criminal history?",
}
ANSWERS = ("yes", "no", "not_known")
_When = TypeVar("_When", datetime.date, datetime.datetime)

HIGH_RISK_SCORE = 14
MEDIUM_RISK_SCORE = 10
ESCALATION_CALL_OUTS = 3
# More call-outs than this in a year is a typing error (the column holds a small number).
MAX_CALL_OUTS = 999
# The longest key an error names as `answers.<key>`; a longer one is named `answers`.
LONGEST_KEY_NAMED = 12


# --- The checklist: answers, score, level ------------------------------------------------------------


def check_answers(answers: object) -> dict[str, str]:
    """Every question answered yes, no or not_known, and nothing else; a 400 names the question."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": 'Give the answers as an object: {"1": "yes", ... "24": "no"}.'})
    for number in QUESTIONS:
        if number not in answers:
            raise ValidationError({f"answers.{number}": f"Answer question {number}: yes, no or not_known."})
        if answers[number] not in ANSWERS:
            raise ValidationError(
                {f"answers.{number}": f"Question {number} is answered yes, no or not_known."}
            )
    for key in answers:
        if key not in QUESTIONS:
            name = f"answers.{key}" if len(str(key)) <= LONGEST_KEY_NAMED else "answers"
            raise ValidationError({name: "There is no such question: they are numbered 1 to 24."})
    return {number: answers[number] for number in QUESTIONS}


def check_call_outs(value: object) -> int:
    """Police call-outs in the last 12 months: a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"incidents_last_12_months": "Give a whole number of police call-outs."})
    if not 0 <= value <= MAX_CALL_OUTS:
        raise ValidationError(
            {"incidents_last_12_months": f"Give a number of police call-outs from 0 to {MAX_CALL_OUTS}."}
        )
    return value


def check_judgement(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(
            {"professional_judgement_high_risk": "Say true or false: do you judge the risk to be high?"}
        )
    return value


def score(answers: Mapping[str, str]) -> int:
    """The number of `yes` answers."""
    return sum(1 for answer in answers.values() if answer == "yes")


def risk_level(total: int) -> str:
    """14 or more: high; 10 to 13: medium; fewer: standard."""
    if total >= HIGH_RISK_SCORE:
        return RiskLevel.HIGH
    if total >= MEDIUM_RISK_SCORE:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


# --- Whether MARAC is recommended: one small rule per criterion --------------------------------------


def years_from(moment: _When, years: int) -> _When:
    """The same day (and time) `years` later or earlier; 29 February becomes the 28th."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def twelve_months_before(moment: datetime.datetime) -> datetime.datetime:
    return years_from(moment, -1)


def visible_high_risk(total: int) -> str | None:
    if total < HIGH_RISK_SCORE:
        return None
    return f"visible high risk: {total} of the 24 answers are yes ({HIGH_RISK_SCORE} or more)"


def professional_judgement(high_risk: bool) -> str | None:
    return "professional judgement: the assessor judges the risk to be high" if high_risk else None


def potential_escalation(call_outs: int) -> str | None:
    if call_outs < ESCALATION_CALL_OUTS:
        return None
    return (
        f"potential escalation: {call_outs} police call-outs in the last 12 months "
        f"({ESCALATION_CALL_OUTS} or more)"
    )


def repeat_referral(previous: datetime.datetime | None) -> str | None:
    if previous is None:
        return None
    return f"a previous MARAC referral within 12 months (on {local_date(previous):%d %b %Y})"


def marac_reasons(
    total: int, judgement: bool, call_outs: int, previous: datetime.datetime | None
) -> list[str]:
    """Each reason that applies, in plain words; none: no referral is recommended."""
    found = [
        visible_high_risk(total),
        professional_judgement(judgement),
        potential_escalation(call_outs),
        repeat_referral(previous),
    ]
    return [reason for reason in found if reason is not None]


def previous_marac_referral(person_id: uuid.UUID, now: datetime.datetime) -> datetime.datetime | None:
    """When the person was last referred to the MARAC in the 12 months to `now`, as the record shows: a
    `marac_case` flag raised on them (not revoked: one revoked was raised in error). An earlier
    assessment that only recommended a referral is not one (else every recommendation would recommend
    the next for a year, whether or not anyone referred). One query."""
    since = twelve_months_before(now)
    last: datetime.datetime | None = (
        Flag.objects.filter(
            subject_person_id=person_id,
            category=FlagCategory.MARAC_CASE,
            created_at__gte=since,
            created_at__lte=now,
        )
        .exclude(status=FlagStatus.REVOKED)
        .aggregate(last=Max("created_at"))["last"]
    )
    return last


# --- Recording an assessment --------------------------------------------------------------------------


def _marac_flag(actor: User, person: Person, reasons: list[str], now: datetime.datetime) -> Flag:
    """A `marac_case` flag on the victim, owned by the assessor, reviewed when the 12 months in which a
    new incident is a repeat have passed."""
    today = local_date(now)
    return flag_actions.raise_flag(
        actor=actor,
        subject_person=person,
        owner=actor,
        category=FlagCategory.MARAC_CASE,
        severity=Severity.HIGH,
        summary=f"MARAC referral recommended (DASH {today:%d %b %Y})",
        handling_instructions="A DASH risk assessment recommended a referral to the MARAC: "
        + "; ".join(reasons)
        + ". A new incident within 12 months is a repeat: tell the MARAC.",
        valid_from=now,
        created_at=now,
        review_by=years_from(today, 1),
    )


@transaction.atomic
def assess(
    *,
    actor: User,
    person: Person,
    answers: object,
    professional_judgement_high_risk: object,
    incidents_last_12_months: object,
    raise_flag: bool = False,
    incident: Incident | None = None,
    now: datetime.datetime | None = None,
) -> DashAssessment:
    """Score the checklist and say whether a MARAC referral is recommended and why; with `raise_flag`,
    put a `marac_case` flag on the victim (only when a referral is recommended)."""
    now = now or timezone.now()
    if not policy.may_assess_risk(actor):
        raise PermissionDenied("A casework role assesses risk.")
    checked = check_answers(answers)
    judgement = check_judgement(professional_judgement_high_risk)
    call_outs = check_call_outs(incidents_last_12_months)
    total = score(checked)
    reasons = marac_reasons(total, judgement, call_outs, previous_marac_referral(person.pk, now))
    if raise_flag and not reasons:
        raise ValidationError(
            {"raise_flag": "No MARAC referral is recommended, so no marac_case flag is raised."}
        )
    flag = _marac_flag(actor, person, reasons, now) if raise_flag else None
    assessment = DashAssessment.objects.create(
        person=person,
        assessor=actor,
        agency=actor.membership.agency,
        incident=incident,
        answers=checked,
        score=total,
        risk_level=risk_level(total),
        professional_judgement_high_risk=judgement,
        incidents_last_12_months=call_outs,
        marac_referral_recommended=bool(reasons),
        reasons=reasons,
        flag=flag,
        at=now,
    )
    record_access(
        action=AccessAction.CREATE,
        object_type="dash_assessment",
        object_ids=[assessment.pk],
        person_ids=[person.pk],
        actor=actor,
        incident_id=incident.pk if incident is not None else None,
        detail={"risk_level": assessment.risk_level, "marac": assessment.marac_referral_recommended},
    )
    return assessment


# --- What the picture shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MaracRecommendation:
    """A DASH assessment that recommended a MARAC referral, as the picture's guidance reads it."""

    assessment_id: uuid.UUID
    person_id: uuid.UUID
    at: datetime.datetime
    reasons: tuple[str, ...]


def marac_recommendations(
    person_ids: Iterable[uuid.UUID], now: datetime.datetime
) -> list[MaracRecommendation]:
    """For each of these people, the latest assessment in the 12 months to `now` that recommended a
    MARAC referral (one query)."""
    rows = (
        DashAssessment.objects.filter(
            person_id__in=list(person_ids),
            marac_referral_recommended=True,
            at__gte=twelve_months_before(now),
            at__lte=now,
        )
        .order_by("person_id", "-at", "id")
        .values_list("id", "person_id", "at", "reasons")
    )
    latest: dict[uuid.UUID, MaracRecommendation] = {}
    for assessment_id, person_id, at, reasons in rows:
        latest.setdefault(person_id, MaracRecommendation(assessment_id, person_id, at, tuple(reasons)))
    return list(latest.values())
