"""Websocket routing: the live incident and the caller's feed, behind token-or-ticket authentication."""

from channels.routing import URLRouter
from django.urls import path

from .consumers import FeedConsumer, IncidentConsumer
from .ws_auth import TokenOrTicketAuthMiddleware

websocket_urlpatterns = [
    path("ws/v1/incidents/<uuid:incident_id>/", IncidentConsumer.as_asgi()),
    path("ws/v1/feed/", FeedConsumer.as_asgi()),
]

websocket_application = TokenOrTicketAuthMiddleware(URLRouter(websocket_urlpatterns))
