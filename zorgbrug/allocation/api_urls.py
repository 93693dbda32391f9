"""/api/v1/allocation-runs/ (included from zorgbrug.api.urls)."""

from django.urls import path

from zorgbrug.allocation import api

urlpatterns = [
    path("", api.RunListApi.as_view(), name="api-allocation-runs"),
    path("<int:pk>/", api.RunDetailApi.as_view(), name="api-allocation-run"),
    path("<int:pk>/decisions/", api.DecisionListApi.as_view(), name="api-allocation-run-decisions"),
    path("<int:pk>/accept/", api.AcceptApi.as_view(), name="api-allocation-run-accept"),
]
