from .accounts import (
    AgencyBriefSerializer,
    AgencySerializer,
    BrowserLoginSerializer,
    BrowserSessionSerializer,
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
    "BrowserLoginSerializer",
    "BrowserSessionSerializer",
    "DeviceSerializer",
    "LoginSerializer",
    "MeSerializer",
    "TokenResponseSerializer",
    "UserSerializer",
    "WsTicketSerializer",
]
