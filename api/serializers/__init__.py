from .accounts import (  # noqa: F401
    AgencyBriefSerializer,
    AgencySerializer,
    DeviceSerializer,
    LoginSerializer,
    TokenResponseSerializer,
    UserSerializer,
    WsTicketSerializer,
)
