from django.urls import path

from zorgbrug.covenant import views

app_name = "covenant"
urlpatterns = [
    path("", views.index, name="index"),
    path("versions/<int:pk>/", views.covenant_detail, name="covenant_detail"),
    path("versions/<int:pk>/rules/", views.covenant_rules, name="covenant_rules"),
    path("versions/<int:pk>/tariffs/<int:care_site_pk>/", views.site_tariff, name="site_tariff"),
    path("versions/<int:pk>/years/", views.contribution_year, name="contribution_year_new"),
    path("versions/<int:pk>/years/<int:year>/", views.contribution_year, name="contribution_year"),
    path("versions/<int:pk>/keys/", views.allocation_key, name="allocation_key_new"),
    path("versions/<int:pk>/keys/<int:key_pk>/", views.allocation_key, name="allocation_key"),
    path("versions/<int:pk>/new-version/", views.new_version, name="new_version"),
    path("versions/<int:pk>/parties/", views.parties_sync, name="parties_sync"),
    path(
        "versions/<int:pk>/document-<str:language>.pdf",
        views.covenant_document,
        name="covenant_document",
    ),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("statements/<int:pk>/download.<str:fmt>", views.statement, name="statement_download"),
    path("clients/<int:client_pk>/tariff/", views.parent_tariff, name="parent_tariff"),
    path("<slug:slug>/", views.network_page, name="network"),
    path("<slug:slug>/preview/", views.preview, name="preview"),
    path("<slug:slug>/months/<str:month>/", views.settlement_page, name="settlement"),
    path("<slug:slug>/months/<str:month>/lines.csv", views.cost_lines_csv, name="cost_lines"),
    path(
        "<slug:slug>/months/<str:month>/jobs/<str:job_id>/",
        views.settlement_job,
        name="settlement_job",
    ),
]
