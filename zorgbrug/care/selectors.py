"""Reads of the care domain: proposals for a request, day lists, a client's bookings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from zorgbrug.access import scoping as access
from zorgbrug.care import calendar as cal
from zorgbrug.care.geo import km
from zorgbrug.care.models import (
    AgeBand,
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    CareSite,
    Preference,
)
from zorgbrug.care.services import BookingFacts, Plan, band_for

MAX_OPTIONS = 5


@dataclass
class Option:
    """A way to place a whole request: one site, or two when none covers every day-part."""

    sites: list[CareSite]
    plan: Plan
    distance_km: float | None
    language_match: bool
    split: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return "-".join(str(s.pk) for s in self.sites)


@dataclass
class Proposal:
    options: list[Option]
    why_none: list[str]
    needs: list[tuple[dt.date, str]]
    # The children and age bands the options were made for (when there are options).
    facts: BookingFacts | None = None


def _origin(request: CareRequest) -> tuple[Any, Any]:
    client, activity = request.client, request.activity
    if request.preference == Preference.NEAR_ACTIVITY and activity.latitude is not None:
        return activity.latitude, activity.longitude
    return client.latitude, client.longitude


def _demand(
    request: CareRequest, bands: list[AgeBand]
) -> tuple[dict[tuple[dt.date, str], dict[int, int]], list[str]]:
    demand: dict[tuple[dt.date, str], dict[int, int]] = {}
    problems = []
    recipients = list(request.recipients.all())
    for need in request.needs.all():
        per_band: dict[int, int] = defaultdict(int)
        for r in recipients:
            band = band_for(bands, r.birth_date, need.date)
            if band is None:
                problems.append(
                    _("No age band of the network fits %(name)s on %(date)s.")
                    % {"name": r.first_name, "date": need.date.strftime("%d/%m")}
                )
                continue
            per_band[band.pk] += 1
        demand[(need.date, need.day_part)] = dict(per_band)
    return demand, problems


def _children_already_placed(request: CareRequest, needs: list[tuple[dt.date, str]]) -> list[str]:
    """Why no site can take the request when a child already has a place at one of its
    day-parts through another request (a child holds one place per day-part)."""
    from zorgbrug.care.models import HOLDING, Booking

    wanted = set(needs)
    taken = (
        Booking.objects.filter(
            recipient__in=[r.pk for r in request.recipients.all()],  # prefetched
            status__in=HOLDING,
            date__in={d for d, _p in needs},
        )
        .exclude(request=request)
        .values_list("recipient__first_name", "date", "day_part")
        .order_by("date", "day_part", "recipient__first_name")
    )
    return [
        _(
            "%(name)s already has care on %(date)s (%(part)s) through another request: "
            "cancel that care or change this request."
        )
        % {"name": name, "date": day.strftime("%d/%m"), "part": _part_label(part)}
        for name, day, part in taken
        if (day, part) in wanted
    ]


def _part_label(part: str) -> str:
    return str(dict(cal_parts()).get(part, part))


def cal_parts() -> list[tuple[str, Any]]:
    from zorgbrug.care.models import DayPart

    return list(DayPart.choices)


def options_for_request(
    request: CareRequest, *, limit: int = MAX_OPTIONS, now: dt.datetime | None = None
) -> Proposal:
    """Rank the sites that can take the whole request, and say why when none can.

    Order: sites that cover every day-part for every child first; among them the nearest
    (home or activity, as the request prefers), with a language the client speaks, then
    the fewest vacancy (short-notice) places used. Without a full fit, the best split over
    two sites.
    """
    request = (
        CareRequest.objects.select_related("client", "activity")
        .prefetch_related("needs", "recipients")
        .get(pk=request.pk)
    )
    bands = list(AgeBand.objects.filter(network_id=request.network_id))
    band_names = {b.pk: b.name for b in bands}
    demand, problems = _demand(request, bands)
    needs = sorted(demand)
    if problems:
        return Proposal([], problems, needs)
    now = now or timezone.now()
    live_needs = [k for k in needs if not _started(k, now)]
    if len(live_needs) < len(needs):
        return Proposal([], [_("Some day-parts of this request have already started.")], needs)
    busy = _children_already_placed(request, needs)
    if busy:
        return Proposal([], busy, needs)
    dates = {d for d, _p in needs}
    band_ids = {b for per in demand.values() for b in per}
    wanted = {(d, p, b): n for (d, p), per in demand.items() for b, n in per.items()}
    all_needs = set(needs)
    slots = CapacitySlot.objects.filter(
        network_id=request.network_id,
        date__in=dates,
        day_part__in={p for _d, p in needs},
        age_band_id__in=band_ids,
        care_site__is_active=True,
    )
    coverage = dict.fromkeys(
        _sites_covering_all(slots, wanted, dates, {p for _d, p in needs}, band_ids), all_needs
    )
    if not coverage:
        # Free places as plain tuples (no model instances, no annotated expressions whose
        # per-row converters cost more than the query): a site covers a need when every
        # band's demand fits; count, per site and need, the bands whose demand fits.
        rows = slots.filter(booked__lt=F("places")).values_list(
            "care_site_id", "date", "day_part", "age_band_id", "places", "booked"
        )
        bands_per_need = {need: len(per) for need, per in demand.items()}
        fitting: dict[int, dict[tuple[dt.date, str], int]] = defaultdict(dict)
        for site_id, date, part, band_id, places, booked in rows:
            n = wanted.get((date, part, band_id))
            if n is not None and places - booked >= n:
                per_site = fitting[site_id]
                per_site[(date, part)] = per_site.get((date, part), 0) + 1
        for site_id, per_need in fitting.items():
            covered = {need for need, k in per_need.items() if k == bands_per_need[need]}
            if covered:
                coverage[site_id] = covered
    # What ranking needs of a site: where it is and which languages it speaks.
    facts = {
        pk: (lat, lng, languages)
        for pk, lat, lng, languages in CareSite.objects.filter(pk__in=coverage.keys()).values_list(
            "pk", "site__latitude", "site__longitude", "languages"
        )
    }
    origin = _origin(request)
    client_languages = set(request.client.languages or [])
    if request.language:
        client_languages.add(request.language)
    described: dict[int, tuple[float | None, bool]] = {}

    def describe(site_id: int) -> tuple[float | None, bool]:
        if site_id not in described:
            lat, lng, languages = facts[site_id]
            described[site_id] = (
                km(origin[0], origin[1], lat, lng),
                bool(client_languages & set(languages or [])),
            )
        return described[site_id]

    # Candidates as (site ids, plan, distance, language match, split, reasons).
    Candidate = tuple[list[int], Plan, float | None, bool, bool, list[str]]

    def rank(c: Candidate) -> tuple[Any, ...]:
        return (c[4], c[2] if c[2] is not None else 1e9, not c[3], "-".join(map(str, c[0])))

    candidates: list[Candidate] = []
    for site_id, covered in coverage.items():
        if covered == all_needs:
            distance, lang = describe(site_id)
            candidates.append(([site_id], dict.fromkeys(needs, site_id), distance, lang, False, []))
    if not candidates and coverage:
        # Best split: the site covering most, then the one covering most of the rest.
        ordered = sorted(coverage, key=lambda s: (-len(coverage[s]), describe(s)[0] or 1e9))
        for first in ordered[:10]:
            rest = all_needs - coverage[first]
            seconds = [s for s in ordered if s != first and rest <= coverage[s]]
            if seconds:
                second = min(seconds, key=lambda s: describe(s)[0] or 1e9)
                plan = {n: first if n in coverage[first] else second for n in needs}
                d1, l1 = describe(first)
                d2, l2 = describe(second)
                distance = (
                    max(d for d in (d1, d2) if d is not None)
                    if (d1 is not None or d2 is not None)
                    else None
                )
                candidates.append(
                    (
                        [first, second],
                        plan,
                        distance,
                        l1 or l2,
                        True,
                        [_("No single site is free on every day-part.")],
                    )
                )
    candidates.sort(key=rank)
    kept = candidates[:limit]
    if not kept:
        sites = _care_sites_by_id(coverage.keys())
        return Proposal([], _why_none(request, needs, demand, coverage, sites, band_names), needs)
    sites = _care_sites_by_id({pk for c in kept for pk in c[0]})
    options = []
    for site_ids, plan, distance, lang, split, reasons in kept:
        option = Option([sites[pk] for pk in site_ids], plan, distance, lang, split, reasons)
        if option.distance_km is not None:
            option.reasons.append(_("%(km)s km away") % {"km": f"{option.distance_km:.1f}"})
        if option.language_match:
            option.reasons.append(_("speaks a language of the family"))
        options.append(option)
    return Proposal(options, [], needs, BookingFacts.of(request.recipients.all(), bands))


def _sites_covering_all(
    slots: QuerySet[CapacitySlot],
    wanted: dict[tuple[dt.date, str, int], int],
    dates: set[dt.date],
    parts: set[str],
    band_ids: set[int],
) -> list[int]:
    """The usual request (every day-part the same children): the sites whose counters have
    room in every cell of the date × day-part × band grid, counted by the database instead
    of shipping thousands of rows. Empty when the request is not of that shape (or no site
    covers it all): the caller then works out partial coverage row by row."""
    if len(set(wanted.values())) != 1 or len(wanted) != len(dates) * len(parts) * len(band_ids):
        return []
    each = next(iter(wanted.values()))
    return list(
        slots.filter(places__gte=F("booked") + each)
        .values("care_site_id")
        .annotate(fits=Count("pk"))
        .filter(fits=len(wanted))
        .values_list("care_site_id", flat=True)
    )


def _care_sites_by_id(ids: Any) -> dict[int, CareSite]:
    return {s.pk: s for s in CareSite.objects.select_related("site").filter(pk__in=ids)}


def _started(need: tuple[dt.date, str], now: dt.datetime) -> bool:
    start = dt.datetime.combine(
        need[0], cal.WINDOW_BY_PART[need[1]].start, tzinfo=timezone.get_current_timezone()
    )
    return now >= start


def _why_none(
    request: CareRequest,
    needs: list[tuple[dt.date, str]],
    demand: dict[tuple[dt.date, str], dict[int, int]],
    coverage: dict[int, set[tuple[dt.date, str]]],
    sites: dict[int, CareSite],
    band_names: dict[int, str],
) -> list[str]:
    reasons = []
    band_ids = {b for per in demand.values() for b in per}
    for band_id in band_ids:
        if not CareSite.objects.filter(
            network_id=request.network_id, is_active=True, age_bands=band_id
        ).exists():
            reasons.append(
                _("No provider in the network takes children aged %(band)s.")
                % {"band": band_names[band_id]}
            )
    if reasons:
        return reasons
    uncovered = [n for n in needs if not any(n in c for c in coverage.values())]
    for date, part in uncovered[:5]:
        bands = ", ".join(band_names[b] for b in demand[(date, part)])
        reasons.append(
            _("No free place for ages %(bands)s on %(day)s %(date)s (%(part)s).")
            % {
                "bands": bands,
                "day": dateformat.format(date, "l"),  # the weekday in the page's language
                "date": date.strftime("%d/%m"),
                "part": _part_label(part),
            }
        )
    if len(uncovered) > 5:
        reasons.append(
            _("… and %(n)s more day-parts without a free place.") % {"n": len(uncovered) - 5}
        )
    if not uncovered and coverage:
        best = max(coverage, key=lambda s: len(coverage[s]))
        reasons.append(
            _(
                "Every day-part has a free place somewhere, but not at one or two "
                "sites together; %(site)s is free on %(n)s of %(total)s."
            )
            % {"site": sites[best].site.name, "n": len(coverage[best]), "total": len(needs)}
        )
    reasons.append(
        _("Put the request on the waiting list: it is booked as soon as places free up.")
    )
    return reasons


def best_plan(request: CareRequest) -> Plan | None:
    proposal = options_for_request(request, limit=1)
    return proposal.options[0].plan if proposal.options else None


def day_list(*, user: Any, care_site: CareSite, day: dt.date) -> QuerySet[Booking]:
    """The children expected at a site on a day — the minimum the staff need."""
    return (
        access.site_bookings(user)
        .filter(care_site=care_site, date=day)
        .exclude(status__in=(BookingStatus.CANCELLED, BookingStatus.CANCELLED_LATE))
        .select_related("recipient", "request__client")
        .only(
            "id",
            "date",
            "day_part",
            "status",
            "arrived_at",
            "picked_up_at",
            "picked_up_by",
            "care_site_id",
            "recipient__first_name",
            "recipient__birth_date",
            "recipient__special_needs",
            "recipient__allergies",
            "recipient__pickup_persons",
            "request__client__first_name",
            "request__client__phone",
        )
        .order_by("day_part", "recipient__first_name", "pk")
    )


def request_bookings(request: CareRequest) -> QuerySet[Booking]:
    return request.bookings.select_related("care_site__site", "recipient").order_by(
        "date", "day_part", "recipient__first_name"
    )
