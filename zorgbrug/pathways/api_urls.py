"""/api/v1/pathways/ (included from zorgbrug/api/urls.py)."""

from django.urls import path

from zorgbrug.pathways import api

urlpatterns = [
    path("activities/", api.PathwayActivityListApi.as_view(), name="api-pathway-activities"),
    path("follow-ups/", api.FollowUpListApi.as_view(), name="api-follow-ups"),
    path("outcomes/", api.OutcomeListApi.as_view(), name="api-outcomes"),
]
