"""What each role sees on its home page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from zorgbrug.access import scoping
from zorgbrug.network.models import Membership, Partner, StaffRole


def home_context(*, user: Any) -> dict[str, Any]:
    actor = scoping.actor_for(user)
    memberships = list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )
    roles = actor.roles
    ctx: dict[str, Any] = {"memberships": memberships, "roles": roles, "actor": actor}

    # Networks the user takes part in, with how many partners play each role.
    ctx["networks"] = list(
        scoping.networks(user)
        .annotate(
            n_partners=Count("partners", distinct=True),
            n_referrers=Count("partners", filter=Q(partners__is_referrer=True), distinct=True),
            n_providers=Count("partners", filter=Q(partners__is_care_provider=True), distinct=True),
            n_trainers=Count(
                "partners", filter=Q(partners__is_training_provider=True), distinct=True
            ),
            n_funders=Count("partners", filter=Q(partners__is_funder=True), distinct=True),
        )
        .order_by("name")
    )
    if actor.coordinated_network_ids:
        coordinated = scoping.networks(user, manage=True)
        ctx["coordinated_networks"] = list(coordinated.order_by("name"))
        ctx["pending_invitations"] = (
            scoping.invitations(user)
            .filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .count()
        )
        ctx["staff_count"] = scoping.memberships(user, manage=True).filter(is_active=True).count()
        ctx["recent_audit"] = list(scoping.audit_events(user).select_related("actor")[:8])
    own_orgs = scoping.organisations(user).filter(pk__in=actor.organisation_ids)
    ctx["own_sites"] = list(
        scoping.sites(user)
        .filter(organisation__in=own_orgs.values("pk"))
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    if StaffRole.PROVIDER in roles:
        # The day's work first: each care profile of the user's sites, with the children
        # expected today and the way to the day list (check-in and pick-up) and capacity.
        from zorgbrug.care.models import HOLDING

        today = timezone.localdate()
        ctx["today"] = today
        ctx["care_sites"] = list(
            scoping.care_sites(user, manage=True)
            .filter(site__organisation_id__in=actor.organisation_ids)
            .select_related("site", "network")
            .annotate(
                expected_today=Count(
                    "bookings",
                    filter=Q(bookings__date=today, bookings__status__in=HOLDING),
                )
            )
            .order_by("site__name", "network__name")
        )
    if StaffRole.REFERRER in roles or StaffRole.TRAINER in roles:
        # Where a counsellor can send people: the care and training partners of her networks.
        ctx["care_partners"] = list(
            Partner.objects.filter(network_id__in=actor.network_ids)
            .filter(Q(is_care_provider=True) | Q(is_training_provider=True))
            .select_related("organisation", "network")
            .order_by("network__name", "organisation__name")
        )
    return ctx
