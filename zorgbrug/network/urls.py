from django.urls import path

from zorgbrug.network import views

app_name = "network"
urlpatterns = [
    path("networks/", views.network_list, name="network_list"),
    path("networks/<slug:slug>/", views.network_detail, name="network_detail"),
    path("networks/<slug:slug>/edit/", views.network_edit, name="network_edit"),
    path("networks/<slug:slug>/audit/", views.network_audit, name="network_audit"),
    path(
        "networks/<slug:slug>/organisations/new/",
        views.organisation_create,
        name="organisation_create",
    ),
    path(
        "networks/<slug:slug>/organisations/<int:pk>/roles/",
        views.partner_roles,
        name="partner_roles",
    ),
    path("organisations/mine/", views.my_organisations, name="my_organisations"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/sites/new/", views.site_create, name="site_create"),
    path("organisations/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("organisations/<int:pk>/staff/invite/", views.staff_invite, name="staff_invite"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("memberships/<int:pk>/toggle/", views.membership_toggle, name="membership_toggle"),
    path("invitations/<uuid:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("postcodes/import/", views.postcode_import, name="postcode_import"),
]
