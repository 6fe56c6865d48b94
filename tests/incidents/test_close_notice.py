"""Closing an incident tells its outcome (`incident.outcome`) to the lead professional and the decision
maker appointed on it, and to every agency that was on it: each agency's feed, and the inboxes of its
first-line managers. The incident's own log keeps `incident.closed` exactly as before. A refused close
tells nobody."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.models import Notification
from ooh.accounts.models import Membership
from ooh.errors import Conflict
from ooh.incidents import actions, details, events
from ooh.incidents.models import AppointmentRole, Event
from tests.personas import persona

pytestmark = pytest.mark.django_db
OUTCOME = "Mother and baby safe in hospital; police protection not needed"


@pytest.fixture
def published(monkeypatch):
    """Every message published after commit, with the feeds it went to."""
    sent = []
    monkeypatch.setattr(events, "publish", lambda message, **feeds: sent.append((message, feeds)))
    return sent


@pytest.fixture
def night(alice, hale, omar, morgan, pat, mo, edt, police, incident):
    """Police control (Alice) opened it; EDT was asked to attend; Sergeant Hale is the decision maker and
    Omar, of EDT, the lead professional. Police's duty manager Mo heads its control room supervisor Pat."""
    Membership.objects.filter(user=pat).update(reports_to=mo)
    actions.request_attendance(actor=alice, incident=incident, agency=edt, respond_within_minutes=15)
    actions.appoint(
        actor=alice, incident=incident, role=AppointmentRole.DECISION_MAKER, user=hale, reason="On scene"
    )
    actions.appoint(
        actor=hale, incident=incident, role=AppointmentRole.LEAD_PROFESSIONAL, user=omar, reason="EDT's case"
    )
    incident.refresh_from_db()
    return incident


def _told(kind="incident.outcome"):
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_the_outcome_reaches_each_addressee_inbox_and_the_agencies_feeds(
    night, hale, omar, morgan, pat, edt, police, published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        details.close_incident(actor=hale, incident=night, outcome=OUTCOME, now=now)
    # The decision maker, the lead professional, EDT's duty manager and police's first-line supervisor;
    # not Mo (Pat reports to him), nor Alice (a call handler reads her agency's feed).
    assert _told() == {"hale", "omar", "morgan", "pat"}
    notice = Notification.objects.get(kind="incident.outcome", user=omar)
    assert notice.title == f"Incident {night.reference} closed"
    assert notice.body == OUTCOME
    assert notice.data == {
        "incident": str(night.pk),
        "reference": night.reference,
        "outcome": OUTCOME,
        "closed_at": now.isoformat().replace("+00:00", "Z"),
    }
    assert notice.created_at == now
    [(message, feeds)] = [(m, f) for m, f in published if m["event"] == "incident.outcome"]
    assert {str(a) for a in feeds["feed_agencies"]} == {str(police.pk), str(edt.pk)}
    assert {str(u) for u in feeds["feed_users"]} == {str(u.pk) for u in (hale, omar, morgan, pat)}
    assert message["incident"] is None  # a notice on the feeds, not a line of the incident's log
    assert message["data"]["title"] == notice.title
    assert message["data"]["body"] == OUTCOME
    assert message["data"]["incident"] == str(night.pk)
    assert message["actor"]["username"] == "hale"


def test_the_incidents_log_keeps_incident_closed_as_it_was(night, hale):
    details.close_incident(actor=hale, incident=night, outcome=OUTCOME)
    night.refresh_from_db()
    last = Event.objects.filter(incident=night).order_by("-seq").first()
    assert (last.type, last.seq, last.data) == ("incident.closed", night.last_seq, {"outcome": OUTCOME})
    assert not Event.objects.filter(type="incident.outcome").exists()


def test_only_the_current_appointments_are_told(night, alice, hale, omar, mo):
    actions.appoint(
        actor=hale, incident=night, role=AppointmentRole.LEAD_PROFESSIONAL, user=mo, reason="Taking over"
    )
    details.close_incident(actor=hale, incident=night, outcome=OUTCOME)
    assert "omar" not in _told()
    assert {"hale", "mo"} <= _told()


def test_with_nobody_appointed_the_agencies_managers_still_hear(alice, pat, mo, incident):
    details.close_incident(actor=alice, incident=incident, outcome=OUTCOME)
    assert _told() == {"pat", "mo"}  # police's managers, no line management recorded between them


def test_an_agency_not_on_the_incident_hears_nothing(night, hale):
    persona("max")  # South council's manager
    persona("carol")  # North council's: the family's record is police's, North council is not on it
    details.close_incident(actor=hale, incident=night, outcome=OUTCOME)
    assert _told().isdisjoint({"max", "carol"})


def test_a_refused_close_tells_nobody(night, bob, hale):
    with pytest.raises(ValidationError):
        details.close_incident(actor=hale, incident=night, outcome="  ")
    with pytest.raises(PermissionDenied):
        details.close_incident(actor=bob, incident=night, outcome=OUTCOME)
    assert not Notification.objects.filter(kind="incident.outcome").exists()
    details.close_incident(actor=hale, incident=night, outcome=OUTCOME)
    before = Notification.objects.count()
    with pytest.raises(Conflict):  # closed already: every change is refused
        details.close_incident(actor=hale, incident=night, outcome=OUTCOME)
    assert Notification.objects.count() == before
