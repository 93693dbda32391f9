from django.urls import path

from zorgbrug.training import views

app_name = "training"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("modules/new/", views.module_create, name="module_create"),
    path("modules/<int:pk>/", views.module_detail, name="module_detail"),
    path("modules/<int:pk>/edit/", views.module_edit, name="module_edit"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("enrolments/<int:pk>/cancel/", views.enrolment_cancel, name="enrolment_cancel"),
    path(
        "enrolments/<int:pk>/attendance/", views.enrolment_attendance, name="enrolment_attendance"
    ),
    path("enrolments/<int:pk>/care/", views.enrolment_care, name="enrolment_care"),
    path("enrolments/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
]
