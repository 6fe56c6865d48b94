from .accounts import (
    AgencyBriefSerializer,
    AgencySerializer,
    BrowserSessionSerializer,
    CredentialsSerializer,
    DeviceSerializer,
    LoginSerializer,
    MeSerializer,
    TokenResponseSerializer,
    UserSerializer,
    WsTicketSerializer,
)

__all__ = [
    "AgencyBriefSerializer",
    "AgencySerializer",
    "BrowserSessionSerializer",
    "CredentialsSerializer",
    "DeviceSerializer",
    "LoginSerializer",
    "MeSerializer",
    "TokenResponseSerializer",
    "UserSerializer",
    "WsTicketSerializer",
]
