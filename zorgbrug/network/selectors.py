"""Reads for the network pages, always through the access scoping module."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery

from zorgbrug.access import scoping
from zorgbrug.network.models import Membership, Network, Organisation, Partner, Site


def _count(queryset: QuerySet[Any]) -> Subquery:
    return Subquery(
        queryset.order_by().values("organisation").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def network_partners(*, user: Any, network: Network) -> QuerySet[Partner]:
    return (
        scoping.partners(user)
        .filter(network=network)
        .select_related("organisation")
        # Subqueries, not two joined COUNT(DISTINCT …): those multiply sites by staff.
        .annotate(
            n_sites=_count(
                Site.objects.filter(organisation=OuterRef("organisation"), is_active=True)
            ),
            n_staff=_count(
                Membership.objects.filter(organisation=OuterRef("organisation"), is_active=True)
            ),
        )
        .order_by("organisation__name")
    )


def organisation_detail(*, user: Any, organisation: Organisation) -> dict[str, Any]:
    can_manage = scoping.can_manage_organisation(user, organisation)
    partnerships = list(
        scoping.partners(user).filter(organisation=organisation).select_related("network")
    )
    staff = (
        scoping.memberships(user)
        .filter(organisation=organisation)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "role")
    )
    invitations = (
        scoping.invitations(user).filter(
            organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
        )
        if can_manage
        else []
    )
    return {
        "organisation": organisation,
        "can_manage": can_manage,
        "partnerships": partnerships,
        "sites": list(scoping.sites(user).filter(organisation=organisation)),
        "contacts": list(scoping.contacts(user).filter(organisation=organisation)),
        "staff": list(staff),
        "invitations": list(invitations),
    }


def my_organisations(*, user: Any) -> QuerySet[Organisation]:
    actor = scoping.actor_for(user)
    return (
        scoping.organisations(user)
        .filter(pk__in=actor.organisation_ids)
        .prefetch_related(
            Prefetch("partnerships", queryset=Partner.objects.select_related("network"))
        )
        .order_by("name")
    )


def staff_of(*, user: Any, organisation: Organisation) -> QuerySet[Membership]:
    return scoping.memberships(user).filter(organisation=organisation)
