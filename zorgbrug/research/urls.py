from django.urls import path

from zorgbrug.research import views

app_name = "research"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("public/<slug:slug>/", views.public_page, name="public"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/", views.project_detail, name="project_detail"),
    path("exports/<int:pk>/close/", views.project_close, name="project_close"),
    path("exports/files/<uuid:pk>/", views.export_download, name="export_download"),
    path("dictionary/", views.dictionary, name="dictionary"),
    path("reports/", views.reports, name="reports"),
    path("reports/<uuid:pk>/", views.report_download, name="report_download"),
]
