"""All of /api/v1/: each domain registers its views here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from zorgbrug.network import api as network_api

router = DefaultRouter()
router.register("networks", network_api.NetworkViewSet, basename="network")
router.register("organisations", network_api.OrganisationViewSet, basename="organisation")
router.register("sites", network_api.SiteViewSet, basename="site")
router.register("contacts", network_api.ContactViewSet, basename="contact")
router.register("memberships", network_api.MembershipViewSet, basename="membership")

urlpatterns = [
    path("me/", network_api.me, name="api-me"),
    path("", include(router.urls)),
]
