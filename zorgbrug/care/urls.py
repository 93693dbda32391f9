from django.urls import path

from zorgbrug.care import views

app_name = "care"
urlpatterns = [
    path("clients/<int:client_pk>/ask/", views.ask_care, name="ask_care"),
    path("clients/<int:client_pk>/", views.client_care, name="client_care"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/book/", views.request_book, name="request_book"),
    path("requests/<int:pk>/waitlist/", views.request_waitlist, name="request_waitlist"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("sites/", views.my_sites, name="my_sites"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/day/<str:day>/", views.day_list, name="day_list"),
    path(
        "sites/<int:pk>/requests/<int:request_pk>/decide/",
        views.provider_decide,
        name="provider_decide",
    ),
    path("bookings/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("networks/<slug:slug>/", views.network_care, name="network_care"),
]
