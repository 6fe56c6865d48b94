"""The matrix's world: the Vale world (tests/vale_world.py), then tonight's incident and what every row names."""

import datetime
from dataclasses import dataclass, field

from alerts.escalation_rules import Due, stamp
from alerts.escalations import raise_due
from alerts.models import Notification
from ooh.access import actions as access_actions
from ooh.accounts.actions import issue_token, register_device
from ooh.incidents import actions as incident_actions
from ooh.incidents.models import AppointmentRole, Attendance
from ooh.plans import actions as plan_actions
from ooh.records import holds as records_holds
from ooh.referrals import concerns as concern_actions
from tests.factories import UserFactory
from tests.personas import agency, persona
from tests.vale_world import build_world, complete_plan_fields


@dataclass
class MatrixWorld:
    world: object
    # name -> id (str) of every record the table names (and the plan's version, for If-Match)
    ids: dict = field(default_factory=dict)

    def user(self, name):
        return self.world.users[name]


def _casework(world) -> dict:
    """The health visitor's concern about Kerry and the baby: she consulted the midwife, referred it to
    North council (unallocated) and handed it to Dana, who owns it now; and Dana's second concern, about
    the baby, offered to the midwife and not yet accepted. Raised and owned by agencies whose case the
    Vales already are (or by health visiting, where no persona works), so no persona's rights over the
    family's records change."""
    users, people = world.users, world.people
    hana, dana, mia = users["hana"], users["dana"], users["mia"]
    concern = concern_actions.raise_concern(
        actor=hana,
        subjects=[people["kerry"], people["baby"]],
        summary="Mother missed three antenatal appointments",
        referral_required=True,
    )
    concern_actions.consult(actor=hana, concern=concern, with_user=mia, note="Have you seen her?")
    referral = concern_actions.make_referral(actor=hana, concern=concern, to_agency=world.agencies["csc"])
    concern_actions.offer_transfer(actor=hana, concern=concern, to_user=dana)
    concern_actions.accept_transfer(actor=dana, concern=concern)
    offered = concern_actions.raise_concern(
        actor=dana, subjects=[people["baby"]], summary="No booking scan on record", referral_required=False
    )
    concern_actions.offer_transfer(actor=dana, concern=offered, to_user=mia)
    return {"concern": str(concern.pk), "referral": str(referral.pk), "offered": str(offered.pk)}


def build_matrix_world() -> MatrixWorld:
    """build_world(), then tonight's incident, a second (draft) plan, the shared plan, an
    escalation and its inbox entry, a break-glass access, a registered phone and a second session, and
    the concerns of _casework()."""
    world = build_world()
    agencies, users, people = world.agencies, world.users, world.people
    agencies["ambulance2"] = agency("ambulance2")
    for name in ("ray", "sid", "eve", "dora", "rex"):
        users[name] = persona(name)
    users["nobody"] = UserFactory(username="nobody")
    alice, dana, kerry, baby = users["alice"], users["dana"], people["kerry"], people["baby"]

    # A replacement plan Dana is drafting: a draft beside the plan in force, complete, to activate.
    draft = plan_actions.draft_plan(
        actor=dana, mother=kerry, unborn_child=baby, **complete_plan_fields(world, dana)
    )

    # Tonight: police control opens the incident as the API does (the plan's agencies are stakeholders).
    incident = incident_actions.open_incident(
        actor=alice,
        kind="birth",
        summary="Home birth, mother with an unborn child protection plan",
        subjects=[kerry, baby],
        address=world.home,
    )
    incident_actions.request_attendance(
        actor=alice, incident=incident, agency=agencies["ambulance"], respond_within_minutes=15
    )
    incident_actions.appoint(
        actor=alice,
        incident=incident,
        role=AppointmentRole.DECISION_MAKER,
        user=users["hale"],
        reason="First on scene",
    )
    # Dana leads: North council is on the incident already (its plan), so nobody's rights change. Neither
    # appointee has answered yet (the accept and decline rows answer).
    incident_actions.appoint(
        actor=alice,
        incident=incident,
        role=AppointmentRole.LEAD_PROFESSIONAL,
        user=dana,
        reason="Leads the birth plan",
    )
    # Shared after the incident was opened: the midwives see the plan's mother and baby, not the incident.
    plan_actions.share_plan(actor=dana, plan=world.plan, agencies=[agencies["midwifery"]])

    asked = Attendance.objects.get(incident=incident, agency=agencies["ambulance"])
    escalation = raise_due(
        Due(
            "attendance_not_answered",
            f"attendance:{asked.pk}:{stamp(asked.respond_by)}",
            asked.respond_by,
            "Ambulance service has not answered.",
            users={users["bob"].pk},
            agencies={agencies["ambulance"].pk},
            incident_id=incident.pk,
        )
    )
    notification = Notification.objects.get(escalation=escalation, user=users["bob"])
    grant = access_actions.break_glass(
        actor=users["sid"], person=kerry, reason="Mother reported missing from the ward"
    )
    # After the night: Carol (North council leads: Dana is the lead professional) lets the partnership's
    # reviewer read tonight's chronology for a month.
    reviewer_grant = access_actions.grant_reviewer(
        actor=users["carol"],
        user=users["rex"],
        record=incident,
        lead_agency_id=agencies["csc"].pk,
        review="Rapid review, Family C19",
        reason="Commissioned by the safeguarding partnership",
        expires_at=incident.opened_at + datetime.timedelta(days=30),
    )
    # The data protection officer keeps tonight's records from disposal: the coroner asked for them.
    legal_hold = records_holds.place_hold(
        actor=users["dora"],
        scope="incident",
        target_id=incident.pk,
        reason="The coroner asked for the night's records",
    )
    device, _ = register_device(user=dana, platform="fcm", push_token="dana-work-phone", name="Work phone")
    session, _ = issue_token(user=dana, device_name="Tablet")
    casework = _casework(world)

    ids = {name: str(person.pk) for name, person in people.items()}
    ids |= {
        "home": str(world.home.pk),
        "partner": str(world.links["partner"].pk),
        "ucpp": str(world.flags["ucpp"].pk),
        "violence": str(world.flags["violence"].pk),
        "lena_flag": str(world.flags["lena"].pk),
        "plan": str(world.plan.pk),
        "plan_version": str(world.plan.version),
        "draft": str(draft.pk),
        "incident": str(incident.pk),
        "escalation": str(escalation.pk),
        "notification": str(notification.pk),
        "grant": str(grant.pk),
        "reviewer_grant": str(reviewer_grant.pk),
        "legal_hold": str(legal_hold.pk),
        "device": str(device.pk),
        "session": session.token_key,
        **casework,
        **{f"agency_{code}": str(agency.pk) for code, agency in agencies.items()},
        **{f"user_{name}": str(user.pk) for name, user in users.items()},
    }
    return MatrixWorld(world=world, ids=ids)
