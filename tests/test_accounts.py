"""Log-in, invitations, password reset, personal API tokens, audit log."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from zorgbrug.access.models import ApiToken, AuditEvent, Invitation, User
from zorgbrug.access.services import invitation_create
from zorgbrug.network.models import Membership

pytestmark = pytest.mark.django_db


def test_login_with_email_case_insensitive_and_audited(world: World) -> None:
    client = Client()
    response = client.post(
        reverse("access:login"), {"username": "REF@example.org", "password": "test-password-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert AuditEvent.objects.filter(action="login", actor=world.referrer).exists()


def test_failed_login_is_audited_and_explained(world: World) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("access:login"), {"username": "ref@example.org", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", object_label="ref@example.org").exists()


def test_logout_is_post_only(world: World) -> None:
    client = world.client_for(world.referrer)
    assert client.get(reverse("access:logout")).status_code == 405
    assert client.post(reverse("access:logout")).status_code == 302
    assert client.get(reverse("core:home")).status_code == 302


def test_home_page_differs_per_role(world: World) -> None:
    expectations = {
        "coordinator": 'data-testid="home-coordinator"',
        "referrer": 'data-testid="home-referrer"',
        "provider": 'data-testid="home-provider"',
        "researcher": 'data-testid="home-researcher"',
    }
    for attr, marker in expectations.items():
        html = world.client_for(getattr(world, attr)).get("/").content.decode()
        assert marker in html, attr
        for other_marker in set(expectations.values()) - {marker}:
            assert other_marker not in html, (attr, other_marker)


def test_home_page_query_count_does_not_grow_with_network_size(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from tests.factories import OrganisationFactory, PartnerFactory, SiteFactory, staff

    client = world.client_for(world.coordinator)
    client.get("/")  # warm up (session, content types)
    with django_assert_max_num_queries(20) as small:
        client.get("/")
    for i in range(25):
        org = OrganisationFactory(name=f"Extra {i}", kind="childcare_provider")
        PartnerFactory(network=world.network, organisation=org, is_care_provider=True)
        SiteFactory(organisation=org)
        staff(org, "provider")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/")


def test_network_page_query_count_is_constant(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from tests.factories import OrganisationFactory, PartnerFactory

    client = world.client_for(world.coordinator)
    url = reverse("network:network_detail", args=["noord"])
    client.get(url)
    with django_assert_max_num_queries(20) as before:
        client.get(url)
    for i in range(30):
        PartnerFactory(network=world.network, organisation=OrganisationFactory(name=f"P{i}"))
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200


def test_organisation_page_query_count_is_constant(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from tests.factories import ContactFactory, SiteFactory, staff

    client = world.client_for(world.coordinator)
    url = reverse("network:organisation_detail", args=[world.org.pk])
    client.get(url)
    with django_assert_max_num_queries(25) as before:
        client.get(url)
    for _ in range(10):
        SiteFactory(organisation=world.org)
        ContactFactory(organisation=world.org)
        staff(world.org, "referrer")
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(url).status_code == 200


# --- Invitations ----------------------------------------------------------------------


def _invite(
    world: World, client: Client, email: str = "nieuw@example.org", language: str = "fr"
) -> str:
    response = client.post(
        reverse("network:staff_invite", args=[world.org.pk]),
        {"full_name": "Nieuwe Collega", "email": email, "role": "referrer", "language": language},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return email


def _token_from_mail() -> str:
    assert len(mail.outbox) == 1
    match = re.search(r"/accounts/invitation/([\w-]+)/", str(mail.outbox[0].body))
    assert match
    return match.group(1)


def test_invitation_flow_creates_account_and_membership(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    coordinator = world.client_for(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(world, coordinator)
    token = _token_from_mail()
    message = mail.outbox[0]
    assert message.to == ["nieuw@example.org"]
    assert world.org.name in message.subject
    url = reverse("access:invitation_accept", args=[token])
    client = Client()
    assert client.get(url).status_code == 200
    bad = client.post(url, {"full_name": "Nieuwe Collega", "password1": "123", "password2": "123"})
    assert bad.status_code == 200 and not User.objects.filter(email="nieuw@example.org").exists()
    response = client.post(
        url,
        {
            "full_name": "Nieuwe Collega",
            "password1": "een-lang-wachtwoord-42",
            "password2": "een-lang-wachtwoord-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nieuw@example.org")
    assert user.language == "fr"
    assert Membership.objects.filter(
        user=user, organisation=world.org, role="referrer", is_active=True
    ).exists()
    # The link works once.
    assert Client().get(url).status_code == 404


def test_invitation_to_existing_account_needs_login(world: World) -> None:
    _invitation, token = invitation_create(
        actor=world.coordinator,
        organisation=world.org,
        email=world.other_referrer.email,
        full_name="Other",
        role="trainer",
    )
    url = reverse("access:invitation_accept", args=[token])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and reverse("access:login") in anonymous["Location"]
    client = world.client_for(world.other_referrer)
    response = client.post(url, {})
    assert response.status_code == 302, response.content.decode()
    assert Membership.objects.filter(
        user=world.other_referrer, organisation=world.org, role="trainer"
    ).exists()


def test_revoked_and_expired_invitations_are_refused(world: World) -> None:
    from django.utils import timezone

    invitation, token = invitation_create(
        actor=world.coordinator,
        organisation=world.org,
        email="x@example.org",
        full_name="X",
        role="referrer",
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert Client().get(reverse("access:invitation_accept", args=[token])).status_code == 404
    assert Client().get(reverse("access:invitation_accept", args=["nonsense"])).status_code == 404


def test_invite_form_bad_input(world: World) -> None:
    client = world.client_for(world.coordinator)
    response = client.post(
        reverse("network:staff_invite", args=[world.org.pk]),
        {"full_name": "", "email": "not-an-email", "role": "king", "language": "nl"},
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    assert len(mail.outbox) == 0


# --- Password reset -------------------------------------------------------------------


def test_password_reset_sends_link_that_sets_a_new_password(world: World) -> None:
    client = Client()
    response = client.post(reverse("access:password_reset"), {"email": world.referrer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", str(mail.outbox[0].body))
    assert link
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "nieuw-wachtwoord-77", "new_password2": "nieuw-wachtwoord-77"}
    )
    assert response.status_code == 302
    world.referrer.refresh_from_db()
    assert world.referrer.check_password("nieuw-wachtwoord-77")


def test_password_reset_for_unknown_address_reveals_nothing(world: World) -> None:
    response = Client().post(reverse("access:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


# --- API tokens -----------------------------------------------------------------------


def test_issue_api_token_command_and_token_authentication(world: World) -> None:
    out = StringIO()
    call_command("issue_api_token", world.referrer.email, stdout=out)
    key = out.getvalue().strip()
    assert len(key) >= 40
    token = ApiToken.objects.get(user=world.referrer)
    assert token.key_hash != key and key not in token.key_hash  # only a hash is stored
    client = Client()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["email"] == world.referrer.email
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    assert client.get("/api/v1/me/").status_code in (401, 403)
    token.revoked_at = token.created_at
    token.save()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_issue_api_token_for_unknown_user_fails_cleanly(db: Any) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_api_token", "nobody@example.org")
    assert not ApiToken.objects.exists()


def test_account_page_creates_and_revokes_tokens(world: World) -> None:
    client = world.client_for(world.referrer)
    response = client.post(
        reverse("access:account"), {"create_token": "1", "token-name": "VDAB koppeling"}
    )
    key = re.search(r'data-testid="new-token">([^<]+)<', response.content.decode())
    assert key
    token = ApiToken.objects.get(user=world.referrer)
    assert token.name == "VDAB koppeling"
    other = world.client_for(world.other_referrer)
    assert other.post(reverse("access:token_revoke", args=[token.pk])).status_code == 404
    client.post(reverse("access:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_api_create_organisation_bad_kbo_is_400_and_changes_nothing(world: World) -> None:
    from zorgbrug.network.models import Organisation

    client = world.client_for(world.coordinator)
    count = Organisation.objects.count()
    response = client.post(
        "/api/v1/organisations/",
        {
            "network": "noord",
            "name": "API org",
            "kind": "employer",
            "roles": ["referrer"],
            "kbo_number": "0123456789",
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "kbo_number" in response.json()
    assert Organisation.objects.count() == count
    ok = client.post(
        "/api/v1/organisations/",
        {
            "network": "noord",
            "name": "API org",
            "kind": "employer",
            "roles": ["referrer"],
            "kbo_number": "0203201340",
        },
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["partnerships"][0]["roles"] == ["referrer"]


def test_api_create_organisation_in_foreign_network_is_404(world: World) -> None:
    response = world.client_for(world.far_coordinator).post(
        "/api/v1/organisations/",
        {"network": "noord", "name": "Sneaky", "kind": "employer", "roles": ["referrer"]},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_api_site_unknown_postcode_is_400(world: World) -> None:
    client = world.client_for(world.coordinator)
    response = client.post(
        "/api/v1/sites/",
        {"organisation": world.org.pk, "name": "X", "street": "Y 1", "postcode": "9999"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Unknown postcode" in response.json()["postcode"][0]


def test_api_referrer_cannot_create_sites(world: World) -> None:
    response = world.client_for(world.referrer).post(
        "/api/v1/sites/",
        {"organisation": world.org.pk, "name": "X", "street": "Y 1", "postcode": "9900"},
        content_type="application/json",
    )
    assert response.status_code == 404


# --- Audit log ------------------------------------------------------------------------


def test_audit_events_cannot_be_changed(world: World) -> None:
    from zorgbrug.access import audit

    event = audit.record(actor=world.coordinator, action="view", obj=world.org)
    event.action = "delete"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_coordinator_reads_audit_log_of_own_network_only(world: World) -> None:
    from zorgbrug.access import audit

    audit.record(actor=world.coordinator, action="update", obj=world.org)
    audit.record(actor=world.far_coordinator, action="update", obj=world.far_org)
    html = (
        world.client_for(world.coordinator)
        .get(reverse("network:network_audit", args=["noord"]))
        .content.decode()
    )
    assert world.org.name in html
    assert world.far_org.name not in html


def test_a_partners_roles_are_separate_words(world: World) -> None:
    """Role tags sit side by side on screen; without a space between them a screen reader
    (and a copy) reads one word, "ReferrerTraining provider"."""
    from tests.factories import OrganisationFactory, PartnerFactory

    PartnerFactory(
        network=world.network,
        organisation=OrganisationFactory(name="Vzw Twee Rollen"),
        is_referrer=True,
        is_training_provider=True,
    )
    page = world.client_for(world.coordinator).get(
        reverse("network:network_detail", args=["noord"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    row = re.search(r"Vzw Twee Rollen.*?</tr>", page.content.decode(), re.S)
    assert row is not None
    tags = re.findall(r'<span class="tag">[^<]+</span>(\s*)', row.group(0))
    assert len(tags) == 2 and tags[0] != "", row.group(0)
