"""Login, logout, the caller's identity, the agency list and websocket tickets."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from ooh.accounts.actions import (
    TokenLimitReached,
    issue_token,
    issue_ws_ticket,
    revoke_all_tokens,
    revoke_token,
)
from ooh.accounts.models import Agency
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access

from ..authentication import signed_with
from ..pagination import CodeCursorPagination
from ..permissions import member
from ..serializers import (
    AgencySerializer,
    LoginSerializer,
    TokenResponseSerializer,
    UserSerializer,
    WsTicketSerializer,
)
from ..throttles import LoginIPThrottle, LoginUsernameThrottle, WsTicketThrottle
from .base import BaseAPIView


class LoginView(BaseAPIView):
    not_idempotent = {"post": "issues a token: a replay would have to store it; a retry signs in again"}
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"

    @extend_schema(
        request=LoginSerializer,
        responses={201: TokenResponseSerializer},
        auth=[],
        summary="Exchange a username and password for a device token (expires after 12 h by default)",
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None or not user.is_active or not hasattr(user, "membership"):
            LoginUsernameThrottle().record_failure(request, self)
            record_access(
                request=request,
                action=AccessAction.LOGIN_FAILED,
                object_type="session",
                username=data["username"],
                detail={"device_name": data["device_name"]},
            )
            raise AuthenticationFailed("Wrong username or password.")
        try:
            instance, token = issue_token(user=user, device_name=data["device_name"])
        except TokenLimitReached as refused:
            raise PermissionDenied(refused.detail, code=refused.code) from refused
        record_access(
            request=request,
            actor=user,
            action=AccessAction.LOGIN,
            object_type="session",
            detail={"device_name": data["device_name"]},
        )
        body = {"token": token, "expiry": instance.expiry, "user": UserSerializer(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


class LogoutView(BaseAPIView):
    not_idempotent = {"post": "ends the token the request signs with: a retry is refused as unauthenticated"}

    @extend_schema(request=None, responses={204: OpenApiResponse(description="This token is revoked")})
    def post(self, request: Request) -> Response:
        revoke_token(token=signed_with(request))
        record_access(request=request, action=AccessAction.LOGOUT, object_type="session")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(BaseAPIView):
    not_idempotent = {"post": "ends every token, this one too: a retry is refused as unauthenticated"}

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Every token of the user is revoked")}
    )
    def post(self, request: Request) -> Response:
        count = revoke_all_tokens(user=member(request))
        record_access(
            request=request, action=AccessAction.LOGOUT, object_type="session", detail={"revoked": count}
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(BaseAPIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(member(request)).data)


class AgencyListView(generics.ListAPIView[Agency]):
    serializer_class = AgencySerializer
    queryset = Agency.objects.all()
    pagination_class = CodeCursorPagination


class WsTicketView(BaseAPIView):
    not_idempotent = {
        "post": "issues a one-use ticket: a replay would have to store it; a retry gets another"
    }
    throttle_classes = [WsTicketThrottle]

    @extend_schema(request=None, responses={201: WsTicketSerializer})
    def post(self, request: Request) -> Response:
        ticket, ttl = issue_ws_ticket(user=member(request), token_digest=signed_with(request).digest)
        return Response(
            WsTicketSerializer({"ticket": ticket, "expires_in": ttl}).data, status=status.HTTP_201_CREATED
        )
