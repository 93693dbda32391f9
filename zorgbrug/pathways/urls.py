from django.urls import path

from zorgbrug.pathways import views

app_name = "pathways"
urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("clients/<int:client_pk>/", views.client_pathway, name="client_pathway"),
    path("clients/<int:client_pk>/outcome/", views.outcome_new, name="outcome_new"),
]
