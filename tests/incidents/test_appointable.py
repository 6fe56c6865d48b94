"""Whom the caller may appoint: GET /api/v1/incidents/{id}/appointable/ lists the active members of the
agencies on the incident (an appointee must be one), for whoever appoints - the control room or the
decision maker - and for no one else."""

import uuid

import pytest

from ooh.audit.models import AccessLog
from ooh.incidents import actions
from tests.factories import member
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def url(incident, query=""):
    return f"/api/v1/incidents/{incident.pk}/appointable/{query}"


def usernames(response):
    assert response.status_code == 200, response.content
    return [item["username"] for item in response.json()["results"]]


@pytest.fixture
def ambulance_asked(alice, bob, incident):
    """The ambulance service (Bob's) is asked to attend: it is on the incident now."""
    actions.request_attendance(
        actor=alice, incident=incident, agency=bob.membership.agency, respond_within_minutes=10
    )
    return bob.membership.agency


def test_lists_the_active_members_of_the_agencies_on_the_incident_only(
    alice, hale, bob, omar, incident, ambulance_asked
):
    police = alice.membership.agency
    gone = member(agency=police, username="retired")
    gone.is_active = False
    gone.save()
    listed = usernames(client_for(alice).get(url(incident)))
    assert {"alice", "hale", "bob"} <= set(listed)
    assert "omar" not in listed  # the EDT is not on the incident
    assert "retired" not in listed
    agencies = {item["agency"]["id"] for item in client_for(alice).get(url(incident)).json()["results"]}
    assert agencies == {str(police.pk), str(ambulance_asked.pk)}


def test_ordered_by_agency_then_name_and_paged_by_cursor(alice, incident, ambulance_asked):
    for n in range(3):
        member(agency=alice.membership.agency, username=f"pc{n}")
    everyone = client_for(alice).get(url(incident)).json()["results"]
    keys = [(item["agency"]["name"], item["display_name"], item["id"]) for item in everyone]
    assert keys == sorted(keys)
    seen, path = [], url(incident, "?page_size=2")
    while path:
        page = client_for(alice).get(path).json()
        assert len(page["results"]) <= 2
        seen += [item["id"] for item in page["results"]]
        path = page["next"]
    assert seen == [item["id"] for item in everyone]


def test_filters_by_agency_and_by_name(alice, hale, bob, incident, ambulance_asked):
    client = client_for(alice)
    assert usernames(client.get(url(incident, f"?agency={ambulance_asked.pk}"))) == ["bob"]
    assert usernames(client.get(url(incident, f"?agency={uuid.uuid4()}"))) == []
    assert usernames(client.get(url(incident, "?search=HAL"))) == ["hale"]
    assert usernames(client.get(url(incident, f"?search={hale.display_name.split()[-1].lower()}"))) == [
        "hale"
    ]


@pytest.mark.parametrize(
    ("query", "attr"),
    [("?agency=not-an-id", "agency"), ("?search=" + "x" * 101, "search")],
)
def test_a_malformed_filter_is_a_400_naming_it(alice, incident, query, attr):
    response = client_for(alice).get(url(incident, query))
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == [attr]


def test_says_who_holds_an_appointment(alice, hale, bob, incident, ambulance_asked):
    actions.appoint(actor=alice, incident=incident, role="decision_maker", user=hale, reason="Sergeant")
    actions.appoint(actor=alice, incident=incident, role="lead_professional", user=bob, reason="Paramedic")
    held = {i["username"]: i["appointed"] for i in client_for(alice).get(url(incident)).json()["results"]}
    assert (held["hale"], held["bob"], held["alice"]) == ("decision_maker", "lead_professional", None)


def test_the_decision_maker_may_list_and_anyone_else_on_the_incident_may_not(alice, hale, bob, incident):
    actions.request_attendance(
        actor=alice, incident=incident, agency=bob.membership.agency, respond_within_minutes=10
    )
    assert client_for(bob).get(url(incident)).status_code == 403
    assert client_for(hale).get(url(incident)).status_code == 403  # a responder who is not deciding
    actions.appoint(actor=alice, incident=incident, role="decision_maker", user=hale, reason="Sergeant")
    assert client_for(hale).get(url(incident)).status_code == 200


def test_outside_need_to_know_and_an_unknown_id_are_404(alice, omar, incident):
    assert client_for(omar).get(url(incident)).status_code == 404
    response = client_for(alice).get(f"/api/v1/incidents/{uuid.uuid4()}/appointable/")
    assert response.status_code == 404


def test_a_fixed_number_of_queries_whatever_the_page(
    alice, incident, ambulance_asked, django_assert_num_queries
):
    client = client_for(alice)
    client.get(url(incident))  # warm: the first request of a client loads more than the page
    with django_assert_num_queries(QUERIES) as few:
        client.get(url(incident))
    for n in range(5):
        member(agency=alice.membership.agency, username=f"extra{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url(incident))


# The token; the incident; the agencies on it; the page of users with their agencies; the audit chain's
# head and the audit row. (With someone appointed, one more: the current appointments.)
QUERIES = 6


def test_the_listing_is_on_the_record(alice, incident):
    response = client_for(alice).get(url(incident))
    listed = {item["id"] for item in response.json()["results"]}
    row = AccessLog.objects.filter(object_type="staff", user=alice).get()
    assert set(row.object_ids) == listed
    assert row.incident_id == incident.pk
