"""Reads of client records, always through the access scoping module, and audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.clients.models import (
    CareRecipient,
    Client,
    Consent,
    FollowingOrganisation,
    RecipientKind,
    Screening,
    ScreeningNeed,
)
from zorgbrug.clients.services import normalise_name

_DIGITS = re.compile(r"\D")


OPEN_REQUEST_STATUSES = ("open", "waiting_provider", "waitlisted", "refused")


def caseload(
    *,
    user: Any,
    query: str = "",
    status: str = "",
    organisation_id: int | None = None,
    open_request: bool = False,
) -> QuerySet[Client]:
    """The clients the user's organisations follow, searchable by name, INSZ or phone;
    `open_request` keeps those with a care request still waiting for a place."""
    qs = access.clients(user)
    if open_request and django_apps.is_installed("zorgbrug.care"):
        # Looked up by name: the clients domain must not import the care domain above it.
        care_request = django_apps.get_model("care", "CareRequest")
        qs = qs.filter(
            Exists(
                care_request.objects.filter(client=OuterRef("pk"), status__in=OPEN_REQUEST_STATUSES)
            )
        )
    query = (query or "").strip()
    if query:
        digits = _DIGITS.sub("", query)
        if len(digits) == 11 and not query.startswith("+"):
            qs = qs.filter(insz=digits)
        elif len(digits) >= 8 and (query.startswith(("+", "0")) or digits == query):
            # Match the national part so that 0470…, +32470… and 32470… all find the client.
            qs = qs.filter(phone__endswith=digits[-8:])
        else:
            for token in normalise_name(query).split():
                qs = qs.filter(search_name__contains=token)
    if status:
        qs = qs.filter(status=status)
    if organisation_id:
        qs = qs.filter(followers__organisation_id=organisation_id, followers__until__isnull=True)
    recipients = (
        CareRecipient.objects.filter(client=OuterRef("pk"), is_active=True)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return (
        qs.select_related("intake_organisation")
        .annotate(n_recipients=Subquery(recipients, output_field=IntegerField()))
        .order_by("last_name", "first_name", "pk")
    )


@dataclass(frozen=True)
class CaseloadExport:
    count: int
    clients: Iterator[Client]


def caseload_export(
    *,
    user: Any,
    query: str = "",
    status: str = "",
    organisation_id: int | None = None,
    file_format: str,
) -> CaseloadExport:
    """The clients of the caseload page with these filters, with what the export writes
    (children, current consent, last screening), read in chunks. Audited before reading:
    who exported, which filters, how many and which clients."""
    qs = caseload(user=user, query=query, status=status, organisation_id=organisation_id)
    found = list(qs.values_list("pk", "network_id"))
    networks = {network_id for _pk, network_id in found}
    org_ids = access.client_organisation_ids(user)
    audit.record(
        actor=user,
        action="export",
        object_type="clients.client",
        object_label="caseload",
        network_id=next(iter(networks)) if len(networks) == 1 else None,
        organisation_id=organisation_id or (min(org_ids) if len(org_ids) == 1 else None),
        detail={
            "count": len(found),
            "format": file_format,
            "filters": {"q": query, "status": status, "organisation": organisation_id},
            "client_ids": [pk for pk, _network in found],
        },
    )
    latest = Screening.objects.filter(client=OuterRef("pk")).order_by("-taken_on", "-pk")
    clients = (
        qs.prefetch_related(
            Prefetch(
                "care_recipients",
                queryset=CareRecipient.objects.filter(
                    is_active=True, kind=RecipientKind.CHILD
                ).order_by("birth_date", "pk"),
                to_attr="export_children",
            ),
            Prefetch(
                "consents",
                queryset=Consent.objects.filter(withdrawn_at__isnull=True).order_by(
                    "-given_at", "-pk"
                ),
                to_attr="active_consents",
            ),
        )
        .annotate(
            last_screening_date=Subquery(latest.values("taken_on")[:1]),
            last_barrier_score=Subquery(latest.values("barrier_score")[:1]),
        )
        .iterator(chunk_size=500)
    )
    return CaseloadExport(count=len(found), clients=clients)


@dataclass(frozen=True)
class TimelineEntry:
    when: Any
    kind: str
    title: str
    detail: str = ""


def client_for_view(*, user: Any, pk: int) -> Client:
    """One client record for its page; the read is audited, and so is a refusal."""
    client = (
        access.clients(user)
        .select_related("intake_organisation", "network", "created_by")
        .filter(pk=pk)
        .first()
    )
    if client is None:
        # The refusal goes to the coordinators of the record's network, if it exists; the
        # user learns nothing either way.
        network_id = Client.objects.filter(pk=pk).values_list("network_id", flat=True).first()
        audit.record(
            actor=user,
            action="denied",
            object_type="clients.client",
            object_id=str(pk),
            network_id=network_id,
            detail={"read": "client"},
        )
        raise Http404
    audit.record(actor=user, action="view", obj=client)
    return client


def client_detail(*, user: Any, client: Client) -> dict[str, Any]:
    recipients = list(client.care_recipients.filter(is_active=True).order_by("birth_date", "pk"))
    screenings = list(
        client.screenings.select_related("taken_by", "organisation")
        .prefetch_related(
            Prefetch("needs", queryset=ScreeningNeed.objects.select_related("care_recipient"))
        )
        .order_by("-taken_on", "-pk")
    )
    consents = list(
        client.consents.select_related("recorded_by", "recorded_by_organisation", "withdrawn_by")
        .prefetch_related("shared_with")
        .order_by("-given_at", "-pk")
    )
    followers = list(client.followers.select_related("organisation").order_by("since"))
    current = next((c for c in consents if c.withdrawn_at is None), None)
    return {
        "client": client,
        "recipients": recipients,
        "screenings": screenings,
        "consents": consents,
        "current_consent": current,
        "followers": followers,
        "timeline": _timeline(client, screenings, consents, followers),
        "can_act_for": sorted(access.client_organisation_ids(user)),
    }


def _timeline(
    client: Client,
    screenings: list[Screening],
    consents: list[Consent],
    followers: list[FollowingOrganisation],
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            client.created_at,
            "intake",
            _("Intake"),
            _("Registered by %(org)s") % {"org": client.intake_organisation},
        )
    ]
    for s in screenings:
        entries.append(
            TimelineEntry(
                s.taken_on,
                "screening",
                _("Care-barrier screening"),
                _("Score %(score)s of 10") % {"score": s.barrier_score},
            )
        )
    for c in consents:
        entries.append(
            TimelineEntry(
                c.given_at,
                "consent",
                _("Consent recorded"),
                _("Text version %(v)s") % {"v": c.text_version},
            )
        )
        if c.withdrawn_at:
            entries.append(
                TimelineEntry(c.withdrawn_at, "consent", _("Consent replaced or withdrawn"))
            )
    for f in followers:
        if f.reason != "intake":
            entries.append(
                TimelineEntry(
                    f.since, "sharing", _("Followed by %(org)s") % {"org": f.organisation}
                )
            )
        if f.until:
            entries.append(
                TimelineEntry(
                    f.until, "sharing", _("No longer followed by %(org)s") % {"org": f.organisation}
                )
            )

    def key(e: TimelineEntry) -> Any:
        import datetime as dt

        w = e.when
        if isinstance(w, dt.datetime):
            return w.date(), 1
        return w, 0

    return sorted(entries, key=key, reverse=True)
