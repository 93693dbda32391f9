"""Reads for the allocation: the instance a run allocates, and runs and decisions to review.

`allocation_instance` turns a network's care requests and capacity of a period into the
pure core's `Instance`, in a fixed number of queries whatever the size:

- **Requests.** In `pending` mode (an allocation run): the requests waiting for a place
  (open or on the waiting list) with at least one needed day-part in the period, each with
  *all* its day-parts — a request is served whole or not at all, and the booking service
  books it whole. In `demand` mode (capacity planning, "what if"): every request that asked
  care in the period and was not cancelled, booked ones included, with its day-parts
  clipped to the period.
- **Who and where.** The order of arrival (creation time, then id); the children's ages
  in months on the request's first day; the priority class from the activity's kind
  (`covenant.policy.priority_class`); home (the client's postcode) and activity location
  — the core measures the distance to a site from the nearer of the two; the client's
  languages plus the request's preferred one.
- **Places.** Per active care site of the network, date, day-part and age band: the free
  places of the booking counters (`places - booked`; in `demand` mode all `places`, since
  the bookings being replayed are part of the demand). Weekly opening by day-part (opening
  hours that overlap the day-part's window, as the booking service reads them), closures
  and public holidays, and every age band the site takes.
- **Weights** from the covenant in force on the first day
  (`Weights.from_points(allocation_priorities(...))`), without splitting siblings over two
  sites on one day-part: the booking service books one site per day-part for a request.

Requests the core cannot take as they are (a day-part already started, no known location,
a child changing age band during the request) are left out of the instance with a reason
of their own, so that every request of the period still gets its explanation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from zorgbrug.access import scoping
from zorgbrug.allocation.core import (
    AgeBand as CoreBand,
)
from zorgbrug.allocation.core import (
    CareRecipient as CoreChild,
)
from zorgbrug.allocation.core import (
    CareRequest as CoreRequest,
)
from zorgbrug.allocation.core import (
    DayPart as CorePart,
)
from zorgbrug.allocation.core import (
    Instance,
    Location,
    Places,
    Priority,
    Site,
    Slot,
    Weights,
)
from zorgbrug.allocation.models import AllocationDecision, AllocationRun
from zorgbrug.care import calendar as cal
from zorgbrug.care.models import (
    AgeBand,
    CapacitySlot,
    CareRequest,
    CareSite,
    Closure,
    NeededSlot,
    OpeningHours,
    RequestStatus,
)
from zorgbrug.care.services import band_for
from zorgbrug.covenant.policy import allocation_priorities, priority_class
from zorgbrug.network.models import Network

Mode = Literal["pending", "demand"]

PENDING_STATUSES = (RequestStatus.OPEN, RequestStatus.WAITLISTED)
DEMAND_STATUSES = (
    RequestStatus.OPEN,
    RequestStatus.WAITLISTED,
    RequestStatus.REFUSED,
    RequestStatus.BOOKED,
    RequestStatus.WAITING_PROVIDER,
)

# Reasons of the product (not of the core) why a request is not in the instance.
STARTED = "started"
NO_LOCATION = "no_location"
BAND_CHANGES = "band_changes"
NO_CHILDREN = "no_children"

PARTS = {"am": CorePart.MORNING, "pm": CorePart.AFTERNOON}
PART_CODES = {CorePart.MORNING: "am", CorePart.AFTERNOON: "pm"}


@dataclass(frozen=True)
class RequestFacts:
    """What a run keeps of a request besides the core's view of it."""

    pk: int
    priority: str
    arrival: dt.datetime
    fingerprint: str
    points: float  # request + day-part points, if served


@dataclass
class LoadedInstance:
    instance: Instance
    facts: dict[int, RequestFacts]  # every request of the period, in or out of the instance
    excluded: dict[int, tuple[str, dict[str, Any]]]  # left out: (reason code, params)
    site_names: dict[int, str]
    digest: str
    snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.facts)


def fingerprint(needs: list[tuple[dt.date, str]], recipients: list[int]) -> str:
    """A request's day-parts and children: what a plan was made for."""
    data = [sorted((d.isoformat(), p) for d, p in needs), sorted(recipients)]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def request_fingerprints(request_ids: list[int]) -> dict[int, tuple[str, str]]:
    """request id -> (current status, current fingerprint), in three queries."""
    statuses = dict(CareRequest.objects.filter(pk__in=request_ids).values_list("pk", "status"))
    needs: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for rid, date, part in NeededSlot.objects.filter(request_id__in=request_ids).values_list(
        "request_id", "date", "day_part"
    ):
        needs[rid].append((date, part))
    children: dict[int, list[int]] = defaultdict(list)
    through = CareRequest.recipients.through
    for rid, child in through.objects.filter(carerequest_id__in=request_ids).values_list(
        "carerequest_id", "carerecipient_id"
    ):
        children[rid].append(child)
    return {
        rid: (status, fingerprint(needs[rid], children[rid])) for rid, status in statuses.items()
    }


def _opening(hours: list[tuple[int, dt.time, dt.time]]) -> frozenset[tuple[int, CorePart]]:
    out = set()
    for weekday, opens, closes in hours:
        for code, part in PARTS.items():
            window = cal.WINDOW_BY_PART[code]
            if opens < window.end and closes > window.start:
                out.add((weekday, part))
    return frozenset(out)


def _started(day: dt.date, part: str, now: dt.datetime) -> bool:
    start = dt.datetime.combine(
        day, cal.WINDOW_BY_PART[part].start, tzinfo=timezone.get_current_timezone()
    )
    return now >= start


def _location(lat: Any, lng: Any) -> Location | None:
    if lat is None or lng is None:
        return None
    return Location(float(lat), float(lng))


def _requests_of(
    network: Network, first: dt.date, last: dt.date, mode: Mode
) -> QuerySet[CareRequest]:
    statuses = PENDING_STATUSES if mode == "pending" else DEMAND_STATUSES
    in_period = NeededSlot.objects.filter(request=OuterRef("pk"), date__gte=first, date__lte=last)
    return CareRequest.objects.filter(network=network, status__in=statuses).filter(
        Exists(in_period)
    )


def allocation_instance(
    *,
    network: Network,
    first: dt.date,
    last: dt.date,
    mode: Mode = "pending",
    now: dt.datetime | None = None,
    weights: Weights | None = None,
) -> LoadedInstance:
    """The core's instance for a network and period (see the module docstring)."""
    now = now or timezone.now()
    requests = _requests_of(network, first, last, mode)
    rows = list(
        requests.order_by("created_at", "pk").values_list(
            "pk",
            "status",
            "created_at",
            "language",
            "activity__kind",
            "activity__latitude",
            "activity__longitude",
            "client__latitude",
            "client__longitude",
            "client__languages",
        )
    )
    ids = requests.values("pk")
    all_needs: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for rid, date, part in NeededSlot.objects.filter(request__in=ids).values_list(
        "request_id", "date", "day_part"
    ):
        all_needs[rid].append((date, part))
    children: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    through = CareRequest.recipients.through
    for rid, child, birth in (
        through.objects.filter(carerequest__in=ids)
        .order_by("carerecipient__birth_date", "carerecipient_id")
        .values_list("carerequest_id", "carerecipient_id", "carerecipient__birth_date")
    ):
        children[rid].append((child, birth))
    bands = list(AgeBand.objects.filter(network=network).order_by("min_months"))
    weights = weights or Weights.from_points(
        allocation_priorities(network_id=network.pk, on=first), split_by_child=False
    )

    facts: dict[int, RequestFacts] = {}
    excluded: dict[int, tuple[str, dict[str, Any]]] = {}
    core_requests: list[CoreRequest] = []
    for sequence, (
        rid,
        _status,
        created_at,
        language,
        kind,
        act_lat,
        act_lng,
        home_lat,
        home_lng,
        client_languages,
    ) in enumerate(rows):
        needs = sorted(all_needs[rid], key=lambda n: (n[0], n[1]))
        kids = children[rid]
        priority = Priority(priority_class(kind))
        weight = weights.priorities[priority]
        used = [n for n in needs if first <= n[0] <= last] if mode == "demand" else needs
        facts[rid] = RequestFacts(
            pk=rid,
            priority=priority.value,
            arrival=created_at,
            fingerprint=fingerprint(needs, [k for k, _ in kids]),
            points=round(weight.request + len(used) * weight.per_day_part, 2),
        )
        if not used or not kids:
            excluded[rid] = (NO_CHILDREN, {})
            continue
        if mode == "pending":
            started = [n for n in used if _started(n[0], n[1], now)]
            if started:
                excluded[rid] = (STARTED, {"date": started[0][0].isoformat()})
                continue
        home = _location(home_lat, home_lng)
        activity = _location(act_lat, act_lng)
        if home is None and activity is None:
            excluded[rid] = (NO_LOCATION, {})
            continue
        start, end = used[0][0], used[-1][0]
        ages = []
        changes = False
        for child, birth in kids:
            # The band the booking service will book on each day: the same on the first and
            # the last day, or the request cannot be placed as one child in one band.
            changes |= band_for(bands, birth, start) != band_for(bands, birth, end)
            ages.append(CoreChild(id=str(child), age_months=cal.age_in_months(birth, start)))
        if changes:
            excluded[rid] = (BAND_CHANGES, {})
            continue
        languages = set(client_languages or [])
        if language:
            languages.add(language)
        core_requests.append(
            CoreRequest(
                id=str(rid),
                # First come, first served by (created_at, id): requests made in the same
                # instant (a batch import) are served in the order they were stored.
                arrival=sequence,
                priority=priority,
                children=tuple(ages),
                slots=tuple(Slot(d, PARTS[p]) for d, p in used),
                home=home or activity,  # type: ignore[arg-type]  # one of them is set
                activity=activity if home is not None else None,
                languages=frozenset(languages),
            )
        )

    dates = sorted({s.date for r in core_requests for s in r.slots})
    site_rows = list(
        CareSite.objects.filter(network=network, is_active=True)
        .order_by("pk")
        .values_list(
            "pk",
            "site__name",
            "site__latitude",
            "site__longitude",
            "languages",
            "site__organisation_id",
        )
    )
    site_ids = [r[0] for r in site_rows]
    hours: dict[int, list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
    closed: dict[int, set[dt.date]] = defaultdict(set)
    site_bands: dict[int, set[int]] = defaultdict(set)
    free: dict[tuple[int, dt.date, str, int], int] = {}
    if dates and site_ids:
        for site_id, weekday, opens, closes in OpeningHours.objects.filter(
            care_site__network=network, care_site__is_active=True
        ).values_list("care_site_id", "weekday", "opens", "closes"):
            hours[site_id].append((weekday, opens, closes))
        wanted = set(dates)
        for site_id, first_day, last_day in Closure.objects.filter(
            care_site__network=network, first_day__lte=dates[-1], last_day__gte=dates[0]
        ).values_list("care_site_id", "first_day", "last_day"):
            closed[site_id] |= {d for d in wanted if first_day <= d <= last_day}
        for site_id, band_id in CareSite.age_bands.through.objects.filter(
            caresite__network=network, caresite__is_active=True
        ).values_list("caresite_id", "ageband_id"):
            site_bands[site_id].add(band_id)
        for site_id, date, part, band_id, places, booked in CapacitySlot.objects.filter(
            network=network, care_site__is_active=True, date__in=dates
        ).values_list("care_site_id", "date", "day_part", "age_band_id", "places", "booked"):
            free[(site_id, date, part, band_id)] = max(
                0, places - (booked if mode == "pending" else 0)
            )
    holidays = {d for d in dates if cal.is_public_holiday(d)}

    sites = []
    site_names = {}
    for pk, name, lat, lng, languages, org_id in site_rows:
        site_names[pk] = name
        where = _location(lat, lng)
        if where is None:
            continue  # a site without an address is out of everyone's reach
        sites.append(
            Site(
                id=str(pk),
                provider_id=str(org_id),
                name=name,
                location=where,
                languages=frozenset(languages or []),
                opening=_opening(hours[pk]),
                closed_dates=frozenset(closed[pk] | holidays),
            )
        )
    located = {int(s.id) for s in sites}
    band_ids = {b.pk for b in bands}
    cells = {
        (str(site), Slot(date, PARTS[part]), str(band)): n
        for (site, date, part, band), n in free.items()
        if site in located and band in band_ids
    }
    # Every band a site takes, even without places in the period: the reasons tell "no site
    # takes this age" from "no free place".
    if dates:
        anchor = Slot(dates[0], CorePart.MORNING)
        for site in located:
            for band in site_bands[site] & band_ids:
                cells.setdefault((str(site), anchor, str(band)), 0)
    core_places = tuple(
        Places(site_id=k[0], slot=k[1], band=k[2], free=v)
        for k, v in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1].sort_key(), kv[0][2]))
    )
    instance = Instance(
        requests=tuple(core_requests),
        sites=tuple(sites),
        places=core_places,
        bands=tuple(CoreBand(str(b.pk), b.min_months, b.max_months) for b in bands),
        weights=weights,
    )
    requests_digest = _digest([_request_json(r) for r in instance.requests])
    capacity_digest = _digest(
        [
            [p.site_id, p.slot.date.isoformat(), p.slot.part.value, p.band, p.free]
            for p in core_places
        ]
    )
    digest = _digest(
        {
            "requests": requests_digest,
            "capacity": capacity_digest,
            "sites": [_site_json(s) for s in instance.sites],
            "bands": [asdict(b) for b in instance.bands],
            "weights": _weights_json(weights),
        }
    )
    snapshot = {
        "mode": mode,
        "read_at": now.isoformat(),
        "requests": len(facts),
        "in_instance": len(core_requests),
        "excluded": len(excluded),
        "sites": len(sites),
        "cells": len(core_places),
        "free_places": sum(p.free for p in core_places),
        "requests_digest": requests_digest,
        "capacity_digest": capacity_digest,
    }
    return LoadedInstance(
        instance=instance,
        facts=facts,
        excluded=excluded,
        site_names=site_names,
        digest=digest,
        snapshot=snapshot,
    )


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _request_json(r: CoreRequest) -> list[Any]:
    return [
        r.id,
        str(r.arrival),
        r.priority.value,
        [[c.id, c.age_months] for c in r.children],
        [[s.date.isoformat(), s.part.value] for s in r.slots],
        [r.home.latitude, r.home.longitude],
        [r.activity.latitude, r.activity.longitude] if r.activity else None,
        sorted(r.languages),
    ]


def _site_json(s: Site) -> list[Any]:
    return [
        s.id,
        [s.location.latitude, s.location.longitude],
        sorted(s.languages),
        sorted([w, p.value] for w, p in s.opening),
        sorted(d.isoformat() for d in s.closed_dates),
    ]


def _weights_json(w: Weights) -> dict[str, Any]:
    data = asdict(w)
    data["priorities"] = {k.value: [v.request, v.per_day_part] for k, v in w.priorities.items()}
    return data


# --- Runs for the pages and the API ----------------------------------------------------


def runs_for(user: Any) -> QuerySet[AllocationRun]:
    return scoping.allocation_runs(user).select_related("network", "job", "created_by")


def run_for(user: Any, pk: int) -> AllocationRun:
    return scoping.get_or_404(runs_for(user), pk=pk)


def decisions_of(run: AllocationRun) -> QuerySet[AllocationDecision]:
    """A run's decisions with what the review shows of each request (one query)."""
    return run.decisions.select_related(
        "care_request__client", "care_request__activity", "care_request__organisation"
    ).order_by("-served", "-value", "arrival", "pk")


def decision_children(decisions: list[AllocationDecision]) -> dict[int, list[str]]:
    """care request id -> the first names of its children (one query)."""
    through = CareRequest.recipients.through
    out: dict[int, list[str]] = defaultdict(list)
    for rid, name in (
        through.objects.filter(carerequest_id__in=[d.care_request_id for d in decisions])
        .order_by("carerecipient__birth_date", "carerecipient_id")
        .values_list("carerequest_id", "carerecipient__first_name")
    ):
        out[rid].append(name)
    return out


def site_names(ids: set[int]) -> dict[int, str]:
    return dict(CareSite.objects.filter(pk__in=ids).values_list("pk", "site__name"))


def networks_to_allocate(user: Any) -> QuerySet[Network]:
    return scoping.networks(user, manage=True).order_by("name")


def network_for_allocation(user: Any, slug: str) -> Network:
    return scoping.get_or_404(networks_to_allocate(user), slug=slug)
