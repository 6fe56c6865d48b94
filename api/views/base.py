"""What every endpoint does the same way (NetBox's base viewsets are the model).

- Fails closed: the default permission (api.permissions.IsAgencyMember) on every view.
- Restricts the queryset through the one access policy: a viewset names its `visible_to` policy function,
  so a record outside need to know is never found (404, as an id never issued).
- Audits what it shows: `audit()` writes one access-log row with the request's purpose.
- Applies Idempotency-Key to every POST: subclasses are wrapped when they are defined, so a new POST
  action cannot forget it (tests/access/test_idempotency_routes.py proves it route by route). A POST that
  issues or ends a credential says so in `not_idempotent` with its reason: a replay would have to store
  the secret, or would be refused anyway once the token it used is gone.
"""

import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar, cast

from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from api.idempotency import idempotent
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access

_M = TypeVar("_M", bound=Model)


def _post_handlers(cls: type) -> list[str]:
    """The methods of a view class that answer POST: `post`, `create`, and @action(methods=["post"])."""
    names = [name for name in ("post", "create") if callable(getattr(cls, name, None))]
    for name in dir(cls):
        mapping = getattr(getattr(cls, name, None), "mapping", None)
        if mapping is not None and "post" in mapping and name not in names:
            names.append(name)
    return names


def make_posts_idempotent(cls: type) -> None:
    for name in _post_handlers(cls):
        if name in getattr(cls, "not_idempotent", {}):
            continue
        handler = getattr(cls, name)
        if not getattr(handler, "honours_idempotency_key", False):
            setattr(cls, name, idempotent(handler))


class IdempotentPosts:
    """Every POST of the class honours Idempotency-Key, unless named in `not_idempotent` with a reason."""

    not_idempotent: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        make_posts_idempotent(cls)


class BaseAPIView(IdempotentPosts, APIView):
    """A plain endpoint (not a collection of records): fails closed, and its POST is idempotent."""


class PolicyViewSet(IdempotentPosts, viewsets.GenericViewSet[_M]):
    """A collection of records restricted by the access policy and audited when read."""

    # The policy's `visible_*` function for this collection: user -> queryset.
    visible_to: ClassVar[Callable[..., QuerySet[Any]]]
    audit_type: ClassVar[str] = ""  # the access log's object_type
    select_related: ClassVar[tuple[str, ...]] = ()
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[_M]:
        queryset = type(self).visible_to(self.request.user)
        return queryset.select_related(*self.select_related) if self.select_related else queryset

    def people_of(self, rows: Iterable[_M]) -> list[uuid.UUID]:
        """The people a read of these rows discloses (the audit names them)."""
        return []

    def listed_page(self) -> list[_M]:
        """The page of the filtered collection that a list shows."""
        # Never None: every list is paginated (REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS).
        return cast("list[_M]", self.paginate_queryset(self.filter_queryset(self.get_queryset())))

    def audit(
        self,
        rows: Iterable[_M],
        *,
        action: str = AccessAction.READ,
        object_type: str = "",
        incident_id: uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        rows = list(rows)
        request: Request = self.request
        record_access(
            action=action,
            object_type=object_type or self.audit_type,
            object_ids=[row.pk for row in rows],
            person_ids=self.people_of(rows),
            request=request,
            incident_id=incident_id,
            detail=detail,
        )
