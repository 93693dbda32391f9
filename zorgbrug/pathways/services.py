"""Writes of the pathway: activities and milestones, regular childcare, exit, outcomes, and
the scheduled creation of follow-up tasks.

Every function checks through `access.scoping` that the actor follows the client, validates
everything before writing (an outcome or step dated before the intake is refused), writes in
one transaction and records an audit event on the client.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.care import policy as care_policy
from zorgbrug.care.models import ActivityKind
from zorgbrug.clients import services as client_services
from zorgbrug.clients.models import CareRecipient, Client, ClientStatus, Consent
from zorgbrug.network.models import Organisation, Partner
from zorgbrug.pathways import rules
from zorgbrug.pathways.models import (
    ContractType,
    Exit,
    ExitReason,
    FollowUp,
    FollowUpStatus,
    Outcome,
    OutcomeStatus,
    PathwayActivity,
    PathwayActivityKind,
    RegularCare,
    Sector,
)

MAX_DAYS_AHEAD = 366
MAX_HOURS = Decimal(60)


# --- Helpers --------------------------------------------------------------------------


def care_until_for(network_id: int, job_start: dt.date) -> dt.date | None:
    """The last day of care after a job start: the covenant's maximum for a job start's
    care (the care policy, as booking applies it); None where the covenant sets none."""
    max_days = care_policy.current().max_care_days(
        network_id=network_id, kind=ActivityKind.JOB_START, day=job_start
    )
    return None if max_days is None else rules.care_until(job_start, max_days)


def intake_date(client: Client) -> dt.date:
    """The day the client entered the pathway: the record's creation, or an earlier
    consent (a caseload imported with the dates of its paper consents)."""
    first = timezone.localdate(client.created_at)
    given = (
        Consent.objects.filter(client=client)
        .order_by("given_at")
        .values_list("given_at", flat=True)
    ).first()
    if given is not None:
        first = min(first, timezone.localdate(given))
    return first


def _require_client(actor: Any, client: Client) -> None:
    if not access.clients(actor).filter(pk=client.pk).exists():
        raise PermissionDenied


def acting_organisation(
    actor: Any, client: Client, organisation: Organisation | None = None
) -> Organisation:
    """The organisation the actor acts for: the one named (one of theirs), else one of
    theirs that follows the client."""
    ids = access.client_organisation_ids(actor)
    if organisation is not None:
        if organisation.pk not in ids:
            raise PermissionDenied
        return organisation
    found = (
        Organisation.objects.filter(
            pk__in=ids, followed_clients__client=client, followed_clients__until__isnull=True
        )
        .order_by("pk")
        .first()
    )
    if found is None:
        raise PermissionDenied
    return found


def _date_errors(
    errors: dict[str, list[str]],
    field: str,
    day: dt.date | None,
    *,
    intake: dt.date,
    future_days: int = 0,
) -> None:
    if day is None:
        return
    if day < intake:
        errors.setdefault(field, []).append(
            _("This date comes before the intake (%(date)s).")
            % {"date": intake.strftime("%d/%m/%Y")}
        )
    elif day > timezone.localdate() + dt.timedelta(days=future_days):
        errors.setdefault(field, []).append(
            _("This date lies in the future.")
            if future_days == 0
            else _("This date lies more than a year ahead.")
        )


def _job_errors(
    errors: dict[str, list[str]],
    *,
    contract_type: str,
    sector: str,
    hours_per_week: Decimal | None,
) -> None:
    if contract_type not in ContractType.values:
        errors.setdefault("contract_type", []).append(_("Choose the contract type."))
    if sector not in Sector.values:
        errors.setdefault("sector", []).append(_("Choose the employer's sector."))
    if hours_per_week is None or not Decimal(0) < Decimal(hours_per_week) <= MAX_HOURS:
        errors.setdefault("hours_per_week", []).append(
            _("Give the hours per week, more than 0 and at most 60.")
        )


# --- Activities and milestones ---------------------------------------------------------


@transaction.atomic
def pathway_activity_create(
    *,
    actor: Any,
    client: Client,
    kind: str,
    date: dt.date,
    title: str = "",
    end_date: dt.date | None = None,
    employer: str = "",
    sector: str = "",
    contract_type: str = "",
    hours_per_week: Decimal | None = None,
    first_period_end: dt.date | None = None,
    note: str = "",
    organisation: Organisation | None = None,
) -> PathwayActivity:
    """A step on the client's pathway. A job start needs the employer's sector, the
    contract type and the hours, and gets the last day of care the covenant pays for."""
    _require_client(actor, client)
    organisation = acting_organisation(actor, client, organisation)
    errors: dict[str, list[str]] = {}
    if kind not in PathwayActivityKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of step."))
    intake = intake_date(client)
    _date_errors(errors, "date", date, intake=intake, future_days=MAX_DAYS_AHEAD)
    if end_date is not None and date is not None and end_date < date:
        errors.setdefault("end_date", []).append(_("The end comes before the start."))
    activity = PathwayActivity(
        client=client,
        kind=kind,
        title=(title or "").strip()[:200],
        date=date,
        end_date=end_date,
        employer=(employer or "").strip()[:200],
        note=(note or "").strip()[:300],
        organisation=organisation,
        created_by=actor,
    )
    if kind == PathwayActivityKind.JOB_START:
        _job_errors(
            errors, contract_type=contract_type, sector=sector, hours_per_week=hours_per_week
        )
        if first_period_end is not None and date is not None and first_period_end <= date:
            errors.setdefault("first_period_end", []).append(
                _("The first period ends after the job starts.")
            )
        activity.sector, activity.contract_type = sector, contract_type
        activity.hours_per_week = hours_per_week
        activity.first_period_end = first_period_end
        if date is not None:
            activity.care_until = care_until_for(client.network_id, date)
    if errors:
        raise ValidationError(errors)
    activity.save()
    audit.record(
        actor=actor,
        action="create",
        obj=client,
        detail={"pathway_activity": activity.pk, "kind": kind},
    )
    return activity


# --- The bridge to regular childcare ---------------------------------------------------


@transaction.atomic
def regular_care_record(
    *,
    actor: Any,
    client: Client,
    care_recipient: CareRecipient | None = None,
    registered_on: dt.date | None = None,
    desk: str = "",
    place_from: dt.date | None = None,
    provider: Organisation | None = None,
    provider_name: str = "",
    organisation: Organisation | None = None,
) -> RegularCare:
    """Record (or update) the move to regular childcare, for a child or the whole family:
    registered with the municipality's childcare desk, and a regular place found."""
    _require_client(actor, client)
    organisation = acting_organisation(actor, client, organisation)
    errors: dict[str, list[str]] = {}
    if care_recipient is not None and care_recipient.client_id != client.pk:
        errors.setdefault("care_recipient", []).append(
            _("A chosen person does not belong to this client.")
        )
    intake = intake_date(client)
    _date_errors(errors, "registered_on", registered_on, intake=intake)
    _date_errors(errors, "place_from", place_from, intake=intake, future_days=MAX_DAYS_AHEAD)
    if registered_on is None and place_from is None:
        errors.setdefault("registered_on", []).append(
            _("Give the date of registration at the childcare desk, or of the regular place.")
        )
    provider_name = (provider_name or "").strip()[:200]
    if place_from is not None and provider is None and not provider_name:
        errors.setdefault("provider", []).append(_("Say at which provider the place is."))
    if (
        provider is not None
        and not Partner.objects.filter(
            network_id=client.network_id, organisation=provider, is_care_provider=True
        ).exists()
    ):
        errors.setdefault("provider", []).append(_("Choose a care provider of the network."))
    if errors:
        raise ValidationError(errors)
    row = (
        RegularCare.objects.select_for_update()
        .filter(client=client, care_recipient=care_recipient)
        .first()
    ) or RegularCare(client=client, care_recipient=care_recipient, created_by=actor)
    created = row.pk is None
    row.registered_on = registered_on
    row.desk = (desk or "").strip()[:200]
    row.place_from = place_from
    row.provider = provider
    row.provider_name = "" if provider is not None else provider_name
    row.organisation = organisation
    row.save()
    audit.record(
        actor=actor,
        action="create" if created else "update",
        obj=client,
        detail={"regular_care": row.pk, "place_found": place_from is not None},
    )
    return row


# --- Exit ---------------------------------------------------------------------------------


@transaction.atomic
def exit_record(
    *,
    actor: Any,
    client: Client,
    date: dt.date,
    reason: str,
    note: str = "",
    organisation: Organisation | None = None,
) -> Exit:
    """The client leaves the pathway: the record is marked as exited, and follow-ups come
    3, 6 and 12 months later (unless a recent job start already has them)."""
    _require_client(actor, client)
    organisation = acting_organisation(actor, client, organisation)
    errors: dict[str, list[str]] = {}
    if reason not in ExitReason.values:
        errors.setdefault("reason", []).append(_("Choose the reason."))
    _date_errors(errors, "date", date, intake=intake_date(client))
    if Exit.objects.filter(client=client).exists():
        errors.setdefault("date", []).append(_("The client's exit has already been recorded."))
    if errors:
        raise ValidationError(errors)
    row = Exit.objects.create(
        client=client,
        date=date,
        reason=reason,
        note=(note or "").strip()[:300],
        organisation=organisation,
        created_by=actor,
    )
    # The client domain's status, set in the same transaction (clients.services has no
    # service for an exit; the caseload filters on it).
    Client.objects.filter(pk=client.pk).update(status=ClientStatus.EXITED)
    audit.record(
        actor=actor, action="update", obj=client, detail={"exit": row.pk, "reason": reason}
    )
    return row


# --- Outcomes -----------------------------------------------------------------------------


def outcome_record(
    *,
    actor: Any,
    client: Client,
    observed_on: dt.date,
    status: str,
    follow_up: FollowUp | None = None,
    contract_type: str = "",
    hours_per_week: Decimal | None = None,
    sector: str = "",
    same_job: bool | None = None,
    note: str = "",
    screening: dict[str, Any] | None = None,
    needs: list[dict[str, Any]] | None = None,
    organisation: Organisation | None = None,
) -> Outcome:
    """Where the client stands: employed (contract type, hours, sector), in training,
    seeking work, inactive or unreachable — as the answer to a follow-up, which it closes,
    with, when given, a repeated care-barrier screening."""
    _require_client(actor, client)
    organisation = acting_organisation(actor, client, organisation)
    errors: dict[str, list[str]] = {}
    if status not in OutcomeStatus.values:
        errors.setdefault("status", []).append(_("Choose the client's situation."))
    intake = intake_date(client)
    if observed_on is not None and observed_on < intake:
        errors.setdefault("observed_on", []).append(
            _("The outcome cannot be dated before the intake (%(date)s).")
            % {"date": intake.strftime("%d/%m/%Y")}
        )
    else:
        _date_errors(errors, "observed_on", observed_on, intake=intake)
    if follow_up is not None:
        if follow_up.client_id != client.pk:
            raise PermissionDenied
        if follow_up.status != FollowUpStatus.OPEN:
            errors.setdefault("follow_up", []).append(_("This follow-up has already been done."))
        elif observed_on is not None and observed_on < follow_up.anchor_date:
            errors.setdefault("observed_on", []).append(
                _("The outcome of a follow-up comes after the date it follows (%(date)s).")
                % {"date": follow_up.anchor_date.strftime("%d/%m/%Y")}
            )
    employed = status == OutcomeStatus.EMPLOYED
    if employed:
        _job_errors(
            errors, contract_type=contract_type, sector=sector, hours_per_week=hours_per_week
        )
    if screening is not None and status == OutcomeStatus.UNREACHABLE:
        errors.setdefault("status", []).append(
            _("An unreachable client cannot answer the screening.")
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if follow_up is not None:
            # The row lock makes a second answer to the same follow-up wait, then fail.
            locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
            if locked.status != FollowUpStatus.OPEN:
                raise ValidationError({"follow_up": _("This follow-up has already been done.")})
        screening_row = None
        if screening is not None:
            screening_row = client_services.screening_record(
                actor=actor,
                client=client,
                organisation=organisation,
                screening={**screening, "occasion": "follow_up"},
                needs=needs or [],
            )
        outcome = Outcome.objects.create(
            client=client,
            follow_up=follow_up,
            observed_on=observed_on,
            status=status,
            contract_type=contract_type if employed else "",
            hours_per_week=hours_per_week if employed else None,
            sector=sector if employed else "",
            same_job=same_job if employed and follow_up and follow_up.job_start_id else None,
            screening=screening_row,
            note=(note or "").strip()[:300],
            organisation=organisation,
            created_by=actor,
        )
        if follow_up is not None:
            FollowUp.objects.filter(pk=follow_up.pk).update(
                status=FollowUpStatus.DONE, done_at=timezone.now()
            )
        audit.record(
            actor=actor,
            action="create",
            obj=client,
            detail={
                "outcome": outcome.pk,
                "status": status,
                "follow_up": getattr(follow_up, "pk", None),
                "screening": getattr(screening_row, "pk", None),
            },
        )
    return outcome


# --- The schedule of follow-ups -----------------------------------------------------------


def follow_up_months() -> tuple[int, ...]:
    return rules.parse_months(getattr(settings, "FOLLOW_UP_MONTHS", None))


@transaction.atomic
def follow_ups_schedule(
    *, today: dt.date | None = None, months: tuple[int, ...] | None = None
) -> dict[str, Any]:
    """Create the follow-up tasks that fall due within the lead time, for every job start and
    exit — exactly once, however often this runs, and however many run at once: each
    (job start, months) and (exit, months) pair is unique in the database and the rows go in
    with ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite). Clients without an active
    consent are not followed up."""
    today = today or timezone.localdate()
    months = months or follow_up_months()
    horizon = today + dt.timedelta(days=rules.FOLLOW_UP_LEAD_DAYS)
    latest_anchor = rules.add_months(horizon, -min(months))
    consenting = Consent.objects.filter(client=OuterRef("client"), withdrawn_at__isnull=True)
    run = uuid.uuid4().hex
    rows: list[FollowUp] = []

    # Anchors that still miss a follow-up (so that a daily run does not re-insert history).
    incomplete = Count("follow_ups", filter=Q(follow_ups__months__in=months))
    starts = (
        PathwayActivity.objects.filter(kind=PathwayActivityKind.JOB_START, date__lte=latest_anchor)
        .filter(Exists(consenting))
        .annotate(n_done=incomplete)
        .filter(n_done__lt=len(months))
        .values_list("pk", "client_id", "date", "organisation_id", "created_by_id")
    )
    for pk, client_id, date, org_id, user_id in starts.iterator(chunk_size=2000):
        for m, due in rules.follow_up_dates(date, months):
            if due <= horizon:
                rows.append(
                    FollowUp(
                        client_id=client_id,
                        job_start_id=pk,
                        anchor_date=date,
                        months=m,
                        due_on=due,
                        responsible_organisation_id=org_id,
                        responsible_user_id=user_id,
                        created_by_run=run,
                    )
                )
    exits = list(
        Exit.objects.filter(date__lte=latest_anchor)
        .filter(Exists(consenting))
        .annotate(n_done=incomplete)
        .filter(n_done__lt=len(months))
        .values_list("pk", "client_id", "date", "organisation_id", "created_by_id")
    )
    job_start_dates: dict[int, list[dt.date]] = {}
    for client_id, date in PathwayActivity.objects.filter(
        kind=PathwayActivityKind.JOB_START, client__exit__date__lte=latest_anchor
    ).values_list("client_id", "date"):
        job_start_dates.setdefault(client_id, []).append(date)
    for pk, client_id, date, org_id, user_id in exits:
        if not rules.exit_needs_own_schedule(date, job_start_dates.get(client_id, [])):
            continue
        for m, due in rules.follow_up_dates(date, months):
            if due <= horizon:
                rows.append(
                    FollowUp(
                        client_id=client_id,
                        exit_id=pk,
                        anchor_date=date,
                        months=m,
                        due_on=due,
                        responsible_organisation_id=org_id,
                        responsible_user_id=user_id,
                        created_by_run=run,
                    )
                )
    FollowUp.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    created = FollowUp.objects.filter(created_by_run=run).count()
    return {"created": created, "considered": len(rows), "run": run, "today": today.isoformat()}
