"""/api/v1/training/ (included from zorgbrug/api/urls.py)."""

from django.urls import path

from zorgbrug.training import api

urlpatterns = [
    path("modules/", api.ModuleListApi.as_view(), name="api-training-modules"),
    path("modules/<int:pk>/", api.ModuleDetailApi.as_view(), name="api-training-module"),
    path("sessions/", api.SessionListApi.as_view(), name="api-training-sessions"),
    path("sessions/<int:pk>/", api.SessionDetailApi.as_view(), name="api-training-session"),
    path("sessions/<int:pk>/move/", api.SessionMoveApi.as_view(), name="api-training-session-move"),
    path("enrolments/", api.EnrolmentListApi.as_view(), name="api-training-enrolments"),
    path("enrolments/<int:pk>/", api.EnrolmentDetailApi.as_view(), name="api-training-enrolment"),
    path(
        "enrolments/<int:pk>/cancel/",
        api.EnrolmentCancelApi.as_view(),
        name="api-training-enrolment-cancel",
    ),
    path(
        "enrolments/<int:pk>/attendance/",
        api.EnrolmentAttendanceApi.as_view(),
        name="api-training-enrolment-attendance",
    ),
    path(
        "enrolments/<int:pk>/care/",
        api.EnrolmentCareApi.as_view(),
        name="api-training-enrolment-care",
    ),
]
