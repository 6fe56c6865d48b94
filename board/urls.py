"""/board/: the open incidents, one incident, and signing in. Each page is a shell; what it shows comes
from /api/v1/ and the websockets, as any client's does."""

from django.urls import path

from . import views

app_name = "board"

urlpatterns = [
    path("", views.IncidentListPage.as_view(), name="list"),
    path("incidents/<uuid:incident_id>/", views.IncidentPage.as_view(), name="incident"),
    path("sign-in/", views.SignInPage.as_view(), name="sign-in"),
]
