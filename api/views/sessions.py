"""The caller's own sessions, one per signed-in device: listed, and each revoked on its own (a lost
phone) - its websockets close at once."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import mixins, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ooh.accounts.actions import live_sessions, revoke_session
from ooh.accounts.models import User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access

from ..authentication import signed_with
from ..pagination import StrictCursorPagination
from ..permissions import member
from ..serializers.accounts import SessionSerializer
from .base import PolicyViewSet


class SessionCursorPagination(StrictCursorPagination):
    ordering = ("-created", "digest")


class SessionViewSet(mixins.ListModelMixin, PolicyViewSet[AuthToken]):
    serializer_class = SessionSerializer
    pagination_class = SessionCursorPagination
    lookup_url_kwarg = "session_id"
    lookup_value_converter = "str"

    @staticmethod
    def visible_to(user: User) -> QuerySet[AuthToken]:  # a member: every request here has one
        return live_sessions(user=user)  # only the caller's own sessions

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "current_digest": signed_with(self.request).digest}

    @extend_schema(summary="The caller's signed-in devices, newest first; `current` marks this one")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Sign out one of the caller's devices; its websockets close with 4403",
        parameters=[
            OpenApiParameter("session_id", str, OpenApiParameter.PATH, description="A session's id.")
        ],
        responses={204: OpenApiResponse(description="That device is signed out")},
    )
    def destroy(self, request: Request, session_id: str) -> Response:
        if not revoke_session(user=member(request), session_id=session_id):
            raise NotFound("No session of yours has this id.")
        record_access(
            request=request, action=AccessAction.LOGOUT, object_type="session", detail={"session": session_id}
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
