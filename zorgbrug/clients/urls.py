from django.urls import path

from zorgbrug.clients import views, views_io

app_name = "clients"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("new/", views.intake, name="intake"),
    path("import/", views_io.caseload_import, name="caseload_import"),
    path("export/", views_io.caseload_export, name="caseload_export"),
    path("<int:pk>/", views.client_detail, name="client_detail"),
    path("<int:pk>/edit/", views.client_edit, name="client_edit"),
    path("<int:pk>/follow/", views.link, name="link"),
    path("<int:pk>/people/new/", views.recipient_add, name="recipient_add"),
    path("<int:pk>/screening/new/", views.screening_new, name="screening_new"),
    path("<int:pk>/consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
