"""Writes of the allocation: start a run, run it (in a job), accept it; what-if planning.

Only the coordinators of a network allocate its places (`access.scoping.can_allocate`):
a run reads every pending request of the network and books on the network's behalf.

Accepting never overwrites what happened since the run. Each accepted request is booked
through `care.services.booking_create`, which re-checks every place atomically; before
that, the request's current status and its day-parts and children are compared with what
the run read. Whatever no longer holds — the request was booked or cancelled by someone
else, a place was taken meanwhile, its dates or children changed, a day-part started — is
recorded on the decision as skipped with the reason, and the rest is booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zorgbrug.access import audit, scoping
from zorgbrug.allocation import selectors
from zorgbrug.allocation.core import (
    AllocationResult,
    CapacityChange,
    InvalidInstance,
    Settings,
    allocate,
    allocate_fcfs,
    more_places,
    move_places,
    what_if,
)
from zorgbrug.allocation.jobs import RUN_JOB, WHAT_IF_JOB
from zorgbrug.allocation.models import (
    AllocationDecision,
    AllocationRun,
    Outcome,
    RunState,
)
from zorgbrug.care import services as care_services
from zorgbrug.care.models import AgeBand, BookingStatus, CareSite, RequestStatus
from zorgbrug.jobs.models import Job
from zorgbrug.jobs.registry import TRANSIENT_ERRORS, JobInputError
from zorgbrug.jobs.services import job_enqueue
from zorgbrug.network.models import Network

MAX_PERIOD_DAYS = 31
DEFAULT_TIME_LIMIT = 10.0
MIN_TIME_LIMIT = 1.0
MAX_TIME_LIMIT = 120.0
MAX_SEED = 2**31 - 1
MAX_WHAT_IF_PLACES = 50
WORKERS = 2  # the solver's threads (the reference machine has two cores)

Progress = Callable[[int, int, str], None]


def _require_coordinator(actor: Any, network: Network) -> None:
    if not scoping.can_allocate(actor, network):
        raise PermissionDenied


def validate_period(
    first: dt.date | None,
    last: dt.date | None,
    *,
    allow_past: bool = False,
    today: dt.date | None = None,
) -> None:
    """A period of at most MAX_PERIOD_DAYS days; a run's may not start in the past."""
    errors: dict[str, list[str]] = {}
    if first is None:
        errors["first_date"] = [_("Enter the first day.")]
    if last is None:
        errors["last_date"] = [_("Enter the last day.")]
    if first is not None and last is not None:
        today = today or timezone.localdate()
        if last < first:
            errors.setdefault("last_date", []).append(
                _("The last day cannot be before the first day.")
            )
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            errors.setdefault("last_date", []).append(
                _("A period covers at most %(days)s days: choose a shorter one.")
                % {"days": MAX_PERIOD_DAYS}
            )
        if not allow_past and first < today:
            errors.setdefault("first_date", []).append(
                _("The period cannot start in the past: the first day is today at the earliest.")
            )
    if errors:
        raise ValidationError(errors)


def _validate_solver(seed: int, time_limit: float) -> None:
    errors: dict[str, list[str]] = {}
    if not MIN_TIME_LIMIT <= time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = [
            _("The time limit is between %(min)s and %(max)s seconds.")
            % {"min": f"{MIN_TIME_LIMIT:g}", "max": f"{MAX_TIME_LIMIT:g}"}
        ]
    if not 0 <= seed <= MAX_SEED:
        errors["seed"] = [_("The seed is a whole number from 0 to %(max)s.") % {"max": MAX_SEED}]
    if errors:
        raise ValidationError(errors)


# --- A run ----------------------------------------------------------------------------


def allocation_start(
    *,
    actor: Any,
    network: Network,
    first: dt.date | None,
    last: dt.date | None,
    seed: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> AllocationRun:
    """Create a run and hand it to a background job; bad input changes nothing."""
    _require_coordinator(actor, network)
    validate_period(first, last)
    _validate_solver(seed, time_limit)
    assert first is not None and last is not None  # validated
    with transaction.atomic():
        run = AllocationRun.objects.create(
            network=network,
            first_date=first,
            last_date=last,
            created_by=actor,
            seed=seed,
            time_limit=time_limit,
        )
        run.job = job_enqueue(
            kind=RUN_JOB,
            title=_("Allocation %(first)s–%(last)s")
            % {"first": first.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")},
            params={"run": run.pk},
            user=actor,
        )
        run.save(update_fields=["job"])
        audit.record(
            actor=actor,
            action="create",
            obj=run,
            network_id=network.pk,
            detail={"first": first.isoformat(), "last": last.isoformat(), "seed": seed},
        )
    return run


STEPS = 5


def allocation_execute(*, run_id: int, progress: Progress | None = None) -> dict[str, Any]:
    """The job's work: load, compare with first come first served, solve, explain, save.

    Safe to run again: a run that already has its result is left alone, and the decisions
    are replaced in one transaction.
    """
    report = progress or (lambda done, total, message: None)
    claimed = AllocationRun.objects.filter(
        pk=run_id, state__in=(RunState.PENDING, RunState.RUNNING)
    ).update(state=RunState.RUNNING, message="")
    if not claimed:
        return {"run": run_id, "skipped": True}
    run = AllocationRun.objects.select_related("network").get(pk=run_id)
    try:
        report(0, STEPS, _("Loading the requests and the free places"))
        loaded = selectors.allocation_instance(
            network=run.network, first=run.first_date, last=run.last_date
        )
        settings = Settings(time_limit=run.time_limit, seed=run.seed, workers=WORKERS)
        report(1, STEPS, _("First come, first served, for comparison"))
        fcfs = allocate_fcfs(loaded.instance, settings) if loaded.instance.requests else None
        report(2, STEPS, _("Looking for the best allocation"))
        result = allocate(loaded.instance, settings) if loaded.instance.requests else None
        report(3, STEPS, _("Explaining every decision"))
        decisions = _decisions(run, loaded, result, fcfs)
        report(4, STEPS, _("Saving the proposal"))
        with transaction.atomic():
            run.decisions.all().delete()
            AllocationDecision.objects.bulk_create(decisions, batch_size=500)
            _store_figures(run, loaded, result, fcfs)
            run.save()
    except TRANSIENT_ERRORS:
        AllocationRun.objects.filter(pk=run_id).update(state=RunState.PENDING)
        raise
    except InvalidInstance as exc:
        message = _("The requests and places of this period cannot be allocated: %(error)s") % {
            "error": str(exc)
        }
        _fail(run_id, message)
        raise JobInputError(message) from exc
    except Exception:
        _fail(run_id, _("The allocation failed. Try again, or tell the administrator."))
        raise
    report(STEPS, STEPS, _("Ready for review"))
    return {
        "run": run.pk,
        "requests": run.requests_total,
        "served": run.served_count,
        "served_first_come": run.fcfs_served_count,
    }


def _fail(run_id: int, message: str) -> None:
    AllocationRun.objects.filter(pk=run_id).update(
        state=RunState.FAILED, message=message[:300], finished_at=timezone.now()
    )


def _decisions(
    run: AllocationRun,
    loaded: selectors.LoadedInstance,
    result: AllocationResult | None,
    fcfs: AllocationResult | None,
) -> list[AllocationDecision]:
    assignments = {a.request_id: a for a in result.assignments} if result else {}
    reasons = {u.request_id: u.reason for u in result.unserved} if result else {}
    first_come = fcfs.served_ids if fcfs else frozenset()
    out = []
    for pk, facts in loaded.facts.items():
        key = str(pk)
        decision = AllocationDecision(
            run=run,
            care_request_id=pk,
            priority=facts.priority,
            points=facts.points,
            arrival=facts.arrival,
            fingerprint=facts.fingerprint,
            fcfs_served=key in first_come,
        )
        assignment = assignments.get(key)
        if assignment is not None:
            decision.served = True
            decision.value = round(assignment.value, 2)
            decision.distance_km = round(assignment.distance_km, 1)
            decision.plan = [
                {
                    "date": p.slot.date.isoformat(),
                    "part": selectors.PART_CODES[p.slot.part],
                    "site": int(p.site_id),
                    "recipient": int(p.child_id),
                }
                for p in sorted(
                    assignment.placements,
                    key=lambda p: (p.slot.sort_key(), int(p.child_id)),
                )
            ]
        elif pk in loaded.excluded:
            decision.reason_code, decision.reason_params = loaded.excluded[pk]
        else:
            reason = reasons[key]
            decision.reason_code = reason.code.value
            decision.reason_params = reason.as_dict
        out.append(decision)
    return out


def _store_figures(
    run: AllocationRun,
    loaded: selectors.LoadedInstance,
    result: AllocationResult | None,
    fcfs: AllocationResult | None,
) -> None:
    run.state = RunState.READY
    run.finished_at = timezone.now()
    run.requests_total = loaded.total
    run.instance_digest = loaded.digest
    run.snapshot = loaded.snapshot
    if result is None or fcfs is None:
        run.solve_status = "optimal"
        run.objective = run.bound = run.gap = run.priority_value = 0.0
        run.fcfs_objective = run.fcfs_priority_value = 0.0
        run.seconds = 0.0
        run.served_count = run.fcfs_served_count = 0
        run.stats = {"excluded": len(loaded.excluded)}
        return
    run.solve_status = result.status.value
    run.objective = round(result.objective, 2)
    run.bound = round(result.bound, 2)
    run.gap = result.gap
    run.seconds = round(result.seconds, 3)
    run.priority_value = round(result.priority_value, 2)
    run.served_count = len(result.assignments)
    run.fcfs_served_count = len(fcfs.assignments)
    run.fcfs_objective = round(fcfs.objective, 2)
    run.fcfs_priority_value = round(fcfs.priority_value, 2)
    run.stats = {
        **dict(result.stats),
        "excluded": len(loaded.excluded),
        "reproducible": result.reproducible,
    }


# --- Accepting ------------------------------------------------------------------------


@dataclass
class AcceptReport:
    booked: list[AllocationDecision] = field(default_factory=list)
    skipped: list[AllocationDecision] = field(default_factory=list)

    @property
    def changed_since_run(self) -> int:
        return len(self.skipped)


def _changed_message(status: str) -> str:
    if status in (RequestStatus.BOOKED, RequestStatus.WAITING_PROVIDER):
        return _("Someone else booked this request after the run.")
    if status == RequestStatus.CANCELLED:
        return _("The request was cancelled after the run.")
    return _("The request's status changed after the run: it is now “%(status)s”.") % {
        "status": RequestStatus(status).label
    }


def accept_choice_message() -> str:
    return _("Send either “all”: true or the list of “requests” to book.")


def allocation_accept(
    *, actor: Any, run: AllocationRun, request_ids: list[int] | None = None
) -> AcceptReport:
    """Book the run's served requests (all, or those of `request_ids`), each on its plan.

    Every request is booked in its own transaction through the booking service, so that
    one that can no longer be booked does not hold up the others; what stands in its way
    is recorded on its decision (never overwritten: a booking made since the run stays).
    """
    _require_coordinator(actor, run.network)
    run = AllocationRun.objects.select_related("network").get(pk=run.pk)
    if not run.has_result:
        raise ValidationError(_("This run has no proposal to accept."))
    served = run.decisions.filter(served=True)
    if request_ids is not None:
        wanted = set(request_ids)
        if not wanted:
            raise ValidationError({"requests": [_("Choose at least one request to accept.")]})
        known = set(
            served.filter(care_request_id__in=wanted).values_list("care_request_id", flat=True)
        )
        unknown = sorted(wanted - known)
        if unknown:
            raise ValidationError(
                {
                    "requests": [
                        _("This run does not serve these requests: %(ids)s.")
                        % {"ids": ", ".join(str(i) for i in unknown)}
                    ]
                }
            )
        served = served.filter(care_request_id__in=wanted)
    todo = list(
        served.filter(outcome="").select_related("care_request").order_by("-value", "arrival", "pk")
    )
    if not todo:
        raise ValidationError(_("These requests have been accepted already."))
    current = selectors.request_fingerprints([d.care_request_id for d in todo])
    report = AcceptReport()
    for decision in todo:
        status, print_now = current.get(decision.care_request_id, ("", ""))
        outcome: str
        with transaction.atomic():
            if status not in selectors.PENDING_STATUSES:
                outcome, message = Outcome.REQUEST_CHANGED, _changed_message(status)
            elif print_now != decision.fingerprint:
                outcome = Outcome.PLAN_INVALID
                message = _("The request's days or children changed after the run.")
            else:
                outcome, message = _book(actor, decision)
            decision.outcome = outcome
            decision.outcome_message = message[:500]
            decision.decided_at = timezone.now()
            decision.save(update_fields=["outcome", "outcome_message", "decided_at"])
        if outcome in (Outcome.BOOKED, Outcome.WAITING_PROVIDER):
            report.booked.append(decision)
        else:
            report.skipped.append(decision)
    AllocationRun.objects.filter(pk=run.pk).update(
        state=RunState.ACCEPTED, accepted_at=timezone.now(), accepted_by=actor
    )
    audit.record(
        actor=actor,
        action="update",
        obj=run,
        network_id=run.network_id,
        detail={
            "accepted": [d.care_request_id for d in report.booked],
            "skipped": {str(d.care_request_id): d.outcome for d in report.skipped},
        },
    )
    return report


def _book(actor: Any, decision: AllocationDecision) -> tuple[str, str]:
    plan = {
        (dt.date.fromisoformat(day), part): site
        for (day, part), site in decision.plan_by_slot().items()
    }
    try:
        # Our savepoint (not a second one of the booking service's): whatever the booking
        # service refuses leaves nothing behind, and the decision's transaction goes on.
        # Access was checked above (the network's coordinator), not by the client scope.
        with transaction.atomic():
            bookings = care_services.booking_create(
                actor=actor,
                request=decision.care_request,
                plan=plan,
                check_access=False,
                savepoint=False,
            )
    except care_services.NoLongerAvailable as exc:
        return Outcome.CAPACITY_TAKEN, " ".join(exc.messages)
    except care_services.Busy:
        return Outcome.BUSY, _("The places were being booked by someone else: try again.")
    except IntegrityError:
        return Outcome.PLAN_INVALID, _(
            "A child was booked elsewhere at the same time after the run."
        )
    except ValidationError as exc:
        return Outcome.PLAN_INVALID, " ".join(exc.messages)
    if any(b.status == BookingStatus.PENDING for b in bookings):
        return Outcome.WAITING_PROVIDER, _("Booked; the provider confirms the booking.")
    return Outcome.BOOKED, ""


# --- What if: capacity planning -------------------------------------------------------


WHAT_IF_FIGURES = (
    "requests",
    "base_served",
    "changed_served",
    "extra_requests",
    "base_points",
    "extra_points",
    "newly_served",
    "no_longer_served",
)


@dataclass(frozen=True)
class PlannedChange:
    """More places at a site, or places moved from one site to another."""

    site: CareSite
    places: int
    to_site: CareSite | None = None  # set: move `places` from `site` to `to_site`
    band: AgeBand | None = None  # None: every band the site takes

    def core(self) -> list[CapacityChange]:
        band = str(self.band.pk) if self.band else None
        if self.to_site is None:
            return [more_places(str(self.site.pk), self.places, band=band)]
        return move_places(str(self.site.pk), str(self.to_site.pk), self.places, band=band)


def what_if_start(
    *,
    actor: Any,
    network: Network,
    first: dt.date | None,
    last: dt.date | None,
    change: PlannedChange,
    time_limit: float = 5.0,
) -> Job:
    """Capacity planning as a job: how much more of the period's demand would have been
    served with the change? Past periods are the point here."""
    _require_coordinator(actor, network)
    validate_period(first, last, allow_past=True)
    _validate_solver(0, time_limit)
    assert first is not None and last is not None
    errors: dict[str, list[str]] = {}
    sites = [change.site] + ([change.to_site] if change.to_site else [])
    if any(s.network_id != network.pk or not s.is_active for s in sites):
        errors["site"] = [_("Choose an active care site of this network.")]
    if change.to_site is not None and change.to_site.pk == change.site.pk:
        errors["to_site"] = [_("Move the places to another site.")]
    if not 1 <= change.places <= MAX_WHAT_IF_PLACES:
        errors["places"] = [
            _("Between 1 and %(max)s places per day-part.") % {"max": MAX_WHAT_IF_PLACES}
        ]
    if change.band is not None and change.band.network_id != network.pk:
        errors["band"] = [_("This age band belongs to another network.")]
    if errors:
        raise ValidationError(errors)
    job = job_enqueue(
        kind=WHAT_IF_JOB,
        title=_("What if: %(site)s") % {"site": change.site.site.name},
        params={
            "network": network.pk,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "site": change.site.pk,
            "to_site": change.to_site.pk if change.to_site else None,
            "places": change.places,
            "band": change.band.pk if change.band else None,
            "time_limit": time_limit,
        },
        user=actor,
    )
    audit.record(
        actor=actor,
        action="view",
        obj=network,
        object_type="allocation.what_if",
        object_id=str(job.pk),
        network_id=network.pk,
        detail={"what_if": job.params},
    )
    return job


def what_if_execute(
    *,
    network: int,
    first: str,
    last: str,
    site: int,
    places: int,
    to_site: int | None = None,
    band: int | None = None,
    time_limit: float = 5.0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    report = progress or (lambda done, total, message: None)
    report(0, 3, _("Loading the period's requests and places"))
    loaded = selectors.allocation_instance(
        network=Network.objects.get(pk=network),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        mode="demand",
    )
    care_sites = {s.pk: s for s in CareSite.objects.filter(pk__in=[site, to_site or site])}
    change = PlannedChange(
        site=care_sites[site],
        places=places,
        to_site=care_sites[to_site] if to_site else None,
        band=AgeBand.objects.get(pk=band) if band else None,
    )
    if not loaded.instance.requests:
        return dict.fromkeys(WHAT_IF_FIGURES, 0)
    settings = Settings(time_limit=time_limit, workers=WORKERS)
    report(1, 3, _("Allocating with the places as they were and as changed"))
    outcome = what_if(loaded.instance, change.core(), settings)
    report(3, 3, "")
    return {
        "requests": len(loaded.instance.requests),
        "base_served": len(outcome.base.assignments),
        "changed_served": len(outcome.changed.assignments),
        "extra_requests": outcome.extra_requests,
        "base_points": round(outcome.base.priority_value, 1),
        "extra_points": round(outcome.extra_priority_value, 1),
        "newly_served": len(outcome.newly_served),
        "no_longer_served": len(outcome.no_longer_served),
    }
