"""Websocket routing: the live incident and the caller's feed, behind token-or-ticket authentication."""

from channels.routing import URLRouter
from django.urls import path

from .admission import AdmissionMiddleware, UserSocketLimit
from .consumers import FeedConsumer, IncidentConsumer
from .ws_auth import TokenOrTicketAuthMiddleware

# Channels routes ASGI applications with Django's path(), as its documentation does; django-stubs' path()
# takes views only, and Channels' stubs expect a pattern type of their own from it.
websocket_urlpatterns = [
    path("ws/v1/incidents/<uuid:incident_id>/", IncidentConsumer.as_asgi()),  # type: ignore[arg-type]  # ASGI app
    path("ws/v1/feed/", FeedConsumer.as_asgi()),  # type: ignore[arg-type]  # an ASGI application, not a view
]

# Django's URLPattern, which is what Channels' URLRouter reads (its stubs name a subclass of their own).
# Admission first: a busy process refuses before the token lookup; the user's own limit after it.
websocket_application = AdmissionMiddleware(
    TokenOrTicketAuthMiddleware(UserSocketLimit(URLRouter(websocket_urlpatterns)))  # type: ignore[arg-type]
)
