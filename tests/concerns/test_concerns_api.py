"""`/api/v1/concerns/` over HTTP: raise, consult, offer and accept a transfer, refer, close; who sees a
concern (lists and detail) and the audit of every read; the issue's bad input, each refused with nothing
written; the list's query count pinned."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ooh.access import policy
from ooh.accounts.models import Role
from ooh.audit.models import AccessedPerson, AccessLog
from ooh.referrals import concerns as actions
from ooh.referrals.models import Concern, TransferStatus
from tests import factories
from tests.factories import member
from tests.personas import agency, client_for, persona

from .helpers import colleague, ok, post, referred, refused, refused_writing_nothing, the_concern

pytestmark = pytest.mark.django_db

CONCERNS = "/api/v1/concerns/"


def _url(concern, tail=""):
    return f"{CONCERNS}{concern.pk}/{tail}"


def _raise_body(a, **fields):
    return {
        "subjects": [str(a.baby.pk)],
        "summary": "Mother's medication",
        "referral_required": True,
        **fields,
    }


def _people(log):
    return set(AccessedPerson.objects.filter(log=log).values_list("person_id", flat=True))


# --- Raising -----------------------------------------------------------------------------------------


def test_the_caller_raises_and_owns_the_concern(baby_a):
    a = baby_a
    body = ok(post(a.connor, CONCERNS, _raise_body(a, subjects=[str(a.baby.pk), str(a.mother.pk)])), 201)
    assert body["owner"]["id"] == body["raised_by"]["id"] == str(a.connor.pk)
    assert body["raised_by_agency"]["code"] == "hospital"
    assert (body["status"], body["pending_transfer"], body["consultations"], body["referrals"]) == (
        "open",
        None,
        [],
        [],
    )
    assert {s["id"] for s in body["subjects"]} == {str(a.baby.pk), str(a.mother.pk)}
    log = AccessLog.objects.get(object_type="concern", action="create")
    assert log.username == "connor"
    assert _people(log) == {a.baby.pk, a.mother.pk}


@pytest.mark.parametrize(
    ("fields", "attr"),
    [
        ({"subjects": []}, "subjects"),
        ({"subjects": None}, "subjects"),
        ({"subjects": "everyone"}, "subjects"),
        ({"subjects": [str(uuid.UUID(int=1))]}, "subjects.0"),  # nobody of that id
        ({"referral_required": "yes"}, "referral_required"),
        ({"referral_required": 1}, "referral_required"),
        ({"referral_required": None}, "referral_required"),
        ({"summary": "   "}, "summary"),
    ],
)
def test_a_concern_with_bad_input_is_refused_naming_the_field(baby_a, fields, attr):
    a = baby_a
    refused_writing_nothing(lambda: post(a.connor, CONCERNS, _raise_body(a, **fields)), 400, attr)


def test_a_concern_about_someone_the_caller_cannot_see_reads_as_no_such_person(baby_a):
    a = baby_a
    sam = persona("sam")  # South council: nothing of the Ash family
    refused_writing_nothing(lambda: post(sam, CONCERNS, _raise_body(a)), 400, "subjects.0")
    # Seen and unseen together (a person South council recorded, and the baby): named by its place.
    moss = factories.person(sam, family_name="Moss")
    body = _raise_body(a, subjects=[str(moss.pk), str(a.baby.pk)])
    refused_writing_nothing(lambda: post(sam, CONCERNS, body), 400, "subjects.1")


# --- Consulting ------------------------------------------------------------------------------------


def test_the_gp_consulted_sees_the_concern_owns_nothing_and_cannot_refer(baby_a):
    a = baby_a
    concern = the_concern(a)
    body = ok(post(a.connor, _url(concern, "consultations/"), {"with_user": str(a.gail.pk)}), 201)
    assert body["with_user"]["id"] == str(a.gail.pk)
    seen = ok(client_for(a.gail).get(_url(concern)))
    assert seen["owner"]["id"] == str(a.connor.pk)
    assert [c["with_user"]["username"] for c in seen["consultations"]] == ["gail"]
    csc = {"to_agency": str(a.agencies["csc"].pk)}
    refused_writing_nothing(lambda: post(a.gail, _url(concern, "referral/"), csc), 403)
    refused_writing_nothing(
        lambda: post(a.gail, _url(concern, "consultations/"), {"with_user": str(a.mia.pk)}), 403
    )
    refused_writing_nothing(
        lambda: post(a.gail, _url(concern, "transfer/"), {"to_user": str(a.gail.pk)}), 403
    )
    ok(post(a.connor, _url(concern, "referral/"), csc), 201)


@pytest.mark.parametrize(
    ("with_user", "attr"),
    [("unknown", "with_user"), ("self", "with_user"), ("admin", "with_user"), (None, "with_user")],
)
def test_a_consultation_with_bad_input_is_refused(baby_a, with_user, attr):
    a = baby_a
    concern = the_concern(a)
    chosen = {
        "unknown": str(uuid.UUID(int=7)),
        "self": str(a.connor.pk),
        "admin": str(a.ada.pk),
        None: None,
    }[with_user]
    refused_writing_nothing(
        lambda: post(a.connor, _url(concern, "consultations/"), {"with_user": chosen}), 400, attr
    )


# --- Transfers -------------------------------------------------------------------------------------


def test_a_transfer_moves_ownership_only_when_accepted(baby_a):
    a = baby_a
    concern = the_concern(a)
    offer = ok(post(a.connor, _url(concern, "transfer/"), {"to_user": str(a.mia.pk)}), 201)
    assert (offer["status"], offer["to_user"]["id"]) == ("pending", str(a.mia.pk))
    seen = ok(client_for(a.mia).get(_url(concern)))
    assert seen["owner"]["id"] == str(a.connor.pk)
    assert seen["pending_transfer"]["id"] == offer["id"]
    csc = {"to_agency": str(a.agencies["csc"].pk)}
    refused_writing_nothing(lambda: post(a.mia, _url(concern, "referral/"), csc), 403)
    accepted = ok(post(a.mia, _url(concern, "transfer/accept/")))
    assert accepted["owner"]["id"] == str(a.mia.pk)
    assert accepted["raised_by"]["id"] == str(a.connor.pk)
    assert accepted["pending_transfer"] is None
    refused_writing_nothing(lambda: post(a.connor, _url(concern, "referral/"), csc), 403)
    assert ok(post(a.mia, _url(concern, "referral/"), csc), 201)["from_agency"]["code"] == "midwifery"


def test_accepting_an_offer_to_someone_else_is_a_403_and_none_at_all_a_409(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    refused_writing_nothing(lambda: post(a.mia, _url(concern, "transfer/accept/")), 404)  # not offered yet
    refused_writing_nothing(
        lambda: post(a.gail, _url(concern, "transfer/accept/")), 409, code="no_transfer_pending"
    )
    ok(post(a.connor, _url(concern, "transfer/"), {"to_user": str(a.mia.pk)}), 201)
    for someone_else in (a.gail, a.connor, a.harriet):  # each sees the concern
        refused_writing_nothing(lambda who=someone_else: post(who, _url(concern, "transfer/accept/")), 403)
    refused_writing_nothing(lambda: post(persona("sam"), _url(concern, "transfer/accept/")), 404)
    assert concern.transfers.get().status == TransferStatus.PENDING
    assert Concern.objects.get(pk=concern.pk).owner == a.connor


def test_a_second_offer_while_one_is_pending_is_a_409(baby_a):
    a = baby_a
    concern = the_concern(a)
    ok(post(a.connor, _url(concern, "transfer/"), {"to_user": str(a.mia.pk)}), 201)
    for to in (a.mia, a.dana):
        refused_writing_nothing(
            lambda to=to: post(a.connor, _url(concern, "transfer/"), {"to_user": str(to.pk)}),
            409,
            code="transfer_pending",
        )


@pytest.mark.parametrize("to_user", ["unknown", "owner", "call handler", "not an id"])
def test_an_offer_with_bad_input_is_refused_naming_to_user(baby_a, to_user):
    a = baby_a
    concern = the_concern(a)
    chosen = {
        "unknown": str(uuid.UUID(int=9)),
        "owner": str(a.connor.pk),
        "call handler": str(persona("alice").pk),
        "not an id": "mia",
    }[to_user]
    refused_writing_nothing(
        lambda: post(a.connor, _url(concern, "transfer/"), {"to_user": chosen}), 400, "to_user"
    )


# --- Closing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_closing_without_a_reason_is_a_400(baby_a, body):
    a = baby_a
    concern = the_concern(a)
    refused_writing_nothing(lambda: post(a.connor, _url(concern, "close/"), body), 400, "reason")
    assert Concern.objects.get(pk=concern.pk).status == "open"


def test_closing_by_the_owner_or_a_manager_of_the_owners_agency_once(baby_a):
    a = baby_a
    concern, other = the_concern(a), the_concern(a)
    referred(a, concern)
    reason = {"reason": "Seen in clinic: no longer a worry"}
    # Carol sees it (it was referred to her council) but manages another agency: 403. Mandy, another
    # agency's manager outside need to know: 404.
    refused_writing_nothing(lambda: post(a.carol, _url(concern, "close/"), reason), 403)
    refused_writing_nothing(lambda: post(a.mandy, _url(concern, "close/"), reason), 404)
    closed = ok(post(a.harriet, _url(concern, "close/"), reason))
    assert (closed["status"], closed["close_reason"]) == ("closed", reason["reason"])
    assert closed["closed_at"] is not None
    refused_writing_nothing(
        lambda: post(a.connor, _url(concern, "close/"), reason), 409, code="concern_closed"
    )
    assert ok(post(a.connor, _url(other, "close/"), reason))["status"] == "closed"


def test_closing_withdraws_the_pending_offer(baby_a):
    a = baby_a
    concern = the_concern(a)
    ok(post(a.connor, _url(concern, "transfer/"), {"to_user": str(a.mia.pk)}), 201)
    closed = ok(post(a.connor, _url(concern, "close/"), {"reason": "Resolved"}))
    assert closed["pending_transfer"] is None
    assert concern.transfers.get().status == TransferStatus.WITHDRAWN
    # No longer offered to her: the concern is outside her need to know.
    refused_writing_nothing(lambda: post(a.mia, _url(concern, "transfer/accept/")), 404)


# --- Referring -------------------------------------------------------------------------------------


def test_a_referral_by_someone_not_the_owner(baby_a):
    a = baby_a
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    csc = {"to_agency": str(a.agencies["csc"].pk)}
    for sees_it in (a.gail, a.mia, a.harriet):  # consulted, offered, the raising agency's manager
        refused_writing_nothing(lambda who=sees_it: post(who, _url(concern, "referral/"), csc), 403)
    stranger = member(role=Role.PRACTITIONER, agency=agency("health"))
    for outside in (persona("sam"), persona("max"), stranger, a.dana, a.ada):  # outside need to know
        refused_writing_nothing(lambda who=outside: post(who, _url(concern, "referral/"), csc), 404)


def test_referring_a_closed_concern_or_twice_to_one_agency_is_a_409(baby_a):
    a = baby_a
    concern, closed = the_concern(a), the_concern(a)
    actions.close_concern(actor=a.connor, concern=closed, reason="Resolved")
    csc = {"to_agency": str(a.agencies["csc"].pk)}
    refused_writing_nothing(
        lambda: post(a.connor, _url(closed, "referral/"), csc), 409, code="concern_closed"
    )
    first = ok(post(a.connor, _url(concern, "referral/"), csc), 201)
    assert (first["status"], first["made_by"]["id"]) == ("unallocated", str(a.connor.pk))
    refused_writing_nothing(
        lambda: post(a.connor, _url(concern, "referral/"), csc), 409, code="already_referred"
    )
    seen = ok(client_for(a.connor).get(_url(concern)))
    assert [r["id"] for r in seen["referrals"]] == [first["id"]]


def test_the_new_referral_answers_as_the_referrals_route_does_waiting_from_today(baby_a):
    """The referral just made is waiting (0 days), as GET /referrals/{id}/ says, not null as though it
    already had its outcome."""
    a = baby_a
    concern = the_concern(a)
    made = ok(post(a.connor, _url(concern, "referral/"), {"to_agency": str(a.agencies["csc"].pk)}), 201)
    assert (made["days_waiting"], made["working_days_waiting"]) == (0, 0)
    assert made == ok(client_for(a.connor).get(f"/api/v1/referrals/{made['id']}/"))


@pytest.mark.parametrize("to_agency", [str(uuid.UUID(int=3)), "csc", None])
def test_a_referral_to_an_unknown_agency_is_a_400_naming_to_agency(baby_a, to_agency):
    a = baby_a
    concern = the_concern(a)
    refused_writing_nothing(
        lambda: post(a.connor, _url(concern, "referral/"), {"to_agency": to_agency}), 400, "to_agency"
    )


# --- Need to know ----------------------------------------------------------------------------------


def _the_whole_cast(a):
    """A concern raised by Connor, consulted on with the GP, offered to Mia, referred to North council
    and allocated to Dana; and a second, transferred to the midwives, that Mandy sees as their manager."""
    concern = the_concern(a)
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    referral = referred(a, concern)
    actions.allocate_referral(actor=a.carol, referral=referral, social_worker=a.dana)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    return concern


def test_who_sees_a_concern_and_who_does_not(baby_a):
    a = baby_a
    concern = _the_whole_cast(a)
    sees = {
        "connor": a.connor,  # raised and owns it
        "gail": a.gail,  # consulted
        "mia": a.mia,  # offered it
        "dana": a.dana,  # allocated its referral
        "harriet": a.harriet,  # manages the raising and owning agency
        "carol": a.carol,  # manages the receiving agency
        "hugo": a.hugo,  # so does the head of service
    }
    does_not = {
        "sam": persona("sam"),  # another council's social worker
        "max": persona("max"),  # and its manager
        "other": colleague(username="other"),  # the receiving agency's other social worker
        "mandy": a.mandy,  # the manager of the agency offered it, before it is accepted
        "ada": a.ada,  # an admin does no casework
        "alice": persona("alice"),  # a control room sees people, not casework
    }
    for name, user in sees.items():
        client = client_for(user)
        listed = ok(client.get(CONCERNS))["results"]
        assert [c["id"] for c in listed] == [str(concern.pk)], name
        assert ok(client.get(_url(concern)))["reference"] == concern.reference, name
    for name, user in does_not.items():
        client = client_for(user)
        assert ok(client.get(CONCERNS))["results"] == [], name
        assert client.get(_url(concern)).status_code == 404, name


def test_the_new_owners_manager_sees_it_once_accepted_and_the_offered_one_no_longer_after_a_withdrawal(
    baby_a,
):
    a = baby_a
    concern = the_concern(a)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    assert client_for(a.mandy).get(_url(concern)).status_code == 404
    actions.accept_transfer(actor=a.mia, concern=concern)
    assert client_for(a.mandy).get(_url(concern)).status_code == 200  # the owning agency's manager
    assert client_for(a.harriet).get(_url(concern)).status_code == 200  # the raising agency's, still


def test_the_subjects_become_a_case_of_the_agencies_that_raised_own_or_received_the_concern(baby_a):
    a = baby_a
    other, sam = colleague(), persona("sam")

    def sees_baby(user):
        return policy.visible_people(user).filter(pk=a.baby.pk).exists()

    assert not sees_baby(other)  # North council has no case on the baby yet
    concern = the_concern(a)
    assert not sees_baby(other)
    referred(a, concern)
    assert sees_baby(other)  # referred to the council: its social workers may work the case
    assert not sees_baby(sam)
    # The concern itself stays within need to know.
    assert client_for(other).get(_url(concern)).status_code == 404


# --- Audit -----------------------------------------------------------------------------------------


def test_every_read_is_audited_naming_the_subjects(baby_a):
    a = baby_a
    concern = the_concern(a, about=[a.baby, a.mother])
    client = client_for(a.connor)
    client.get(_url(concern))
    read = AccessLog.objects.get(object_type="concern", action="read")
    assert read.object_ids == [str(concern.pk)]
    assert (read.username, read.agency_id) == ("connor", a.agencies["hospital"].pk)
    assert _people(read) == {a.baby.pk, a.mother.pk}
    client.get(CONCERNS, {"status": "open"})
    search = AccessLog.objects.get(object_type="concern", action="search")
    assert search.object_ids == [str(concern.pk)]
    assert search.detail["query"] == {"status": ["open"]}
    assert _people(search) == {a.baby.pk, a.mother.pk}
    # A 404 discloses nothing and records no read.
    client_for(persona("sam")).get(_url(concern))
    assert AccessLog.objects.filter(object_type="concern", action="read").count() == 1


def test_the_list_filters_by_status_strictly(baby_a):
    a = baby_a
    open_, closed = the_concern(a), the_concern(a)
    actions.close_concern(actor=a.connor, concern=closed, reason="Resolved")
    client = client_for(a.connor)
    assert [c["id"] for c in ok(client.get(CONCERNS, {"status": "open"}))["results"]] == [str(open_.pk)]
    assert [c["id"] for c in ok(client.get(CONCERNS, {"status": "closed"}))["results"]] == [str(closed.pk)]
    refused(client.get(CONCERNS, {"status": "shut"}), 400, "status")


# --- Query count -----------------------------------------------------------------------------------

# The concerns list, whatever its length: (1) the token with its user and membership, (2) the page of
# concerns with owner, raiser and raising agency joined, (3) their subjects with each person, (4) the
# consultations with both users, (5) the transfers with both users, (6) the referrals with their agency;
# the audit: (7) the chain's tail, (8) the row and (9) the people disclosed, which PostgreSQL writes in one
# statement.
CONCERNS_LIST_QUERIES = {"sqlite": 9, "postgresql": 8}


def _a_busy_concern(a):
    concern = the_concern(a, about=[a.baby, a.mother])
    actions.consult(actor=a.connor, concern=concern, with_user=a.gail)
    actions.offer_transfer(actor=a.connor, concern=concern, to_user=a.mia)
    referred(a, concern)
    return concern


def test_the_concerns_list_costs_the_same_for_one_row_and_for_ten(baby_a):
    a = baby_a
    client = client_for(a.connor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CONCERNS).status_code == 200
        return len(queries), len(client.get(CONCERNS).json()["results"])

    _a_busy_concern(a)
    one, rows_ = count()
    assert rows_ == 1
    for _ in range(9):
        _a_busy_concern(a)
    assert count() == (one, 10)
    assert one == CONCERNS_LIST_QUERIES[connection.vendor]
