"""Writes for accounts: invitations, API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.access.models import ApiToken, Invitation, User
from zorgbrug.network.models import Organisation, StaffRole
from zorgbrug.network.services import membership_grant


def _hash(token: str) -> str:
    return ApiToken.hash_key(token)


def invitation_create(
    *,
    actor: Any,
    organisation: Organisation,
    email: str,
    full_name: str,
    role: str,
    language: str = "nl",
) -> tuple[Invitation, str]:
    """Invite someone to an organisation with a role; e-mail them a link (sent on commit).

    Returns the invitation and the link's token (only its hash is stored).
    """
    access.require(access.can_manage_organisation(actor, organisation))
    email = email.strip().lower()
    if role not in StaffRole.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    existing = User.objects.filter(email=email).first()
    if (
        existing
        and existing.memberships.filter(
            organisation=organisation, role=role, is_active=True
        ).exists()
    ):
        raise ValidationError(
            {"email": _("%(email)s already has this role here.") % {"email": email}}
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            full_name=full_name.strip(),
            organisation=organisation,
            role=role,
            token_hash=_hash(token),
            invited_by=actor,
            language=language,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        audit.record(
            actor=actor,
            action="create",
            obj=invitation,
            detail={"role": role, "organisation": organisation.pk},
        )
        transaction.on_commit(lambda: _send_invitation(invitation, token))
    return invitation, token


def _send_invitation(invitation: Invitation, token: str) -> None:
    link = settings.SITE_URL.rstrip("/") + reverse("access:invitation_accept", args=[token])
    with translation.override(invitation.language):
        context = {
            "invitation": invitation,
            "link": link,
            "role": StaffRole(invitation.role).label,
            "valid_days": settings.INVITATION_VALID_DAYS,
        }
        subject = _("You are invited to Zorgbrug by %(organisation)s") % {
            "organisation": invitation.organisation.name
        }
        body = render_to_string("access/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


def invitation_for_token(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organisation").filter(token_hash=_hash(token)).first()
    )
    if invitation is None or not invitation.is_open:
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, full_name: str, password: str | None, current_user: Any = None
) -> User:
    """Accept an invitation: create the account (or use the logged-in one) and grant the role."""
    invitation = invitation_for_token(token)
    if invitation is None:
        raise ValidationError(_("This invitation is no longer valid. Ask for a new one."))
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation is no longer valid. Ask for a new one."))
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        user = User(
            email=invitation.email,
            full_name=full_name.strip() or invitation.full_name,
            language=invitation.language,
        )
        if not password:
            raise ValidationError({"password": _("Choose a password.")})
        validate_password(password, user)
        user.set_password(password)
        user.save()
    elif current_user is None or current_user.pk != user.pk:
        raise ValidationError(
            _(
                "An account with this e-mail address exists: log in first, "
                "then open the invitation link again."
            )
        )
    membership_grant(
        actor=None, user=user, organisation=invitation.organisation, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record(actor=user, action="update", obj=invitation, detail={"accepted": True})
    return user


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> None:
    access.require(access.can_manage_organisation(actor, invitation.organisation))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="update", obj=invitation, detail={"revoked": True})


def api_token_issue(*, user: User, name: str = "integration") -> tuple[ApiToken, str]:
    """Create a personal API token; the key is returned once and never stored."""
    if not user.is_active:
        raise ValidationError(_("This account is not active."))
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100] or "integration",
        prefix=key[: ApiToken.PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(key),
    )
    audit.record(actor=user, action="create", obj=token)
    return token, key


def api_token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise access.PermissionDenied
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=user, action="update", obj=token, detail={"revoked": True})
