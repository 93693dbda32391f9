"""Reads of the pathway: a client's route to work, and the referrer's worklist. Every
queryset starts from `access.scoping`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zorgbrug.access import scoping as access
from zorgbrug.care.models import RequestStatus
from zorgbrug.clients.models import Client
from zorgbrug.pathways import rules
from zorgbrug.pathways.models import (
    Exit,
    FollowUp,
    FollowUpStatus,
    Outcome,
    PathwayActivity,
    PathwayActivityKind,
    RegularCare,
)
from zorgbrug.pathways.services import intake_date
from zorgbrug.training.models import CARE_TO_SETTLE, EnrolmentStatus

WAITING_STATUSES = (RequestStatus.WAITLISTED, RequestStatus.OPEN, RequestStatus.REFUSED)
WORKLIST_LIMIT = 200


@dataclass(frozen=True)
class Milestone:
    when: dt.date
    kind: str
    title: str
    detail: str = ""


def _regular_place(client_field: str = "client") -> Exists:
    return Exists(
        RegularCare.objects.filter(client=OuterRef(client_field), place_from__isnull=False)
    )


def worklist(*, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """What a referrer has to do: follow-ups due, care after a job start that ends soon,
    care requests still waiting for a place, and training care a trainer left to them.
    A fixed number of queries, however long the lists."""
    today = today or timezone.localdate()
    org_ids = access.client_organisation_ids(user)
    clients = access.clients(user).values("pk")
    follow_ups = list(
        access.follow_ups(user)
        .filter(
            status=FollowUpStatus.OPEN,
            responsible_organisation_id__in=org_ids,
            due_on__lte=today + dt.timedelta(days=rules.FOLLOW_UP_LEAD_DAYS),
        )
        .select_related("client", "responsible_user", "job_start", "exit")
        .order_by("due_on", "pk")[:WORKLIST_LIMIT]
    )
    care_ending = list(
        access.pathway_activities(user)
        .filter(
            kind=PathwayActivityKind.JOB_START,
            care_until__gte=today,
            care_until__lte=today + dt.timedelta(days=rules.CARE_END_WARNING_DAYS),
        )
        .select_related("client")
        .annotate(has_regular_place=_regular_place())
        .order_by("care_until", "pk")[:WORKLIST_LIMIT]
    )
    waiting = list(
        access.care_requests(user)
        .filter(client__in=clients, status__in=WAITING_STATUSES)
        .select_related("client", "activity")
        .prefetch_related("recipients")
        .order_by("created_at", "pk")[:WORKLIST_LIMIT]
    )
    training_care = list(
        access.training_enrolments(user)
        .filter(client__in=clients, care_status__in=CARE_TO_SETTLE)
        .select_related("client", "session__module")
        .order_by("session__date", "pk")[:WORKLIST_LIMIT]
    )
    language = translation.get_language()
    for e in training_care:
        e.module_name = e.session.module.name_in(language)
    return {
        "today": today,
        "follow_ups": follow_ups,
        "care_ending": care_ending,
        "waiting": waiting,
        "training_care": training_care,
        "user_id": getattr(user, "pk", None),
    }


def pathway(*, user: Any, client: Client) -> dict[str, Any]:
    """A client's pathway: steps, training, care, the move to regular care, exit, follow-ups
    and outcomes, and the milestones they make on one time line."""
    today = timezone.localdate()
    language = translation.get_language()
    activities = list(
        access.pathway_activities(user).filter(client=client).order_by("-date", "-pk")
    )
    enrolments = list(
        access.training_enrolments(user)
        .filter(client=client)
        .select_related("session__module", "care_request")
        .order_by("-session__date", "-pk")
    )
    for e in enrolments:
        e.module_name = e.session.module.name_in(language)
    care_requests = list(
        access.care_requests(user)
        .filter(client=client)
        .select_related("activity")
        .prefetch_related("recipients")
        .order_by("-created_at")[:50]
    )
    regular = list(
        access.regular_care(user)
        .filter(client=client)
        .select_related("care_recipient", "provider")
        .order_by("pk")
    )
    exit_row = access.exits(user).filter(client=client).first()
    follow_ups = list(
        access.follow_ups(user)
        .filter(client=client)
        .select_related("responsible_user")
        .order_by("due_on", "pk")
    )
    outcomes = list(
        access.outcomes(user)
        .filter(client=client)
        .select_related("follow_up", "screening")
        .order_by("-observed_on", "-pk")
    )
    warnings = [
        a
        for a in activities
        if a.kind == PathwayActivityKind.JOB_START
        and a.care_until
        and rules.care_ends_soon(a.care_until, today)
    ]
    return {
        "client": client,
        "intake": intake_date(client),
        "activities": activities,
        "enrolments": enrolments,
        "care_requests": care_requests,
        "regular": regular,
        "exit": exit_row,
        "follow_ups": follow_ups,
        "outcomes": outcomes,
        "care_warnings": warnings,
        "milestones": _milestones(
            client, activities, enrolments, regular, exit_row, outcomes, today
        ),
        "today": today,
    }


def _milestones(
    client: Client,
    activities: list[PathwayActivity],
    enrolments: list[Any],
    regular: list[RegularCare],
    exit_row: Exit | None,
    outcomes: list[Outcome],
    today: dt.date,
) -> list[Milestone]:
    out = [Milestone(intake_date(client), "intake", _("Intake"))]
    for a in activities:
        title = a.title or a.get_kind_display()
        if a.kind == PathwayActivityKind.JOB_START:
            detail = ", ".join(
                x
                for x in (
                    a.employer,
                    a.get_sector_display(),
                    a.get_contract_type_display(),
                    _("%(h)s hours a week") % {"h": a.hours_per_week} if a.hours_per_week else "",
                )
                if x
            )
            out.append(Milestone(a.date, "job_start", _("Job start: %(t)s") % {"t": title}, detail))
            if a.first_period_end:
                out.append(
                    Milestone(a.first_period_end, "first_period_end", _("End of the first period"))
                )
            if a.care_until:
                out.append(
                    Milestone(
                        a.care_until,
                        "care_end",
                        _("Last day of care after the job start"),
                        _("Then regular childcare takes over."),
                    )
                )
        else:
            out.append(Milestone(a.date, a.kind, title, a.get_kind_display()))
    for e in enrolments:
        if e.status == EnrolmentStatus.ENROLLED:
            out.append(
                Milestone(
                    e.session.date,
                    "training",
                    _("Training: %(m)s") % {"m": e.module_name},
                    e.get_attendance_display() if e.attendance else "",
                )
            )
    for r in regular:
        who = r.care_recipient.first_name if r.care_recipient else _("the family")
        if r.registered_on:
            out.append(
                Milestone(
                    r.registered_on,
                    "regular_registered",
                    _("Registered at the childcare desk for %(who)s") % {"who": who},
                    r.desk,
                )
            )
        if r.place_from:
            out.append(
                Milestone(
                    r.place_from,
                    "regular_place",
                    _("Regular childcare place for %(who)s") % {"who": who},
                    r.provider.name if r.provider else r.provider_name,
                )
            )
    if exit_row is not None:
        out.append(Milestone(exit_row.date, "exit", _("Exit"), exit_row.get_reason_display()))
    for o in outcomes:
        out.append(
            Milestone(
                o.observed_on,
                "outcome",
                _("Follow-up: %(s)s") % {"s": o.get_status_display()},
                _("after %(n)s months") % {"n": o.follow_up.months} if o.follow_up else "",
            )
        )
    return sorted(out, key=lambda m: (m.when, m.kind), reverse=True)


def follow_up_for_view(*, user: Any, pk: int) -> FollowUp:
    return access.get_or_404(access.follow_ups(user).select_related("client"), pk=pk)
