"""Reads of the training domain, always from the scoped querysets of `access.scoping`.

Trainers see who is enrolled in their organisation's sessions through `enrolment_list`,
which loads a client's id and name and nothing else of the record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zorgbrug.access import scoping as access
from zorgbrug.clients.models import Client, ClientStatus
from zorgbrug.training.models import Enrolment, EnrolmentStatus, Module, Session

# What a list of enrolments may show of a client, whoever reads it.
CLIENT_NAME_FIELDS = ("client__id", "client__first_name", "client__last_name")


def catalogue(*, user: Any, include_inactive: bool = False) -> QuerySet[Module]:
    """The modules of the user's networks, with the number of sessions to come."""
    today = timezone.localdate()
    qs = access.training_modules(user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return (
        qs.select_related("organisation", "network")
        .annotate(
            n_upcoming=Count(
                "sessions",
                filter=Q(sessions__date__gte=today, sessions__cancelled_at__isnull=True),
            )
        )
        .order_by("network__name", "kind", "pk")
    )


def module_for_view(*, user: Any, pk: int) -> Module:
    return access.get_or_404(
        access.training_modules(user).select_related("organisation", "network"), pk=pk
    )


def sessions_of(*, module: Module, upcoming_only: bool = True) -> QuerySet[Session]:
    qs = module.sessions.select_related("site", "trainer")
    if upcoming_only:
        qs = qs.filter(date__gte=timezone.localdate())
    return qs.order_by("date", "start_time", "pk")


def session_for_view(*, user: Any, pk: int) -> Session:
    return access.get_or_404(
        access.training_sessions(user).select_related(
            "module__organisation", "module__network", "site", "trainer"
        ),
        pk=pk,
    )


def enrolment_list(*, user: Any, session: Session | None = None) -> QuerySet[Enrolment]:
    """Enrolments the user may see (of one session), with the client's name only."""
    qs = access.training_enrolments(user)
    if session is not None:
        qs = qs.filter(session=session)
    return (
        qs.select_related("client", "session__module", "care_request")
        .only(
            "id",
            "status",
            "waitlisted_at",
            "enrolled_at",
            "cancelled_at",
            "attendance",
            "care_status",
            "care_note",
            "care_request__status",
            "organisation",
            "session__date",
            "session__start_time",
            "session__end_time",
            "session__cancelled_at",
            "session__module__names",
            "session__module__network_id",
            "session__module__organisation",
            *CLIENT_NAME_FIELDS,
        )
        .order_by("status", "waitlisted_at", "client__last_name", "client__first_name", "pk")
    )


def enrolment_for_view(*, user: Any, pk: int) -> Enrolment:
    qs = enrolment_list(user=user)
    return access.get_or_404(qs, pk=pk)


def enrolment_candidates(*, user: Any, session: Session) -> list[Client]:
    """Clients the user may enrol in the session: those they follow (referrers) or those the
    training provider knows (trainers), in the session's network, not yet enrolled in it."""
    follows = access.clients(user)
    known = (
        access.trainee_clients(user)
        if session.module.organisation_id in (access.training_organisation_ids(user))
        else Client.objects.none()
    )
    running = Enrolment.objects.filter(
        session=session, status__in=(EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED)
    ).values("client_id")
    return list(
        Client.objects.filter(Q(pk__in=follows.values("pk")) | Q(pk__in=known.values("pk")))
        .filter(network_id=session.module.network_id, status=ClientStatus.ACTIVE)
        .exclude(pk__in=running)
        .only("id", "first_name", "last_name")
        .order_by("last_name", "first_name", "pk")[:500]
    )


def sessions_to_come(*, user: Any, network_ids: Any = None) -> QuerySet[Session]:
    qs = access.training_sessions(user).filter(
        date__gte=timezone.localdate(), cancelled_at__isnull=True, module__is_active=True
    )
    if network_ids is not None:
        qs = qs.filter(module__network_id__in=network_ids)
    return qs.select_related("module", "site").order_by("date", "start_time", "pk")


def certificate_data(*, user: Any, enrolment_pk: int) -> dict[str, Any]:
    """What the certificate of participation says: the client's name, the module and the
    sessions of it they attended. Only for an enrolment the user may see, with attendance."""
    enrolment = access.get_or_404(
        access.training_enrolments(user).select_related("client", "session__module__organisation"),
        pk=enrolment_pk,
    )
    module = enrolment.session.module
    attended = list(
        access.training_enrolments(user)
        .filter(
            client_id=enrolment.client_id,
            session__module=module,
            status=EnrolmentStatus.ENROLLED,
            attendance="present",
        )
        .select_related("session__site")
        .order_by("session__date", "session__start_time")
    )
    if not attended:
        raise Http404
    hours = sum(
        (
            dt.datetime.combine(e.session.date, e.session.end_time)
            - dt.datetime.combine(e.session.date, e.session.start_time)
            for e in attended
        ),
        dt.timedelta(),
    )
    return {
        "client": enrolment.client,
        "module": module,
        "attended": attended,
        "hours": hours.total_seconds() / 3600,
        "organisation": module.organisation,
    }


def enrolments_prefetch(user: Any) -> Prefetch:
    """The user's enrolments of each session, for a session list (one query for all)."""
    return Prefetch(
        "enrolments",
        queryset=enrolment_list(user=user).exclude(status=EnrolmentStatus.CANCELLED),
        to_attr="visible_enrolments",
    )
