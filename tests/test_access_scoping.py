"""Access scoping: who sees which organisation, site, contact and staff list — pages and API.

The acceptance rule: a user of one organisation gets 403 or 404 for every object URL of
another organisation. Every URL below is tried by every actor of the `world` fixture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from zorgbrug.access import scoping
from zorgbrug.access.models import Invitation
from zorgbrug.access.services import invitation_create

pytestmark = pytest.mark.django_db

# Object URLs of an organisation: (name, builder(world, org, site, contact) -> url, manage_only)
ORG_PAGES: list[tuple[str, Callable[..., str], bool]] = [
    ("organisation", lambda w, o, s, c: reverse("network:organisation_detail", args=[o.pk]), False),
    (
        "organisation edit",
        lambda w, o, s, c: reverse("network:organisation_edit", args=[o.pk]),
        True,
    ),
    ("site add", lambda w, o, s, c: reverse("network:site_create", args=[o.pk]), True),
    ("site edit", lambda w, o, s, c: reverse("network:site_edit", args=[s.pk]), True),
    ("contact add", lambda w, o, s, c: reverse("network:contact_create", args=[o.pk]), True),
    ("contact edit", lambda w, o, s, c: reverse("network:contact_edit", args=[c.pk]), True),
    ("staff invite", lambda w, o, s, c: reverse("network:staff_invite", args=[o.pk]), True),
    ("api organisation", lambda w, o, s, c: f"/api/v1/organisations/{o.pk}/", False),
    ("api site", lambda w, o, s, c: f"/api/v1/sites/{s.pk}/", False),
    ("api contact", lambda w, o, s, c: f"/api/v1/contacts/{c.pk}/", False),
]
POST_ONLY = [
    ("contact delete", lambda w, o, s, c: reverse("network:contact_delete", args=[c.pk])),
]


def _target(world: World, which: str) -> tuple[Any, Any, Any]:
    if which == "org":
        return world.org, world.site, world.contact
    return world.other_org, world.other_site, world.other_contact


@pytest.mark.parametrize(
    "actor_name", ["other_referrer", "far_referrer", "far_coordinator", "provider", "researcher"]
)
@pytest.mark.parametrize(("page", "build", "manage_only"), ORG_PAGES, ids=[p[0] for p in ORG_PAGES])
def test_outsiders_get_403_or_404_for_every_object_url(
    world: World, actor_name: str, page: str, build: Callable[..., str], manage_only: bool
) -> None:
    url = build(world, *_target(world, "org"))
    client = world.client_for(getattr(world, actor_name))
    response = client.get(url)
    assert response.status_code in (403, 404), f"{actor_name} reached {page}: {url}"


@pytest.mark.parametrize("actor_name", ["other_referrer", "far_coordinator", "referrer"])
@pytest.mark.parametrize(("page", "build"), POST_ONLY, ids=[p[0] for p in POST_ONLY])
def test_outsiders_cannot_post_to_another_organisation(
    world: World, actor_name: str, page: str, build: Callable[..., str]
) -> None:
    url = build(world, *_target(world, "org"))
    response = world.client_for(getattr(world, actor_name)).post(url)
    assert response.status_code in (403, 404)
    assert world.contact.__class__.objects.filter(pk=world.contact.pk).exists()


@pytest.mark.parametrize(("page", "build", "manage_only"), ORG_PAGES, ids=[p[0] for p in ORG_PAGES])
def test_members_see_own_organisation_but_only_coordinators_manage(
    world: World, page: str, build: Callable[..., str], manage_only: bool
) -> None:
    url = build(world, *_target(world, "org"))
    member = world.client_for(world.referrer).get(url)
    assert member.status_code == (404 if manage_only else 200), page
    coordinator = world.client_for(world.coordinator).get(url)
    assert coordinator.status_code == 200, page


@pytest.mark.parametrize(("page", "build", "manage_only"), ORG_PAGES, ids=[p[0] for p in ORG_PAGES])
def test_anonymous_is_sent_to_login_or_refused(
    world: World, page: str, build: Callable[..., str], manage_only: bool
) -> None:
    url = build(world, *_target(world, "org"))
    response = Client().get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("access:login"))


def test_coordinator_of_another_network_cannot_manage_this_one(world: World) -> None:
    client = world.client_for(world.far_coordinator)
    for url in (
        reverse("network:network_detail", args=["noord"]),
        reverse("network:network_edit", args=["noord"]),
        reverse("network:organisation_create", args=["noord"]),
        reverse("network:network_audit", args=["noord"]),
        reverse("network:partner_roles", args=["noord", world.org.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_network_pages_need_coordination_to_manage(world: World) -> None:
    client = world.client_for(world.referrer)
    assert client.get(reverse("network:network_detail", args=["noord"])).status_code == 200
    for url in (
        reverse("network:network_edit", args=["noord"]),
        reverse("network:organisation_create", args=["noord"]),
        reverse("network:network_audit", args=["noord"]),
    ):
        assert client.get(url).status_code == 404, url


def test_network_page_links_only_to_visible_organisations(world: World) -> None:
    html = (
        world.client_for(world.referrer)
        .get(reverse("network:network_detail", args=["noord"]))
        .content.decode()
    )
    assert reverse("network:organisation_detail", args=[world.org.pk]) in html
    assert reverse("network:organisation_detail", args=[world.other_org.pk]) not in html
    assert world.other_org.name in html  # the partner list itself is not personal data


def test_staff_list_only_for_colleagues_and_coordinators(world: World) -> None:
    url = reverse("network:organisation_detail", args=[world.org.pk])
    html = world.client_for(world.referrer).get(url).content.decode()
    assert world.trainer.email in html  # a colleague
    assert world.other_referrer.email not in html


def test_api_lists_are_scoped(world: World) -> None:
    client = world.client_for(world.other_referrer)
    orgs = client.get("/api/v1/organisations/").json()["results"]
    assert {o["id"] for o in orgs} == {world.other_org.pk}
    sites = client.get("/api/v1/sites/").json()["results"]
    assert {s["id"] for s in sites} == {world.other_site.pk}
    staff = client.get("/api/v1/memberships/").json()["results"]
    assert {m["user_email"] for m in staff} == {world.other_referrer.email}
    contacts = client.get("/api/v1/contacts/").json()["results"]
    assert {c["id"] for c in contacts} == {world.other_contact.pk}


def test_api_coordinator_sees_all_partners_of_own_network_only(world: World) -> None:
    client = world.client_for(world.coordinator)
    ids = {o["id"] for o in client.get("/api/v1/organisations/").json()["results"]}
    assert world.org.pk in ids and world.other_org.pk in ids and world.provider_org.pk in ids
    assert world.far_org.pk not in ids


def test_researcher_sees_no_staff_or_contacts_of_others(world: World) -> None:
    client = world.client_for(world.researcher)
    assert client.get("/api/v1/contacts/").json()["results"] == []
    emails = {m["user_email"] for m in client.get("/api/v1/memberships/").json()["results"]}
    assert emails == {world.researcher.email}


def test_invitations_scoped_to_coordinators(world: World) -> None:
    invitation, _token = invitation_create(
        actor=world.coordinator,
        organisation=world.org,
        email="new@example.org",
        full_name="New Person",
        role="referrer",
    )
    assert list(scoping.invitations(world.coordinator)) == [invitation]
    assert list(scoping.invitations(world.referrer)) == []
    assert list(scoping.invitations(world.far_coordinator)) == []
    response = world.client_for(world.far_coordinator).post(
        reverse("network:invitation_revoke", args=[invitation.pk])
    )
    assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_inactive_membership_gives_no_access(world: World) -> None:
    world.referrer.memberships.update(is_active=False)
    client = world.client_for(world.referrer)
    assert (
        client.get(reverse("network:organisation_detail", args=[world.org.pk])).status_code == 404
    )


def test_superuser_is_not_above_scoping_in_the_app(world: World) -> None:
    admin = world.coordinator.__class__.objects.create_superuser(
        "root@example.org", "pw-123456", full_name="Root"
    )
    client = world.client_for(admin)
    assert (
        client.get(reverse("network:organisation_detail", args=[world.org.pk])).status_code == 404
    )
    assert client.get("/admin/").status_code == 200


def test_admin_only_for_superusers(world: World) -> None:
    world.coordinator.is_staff = True
    world.coordinator.save()
    response = world.client_for(world.coordinator).get("/admin/")
    assert response.status_code == 302


# --- The hand-written form of the client scope ----------------------------------------


@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize(
    "actor_name",
    ["coordinator", "referrer", "other_referrer", "far_referrer", "provider", "researcher"],
)
def test_clients_sql_says_exactly_what_clients_says(
    world: World, actor_name: str, inline: bool
) -> None:
    """The booking path reads the client scope as SQL (`clients_sql`, and
    `clients_sql_inline` that reads the memberships too); for every actor it must select
    exactly the clients `clients()` selects — including a client who stopped being
    followed and one followed only by another organisation."""
    from django.db import connection

    from tests.clients.conftest import register
    from zorgbrug.clients.models import Client as ClientRecord
    from zorgbrug.clients.models import FollowingOrganisation

    mine = register(world, last_name="Mine")
    theirs = register(
        world,
        actor=world.other_referrer,
        organisation=world.other_org,
        last_name="Theirs",
    )
    gone = register(world, last_name="Gone")
    FollowingOrganisation.objects.filter(client=gone).update(
        until=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert ClientRecord.objects.count() == 3
    user = getattr(world, actor_name)
    scope = scoping.clients_sql_inline if inline else scoping.clients_sql
    condition, params = scope(user, "c.id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.id FROM clients_client c WHERE {condition}", params)  # noqa: S608
        by_sql = {row[0] for row in cursor.fetchall()}
    by_orm = set(scoping.clients(user).values_list("pk", flat=True))
    assert by_sql == by_orm
    if actor_name == "referrer":
        assert by_orm == {mine.pk}
    if actor_name == "other_referrer":
        assert by_orm == {theirs.pk}


def test_clients_sql_inline_follows_a_membership_that_ends(world: World) -> None:
    """The inline scope reads the memberships in the same statement: a referrer whose
    membership was ended (in the same request, say) sees nobody any more."""
    from django.db import connection

    from tests.clients.conftest import register
    from zorgbrug.network.models import Membership

    mine = register(world, last_name="Mine")

    def seen() -> set[int]:
        condition, params = scoping.clients_sql_inline(world.referrer, "c.id")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT c.id FROM clients_client c WHERE {condition}", params)  # noqa: S608
            return {row[0] for row in cursor.fetchall()}

    assert seen() == {mine.pk}
    Membership.objects.filter(user=world.referrer).update(is_active=False)
    assert seen() == set()
