from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    access,
    audit,
    auth,
    concerns,
    devices,
    escalations,
    flags,
    grants,
    incidents,
    people,
    plans,
    records,
    sessions,
)

router = SimpleRouter(use_regex_path=False)
router.register("devices", devices.DeviceViewSet, basename="device")
router.register("auth/sessions", sessions.SessionViewSet, basename="session")
router.register("people", people.PersonViewSet, basename="person")
router.register("addresses", people.AddressViewSet, basename="address")
router.register("relationships", people.RelationshipViewSet, basename="relationship")
router.register("flags", flags.FlagViewSet, basename="flag")
router.register("birth-plans", plans.BirthPlanViewSet, basename="birth-plan")
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("audit", audit.AuditViewSet, basename="audit")
router.register("escalations", escalations.EscalationViewSet, basename="escalation")
router.register("notifications", escalations.NotificationViewSet, basename="notification")
router.register("break-glass", access.BreakGlassViewSet, basename="break-glass")
router.register("concerns", concerns.ConcernViewSet, basename="concern")
router.register("referrals", concerns.ReferralViewSet, basename="referral")
router.register("reviewer-grants", grants.ReviewerGrantViewSet, basename="reviewer-grant")
router.register("legal-holds", grants.LegalHoldViewSet, basename="legal-hold")

app_name = "api"

urlpatterns = [
    path("auth/token/", auth.LoginView.as_view(), name="token"),
    path("auth/browser-login/", auth.BrowserLoginView.as_view(), name="browser-login"),
    path("auth/logout/", auth.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", auth.LogoutAllView.as_view(), name="logout-all"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("agencies/", auth.AgencyListView.as_view(), name="agency-list"),
    path("ws-ticket/", auth.WsTicketView.as_view(), name="ws-ticket"),
    # After the night (api/views/records.py; grants and holds are the router's): before the router, whose people/ and incidents/ routes
    # would otherwise read these paths as their own.
    path(
        "incidents/<uuid:pk>/chronology/",
        records.IncidentChronologyView.as_view(),
        name="incident-chronology",
    ),
    path(
        "concerns/<uuid:pk>/chronology/", records.ConcernChronologyView.as_view(), name="concern-chronology"
    ),
    path(
        "people/<uuid:pk>/subject-access/",
        records.SubjectAccessView.as_view(),
        name="person-subject-access",
    ),
    *router.urls,
]
