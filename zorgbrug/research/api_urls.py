"""/api/v1/research/ (included from zorgbrug.api.urls)."""

from django.urls import path

from zorgbrug.research import api

urlpatterns = [
    path("indicators/", api.IndicatorsApi.as_view(), name="api-research-indicators"),
    path(
        "indicators/definitions/",
        api.DefinitionsApi.as_view(),
        name="api-research-indicator-definitions",
    ),
]
