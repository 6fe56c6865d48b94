"""Login, logout, the caller's identity, the agency list and websocket tickets."""

from django.contrib.auth import authenticate
from django.middleware.csrf import rotate_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import ErrorResponse401Serializer, ErrorResponse403Serializer
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
from ooh.accounts.browser import DEVICE_NAME, close_browser_session, open_browser_session
from ooh.accounts.models import Agency, User
from ooh.audit.models import AccessAction
from ooh.audit.records import record_access

from ..authentication import BrowserSessionAuthentication, signed_with
from ..pagination import CodeCursorPagination
from ..permissions import member
from ..serializers import (
    AgencySerializer,
    BrowserSessionSerializer,
    CredentialsSerializer,
    LoginSerializer,
    MeSerializer,
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
        user = _authenticated(request, self, data["username"], data["password"], data["device_name"])
        try:
            instance, token = issue_token(user=user, device_name=data["device_name"])
        except TokenLimitReached as refused:
            raise PermissionDenied(refused.detail, code=refused.code) from refused
        _record_login(request, user, data["device_name"])
        body = {"token": token, "expiry": instance.expiry, "user": UserSerializer(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


def _authenticated(request: Request, view: BaseAPIView, username: str, password: str, device: str) -> User:
    """The member these credentials are, or 401 (counted against the username's budget, audited)."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active or not hasattr(user, "membership"):
        LoginUsernameThrottle().record_failure(request, view)
        record_access(
            request=request,
            action=AccessAction.LOGIN_FAILED,
            object_type="session",
            username=username,
            detail={"device_name": device},
        )
        raise AuthenticationFailed("Wrong username or password.")
    return user


def _record_login(request: Request, user: User, device: str) -> None:
    record_access(
        request=request,
        actor=user,
        action=AccessAction.LOGIN,
        object_type="session",
        detail={"device_name": device},
    )


class BrowserLoginView(BaseAPIView):
    """The board's sign-in: a session cookie instead of a token in the body (ooh.accounts.browser)."""

    not_idempotent = {"post": "starts a session: a replay would have to store it; a retry signs in again"}
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        return "Session"

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            201: BrowserSessionSerializer,
            401: OpenApiResponse(ErrorResponse401Serializer, description="Wrong username or password"),
            403: OpenApiResponse(
                ErrorResponse403Serializer,
                description="No valid CSRF token (get the csrftoken cookie from a page of /board/ first), "
                "or the user is at the token limit",
            ),
        },
        auth=[],
        summary="Sign a web browser in (the board): sets the session cookie; CSRF token required",
        description=(
            "The browser never sees a token: the session holds it server-side, and every later request "
            "from the browser is authenticated by the session cookie with the `X-CSRFToken` header. "
            "The session is one of the user's devices (`/auth/sessions/`) and ends with "
            "`/auth/logout/`, or when its token expires."
        ),
    )
    def post(self, request: Request) -> Response:
        # Signing in sets a cookie, so a login forged from another site is refused like any other write.
        BrowserSessionAuthentication().enforce_csrf(request)
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = _authenticated(request, self, data["username"], data["password"], DEVICE_NAME)
        try:
            instance = open_browser_session(request._request.session, user=user)
        except TokenLimitReached as refused:
            raise PermissionDenied(refused.detail, code=refused.code) from refused
        rotate_token(request._request)  # a new CSRF secret for the signed-in session
        _record_login(request, user, DEVICE_NAME)
        body = {"expiry": instance.expiry, "user": UserSerializer(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


class LogoutView(BaseAPIView):
    not_idempotent = {"post": "ends the token the request signs with: a retry is refused as unauthenticated"}

    @extend_schema(request=None, responses={204: OpenApiResponse(description="This token is revoked")})
    def post(self, request: Request) -> Response:
        revoke_token(token=signed_with(request))
        if isinstance(request.successful_authenticator, BrowserSessionAuthentication):
            close_browser_session(request._request.session)
        record_access(request=request, action=AccessAction.LOGOUT, object_type="session")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(BaseAPIView):
    not_idempotent = {"post": "ends every token, this one too: a retry is refused as unauthenticated"}

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Every token of the user is revoked")}
    )
    def post(self, request: Request) -> Response:
        count = revoke_all_tokens(user=member(request))
        if isinstance(request.successful_authenticator, BrowserSessionAuthentication):
            close_browser_session(request._request.session)
        record_access(
            request=request, action=AccessAction.LOGOUT, object_type="session", detail={"revoked": count}
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(BaseAPIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(member(request)).data)


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
