"""All of /api/v1/: each domain registers its views here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from zorgbrug.care import api as care_api
from zorgbrug.clients import api as clients_api
from zorgbrug.network import api as network_api

router = DefaultRouter()
router.register("networks", network_api.NetworkViewSet, basename="network")
router.register("organisations", network_api.OrganisationViewSet, basename="organisation")
router.register("sites", network_api.SiteViewSet, basename="site")
router.register("contacts", network_api.ContactViewSet, basename="contact")
router.register("memberships", network_api.MembershipViewSet, basename="membership")

clients_urls = [
    path("", clients_api.ClientListApi.as_view(), name="api-clients"),
    path("<int:pk>/", clients_api.ClientDetailApi.as_view(), name="api-client"),
    path("<int:pk>/follow/", clients_api.ClientFollowApi.as_view(), name="api-client-follow"),
    path(
        "<int:pk>/care-recipients/",
        clients_api.CareRecipientListApi.as_view(),
        name="api-client-care-recipients",
    ),
    path(
        "<int:pk>/care-recipients/<int:recipient_id>/",
        clients_api.CareRecipientDetailApi.as_view(),
        name="api-client-care-recipient",
    ),
    path("<int:pk>/consents/", clients_api.ConsentListApi.as_view(), name="api-client-consents"),
    path(
        "<int:pk>/consents/withdraw/",
        clients_api.ConsentWithdrawApi.as_view(),
        name="api-client-consent-withdraw",
    ),
    path(
        "<int:pk>/screenings/",
        clients_api.ScreeningListApi.as_view(),
        name="api-client-screenings",
    ),
]

care_site_urls = [
    path("", care_api.CareSiteListApi.as_view(), name="api-care-sites"),
    path("<int:pk>/", care_api.CareSiteDetailApi.as_view(), name="api-care-site"),
    path("<int:pk>/capacity/", care_api.CapacityApi.as_view(), name="api-care-site-capacity"),
    path(
        "<int:pk>/reservations/",
        care_api.ReservationListApi.as_view(),
        name="api-care-site-reservations",
    ),
    path(
        "<int:pk>/reservations/<int:reservation_id>/",
        care_api.ReservationDetailApi.as_view(),
        name="api-care-site-reservation",
    ),
    path("<int:pk>/vacancies/", care_api.VacancyListApi.as_view(), name="api-care-site-vacancies"),
    path(
        "<int:pk>/vacancies/<int:vacancy_id>/withdraw/",
        care_api.VacancyWithdrawApi.as_view(),
        name="api-care-site-vacancy-withdraw",
    ),
    path("<int:pk>/closures/", care_api.ClosureListApi.as_view(), name="api-care-site-closures"),
    path("<int:pk>/day-list/", care_api.DayListApi.as_view(), name="api-care-site-day-list"),
]

care_request_urls = [
    path("", care_api.CareRequestListApi.as_view(), name="api-care-requests"),
    path("<int:pk>/", care_api.CareRequestDetailApi.as_view(), name="api-care-request"),
    path(
        "<int:pk>/proposals/",
        care_api.ProposalApi.as_view(),
        name="api-care-request-proposals",
    ),
    path("<int:pk>/book/", care_api.BookApi.as_view(), name="api-care-request-book"),
    path(
        "<int:pk>/bookings/",
        care_api.RequestBookingsApi.as_view(),
        name="api-care-request-bookings",
    ),
    path("<int:pk>/cancel/", care_api.CancelApi.as_view(), name="api-care-request-cancel"),
    path("<int:pk>/waitlist/", care_api.WaitlistApi.as_view(), name="api-care-request-waitlist"),
    path("<int:pk>/decide/", care_api.DecideApi.as_view(), name="api-care-request-decide"),
]

urlpatterns = [
    path("me/", network_api.me, name="api-me"),
    path("clients/", include(clients_urls)),
    path("age-bands/", care_api.AgeBandListApi.as_view(), name="api-age-bands"),
    path("care-sites/", include(care_site_urls)),
    path("activities/", care_api.ActivityListApi.as_view(), name="api-activities"),
    path("care-requests/", include(care_request_urls)),
    path(
        "bookings/<int:pk>/attendance/",
        care_api.AttendanceApi.as_view(),
        name="api-booking-attendance",
    ),
    path("calendar-feeds/", care_api.FeedListApi.as_view(), name="api-calendar-feeds"),
    path(
        "calendar-feeds/<int:pk>/revoke/",
        care_api.FeedRevokeApi.as_view(),
        name="api-calendar-feed-revoke",
    ),
    path("training/", include("zorgbrug.training.api_urls")),
    path("pathways/", include("zorgbrug.pathways.api_urls")),
    path("", include("zorgbrug.covenant.api_urls")),
    path("allocation-runs/", include("zorgbrug.allocation.api_urls")),
    path("research/", include("zorgbrug.research.api_urls")),
    path("", include(router.urls)),
]
