"""The demo night, modelled on scenario S1 (Family C19): the Vale family, their baby's birth plan, and an
incident opened 30 minutes ago that is still unfolding - the out-of-hours team has said it cannot attend,
police have not answered and nobody decides yet. Everything is written through the domain actions, as
the API would, so the picture, the headline and the timeline are the real ones.

Loaded once: a second `make demo` finds the family's birth plan and leaves the night as it is.
"""

import datetime
from collections.abc import Mapping

from django.utils import timezone

from ooh.accounts.models import Agency, User
from ooh.flags.actions import raise_flag
from ooh.incidents import actions as incidents
from ooh.incidents.models import Incident
from ooh.people.actions import create_address, create_person, link_people
from ooh.people.models import Address, Person
from ooh.plans import actions as plans
from ooh.plans.models import BirthPlan

SUMMARY = "Mother in labour at home; baby on an unborn child protection plan"


def load_night(agencies: Mapping[str, Agency], users: Mapping[str, User]) -> Incident | None:
    """Create the Vale family and the night's incident; None if they are there already."""
    if BirthPlan.objects.filter(mother__family_name="Vale", mother__given_name="Kerry").exists():
        return None
    now = timezone.now()
    dana, asha, omar, hale = users["dana"], users["asha"], users["omar"], users["hale"]
    home = create_address(actor=dana, line1="14 Larch Close", town="Northshire", postcode="NE3 2QX")
    expected = timezone.localdate() + datetime.timedelta(days=7)
    kerry = create_person(actor=dana, given_name="Kerry", family_name="Vale", current_address=home)
    dean = create_person(actor=dana, given_name="Dean", family_name="Vale", current_address=home)
    baby = create_person(
        actor=dana, given_name="Baby", family_name="Vale", status="unborn", expected_date=expected
    )
    link_people(actor=dana, from_person=kerry, to_person=baby, kind="mother_of")
    link_people(actor=dana, from_person=dean, to_person=baby, kind="father_of")
    link_people(actor=dana, from_person=dean, to_person=kerry, kind="partner_of")
    since, review = now - datetime.timedelta(days=60), timezone.localdate() + datetime.timedelta(days=90)
    for subject, category, severity, summary, handling in (
        (baby, "unborn_child_protection_plan", "critical", "Unborn child protection plan", ""),
        (
            baby,
            "removal_at_birth_plan",
            "high",
            "Plan to remove at birth",
            "Do not disclose the plan to the parents",
        ),
        (dean, "violence", "high", "Assaulted a social worker in 2025", ""),
        (dean, "threats_to_staff", "critical", "Threatens staff who visit", ""),
        (
            home,
            "dangerous_animal",
            "high",
            "Large dog, not always shut away",
            "Ask for the dog to be shut away",
        ),
    ):
        raise_flag(
            actor=dana,
            subject_person=subject if isinstance(subject, Person) else None,
            subject_address=subject if isinstance(subject, Address) else None,
            category=category,
            severity=severity,
            summary=summary,
            handling_instructions=handling,
            valid_from=since,
            review_by=review,
        )
    plan = plans.draft_plan(
        actor=dana,
        mother=kerry,
        unborn_child=baby,
        expected_date=expected,
        planned_place_of_birth="hospital",
        hospital="Northshire General",
        lead_professional=dana,
        child_protection_status="unborn_child_protection_plan",
        child_protection_since=timezone.localdate() - datetime.timedelta(days=60),
        legal_status="pre_proceedings",
        legal_status_since=timezone.localdate() - datetime.timedelta(days=30),
        plan_at_birth="Baby to stay in hospital with mother; no discharge without a strategy discussion.",
        home_birth_contingency="Ambulance to take mother and baby to Northshire General; police to attend.",
        out_of_hours_instructions="Call the EDT duty manager; police protection only if the baby is at risk.",
        parents_aware_of_plan=False,
        parents_not_aware_reason="Risk of flight if disclosed before birth.",
        people_excluded=[{"name": "Dean Vale", "reason": "Threats to staff"}],
        key_contacts=[
            {
                "agency": agencies["northshire-edt"],
                "name": "EDT duty manager",
                "phone_out_of_hours": "01632 960004",
            },
            {
                "agency": agencies["northshire-police"],
                "name": "DS Roe",
                "role": "Public protection",
                "phone_in_hours": "01632 960100",
            },
            {
                "agency": agencies["northshire-csc"],
                "name": "Dana Reid",
                "role": "Social worker",
                "phone_in_hours": "01632 960103",
            },
        ],
    )
    plan = plans.activate_plan(
        actor=dana, plan=plan, agreed_on=timezone.localdate() - datetime.timedelta(days=14)
    )
    readers = ["northshire-police", "northshire-ambulance", "northshire-edt", "northshire-midwifery"]
    plans.share_plan(actor=dana, plan=plan, agencies=[agencies[code] for code in readers])
    plans.acknowledge_plan(actor=hale, plan=plan)
    plans.acknowledge_plan(actor=omar, plan=plan)
    opened = now - datetime.timedelta(minutes=30)
    incident = incidents.open_incident(
        actor=asha, kind="birth", summary=SUMMARY, subjects=[kerry, baby], address=home, now=opened
    )
    for code in ("northshire-police", "northshire-ambulance", "northshire-edt"):
        incidents.request_attendance(
            actor=asha, incident=incident, agency=agencies[code], respond_within_minutes=10, now=opened
        )
    incidents.update_attendance(
        actor=users["nina"],
        incident=incident,
        status="attending",
        eta=now + datetime.timedelta(minutes=8),
        now=opened + datetime.timedelta(minutes=4),
    )
    incidents.update_attendance(
        actor=omar,
        incident=incident,
        status="cannot_attend",
        agreed_role="Phone advice to the decision maker; police to use police protection powers if needed",
        now=opened + datetime.timedelta(minutes=20),
    )
    return incident
