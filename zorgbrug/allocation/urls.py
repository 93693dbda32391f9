from django.urls import path

from zorgbrug.allocation import views

app_name = "allocation"
urlpatterns = [
    path("", views.index, name="index"),
    path("networks/<slug:slug>/", views.network_page, name="network"),
    path("networks/<slug:slug>/what-if/", views.what_if_page, name="what_if"),
    path("networks/<slug:slug>/what-if/<str:job_id>/", views.what_if_job, name="what_if_job"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/accept/", views.run_accept, name="run_accept"),
]
