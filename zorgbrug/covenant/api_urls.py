"""/api/v1/ routes of the covenant domain (included from zorgbrug/api/urls.py)."""

from django.urls import path

from zorgbrug.covenant import api

urlpatterns = [
    path("covenants/", api.CovenantListApi.as_view(), name="api-covenants"),
    path("covenants/<int:pk>/", api.CovenantDetailApi.as_view(), name="api-covenant"),
    path("settlements/", api.SettlementListApi.as_view(), name="api-settlements"),
    path("settlements/<int:pk>/", api.SettlementDetailApi.as_view(), name="api-settlement"),
    path(
        "settlements/<int:pk>/close/",
        api.SettlementCloseApi.as_view(),
        name="api-settlement-close",
    ),
    path(
        "settlements/<int:pk>/cost-lines/",
        api.CostLineListApi.as_view(),
        name="api-settlement-cost-lines",
    ),
    path("statements/", api.StatementListApi.as_view(), name="api-statements"),
    path("statements/<int:pk>/", api.StatementDetailApi.as_view(), name="api-statement"),
    path("settlement-figures/", api.FigureListApi.as_view(), name="api-settlement-figures"),
]
