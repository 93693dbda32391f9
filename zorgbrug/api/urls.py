"""All of /api/v1/: each domain registers its views here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

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

urlpatterns = [
    path("me/", network_api.me, name="api-me"),
    path("clients/", include(clients_urls)),
    path("", include(router.urls)),
]
