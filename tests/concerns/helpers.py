"""What the concern and referral tests share: the Baby A concern written through the actions, the rows a
refused request must leave as they were, and the error shape of a refusal."""

import pytest

from alerts.models import Notification
from ooh.accounts.models import Role
from ooh.referrals import concerns as actions
from ooh.referrals.models import Concern, ConcernTransfer, Consultation, Referral, ReferralResponse
from tests.factories import member
from tests.personas import agency, client_for

WRITTEN = (Concern, Referral, Consultation, ConcernTransfer, ReferralResponse, Notification)


def rows() -> dict[str, int]:
    """How many rows of everything a concern or referral write touches: equal before and after a refusal."""
    return {model.__name__: model.objects.count() for model in WRITTEN}


def raises_writing_nothing(error, call, *, field=None, code=None):
    """The action raises this error (naming the field of a ValidationError) and writes nothing."""
    before = rows()
    with pytest.raises(error) as raised:
        call()
    if field is not None:
        assert field in raised.value.message_dict, raised.value
    if code is not None:
        assert raised.value.code == code
    assert rows() == before
    return raised.value


def post(user, url, body=None):
    return client_for(user).post(url, body or {}, format="json")


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def refused_writing_nothing(call, status, attr=None, code=None):
    """The request `call` makes is refused so, and writes nothing."""
    before = rows()
    error = refused(call(), status, attr, code)
    assert rows() == before
    return error


def refused(response, status, attr=None, code=None):
    """The response is the refusal expected, in the error shape (attr names the field of a 400)."""
    assert response.status_code == status, response.content
    error = response.json()["errors"][0]
    if attr is not None:
        assert error["attr"] == attr, response.content
    if code is not None:
        assert error["code"] == code, response.content
    return error


def the_concern(a, *, by=None, about=None, now=None):
    """Connor's concern about the unborn baby (or another professional's), raised through the action."""
    return actions.raise_concern(
        actor=by or a.connor,
        subjects=about or [a.baby],
        summary="Mother's medication in pregnancy",
        referral_required=True,
        now=now,
    )


def referred(a, concern=None, *, to="csc", now=None):
    """The concern (Connor's unless given) referred by its owner to North council (or another agency)."""
    concern = concern or the_concern(a, now=now)
    concern.refresh_from_db()  # its owner now
    return actions.make_referral(actor=concern.owner, concern=concern, to_agency=agency(to), now=now)


def colleague(code="csc", role=Role.SOCIAL_WORKER, username=None):
    """Another member of an agency of the cast (North council's other social worker by default)."""
    return member(role=role, agency=agency(code), username=username)
