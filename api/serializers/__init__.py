from .accounts import (
    AgencyBriefSerializer,
    AgencySerializer,
    DeviceSerializer,
    LoginSerializer,
    TokenResponseSerializer,
    UserSerializer,
    WsTicketSerializer,
)

__all__ = [
    "AgencyBriefSerializer",
    "AgencySerializer",
    "DeviceSerializer",
    "LoginSerializer",
    "TokenResponseSerializer",
    "UserSerializer",
    "WsTicketSerializer",
]
