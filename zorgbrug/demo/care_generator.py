"""Care capacity and bookings for the synthetic region (`generate_region --providers --days`).

`generate_care` adds `providers` care-providing organisations with one site each to the
synthetic network: a care profile (age bands, staff languages), opening hours by kind of
care, reserved places for `days` days from `start`, a sprinkle of closures and short-notice
vacancies, and the capacity counters. When the network has clients, a share of those
without a care request get an activity, a care request and — where a nearby site has room
on every day-part — their bookings; the others go on the waiting list.

Everything is written with bulk_create: 300 providers with a year of capacity are some
200,000 counter rows. The counters follow `capacity_rebuild`'s rules exactly (places =
reserved + vacancy places of that day; no counter on a public holiday or a closed day), and
the bookings `booking_create`'s (booked = the bookings holding a place, never more than the
places; one place per child and day-part; whole requests or nothing); the tests check both
against the services.

Deterministic: each provider draws from its own random generator seeded by (seed, index)
and each client from one seeded by (seed, its name, date of birth and INSZ), so that the
same arguments give the same data, and a larger run extends a smaller one.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Exists, F, Field, Model, OuterRef, Q
from django.utils import timezone

from zorgbrug.care import calendar as cal
from zorgbrug.care.models import (
    Activity,
    ActivityKind,
    AgeBand,
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    CareSite,
    Closure,
    NeededSlot,
    OpeningHours,
    RequestStatus,
    ReservedCapacity,
    Vacancy,
)
from zorgbrug.care.services import MAX_DATES_PER_REQUEST
from zorgbrug.clients.models import CareRecipient, Client, ClientStatus, RecipientKind
from zorgbrug.demo.data import AGE_BANDS, BABY, OPENING_HOURS, SCHOOL, kbo
from zorgbrug.demo.schoolyear import school_holidays
from zorgbrug.network.models import Network, Organisation, OrganisationKind, Partner, Site

# Generated providers have enterprise numbers 6xxxxxxxxx (PROVIDER_KBO_BASE + seed × 1000 +
# index): apart from the organisations of the base step (7…), and recognisable by it.
PROVIDER_KBO_BASE = 60_000_000
PROVIDER_KBO_PREFIX = "6"
MAX_PROVIDERS = 1000
MAX_SEED = 9999
BATCH = 2000

# kind of care, share, name prefix
PROVIDER_MIX = [
    ("daycare", 0.35, "Kinderdagverblijf"),
    ("childminder", 0.35, "Onthaalouder"),
    ("out_of_school", 0.20, "Buitenschoolse opvang"),
    ("occasional", 0.07, "Occasionele opvang"),
    ("sick_child", 0.03, "Opvang zieke kinderen"),
]
STAFF_LANGUAGES = [("fr", 0.2), ("en", 0.2), ("ar", 0.12), ("tr", 0.12)]
STREETS = ["Kerkstraat", "Schoolstraat", "Molenstraat", "Dorpsstraat", "Stationsstraat"]
# Share of a network's clients (with children, without a care request) asking care now.
BOOKING_SHARE = 0.35
CANCELLED_SHARE = 0.05
NEAREST_SITES = 8


def generated_provider_q() -> Q:
    """The organisations this module made (the base step leaves them out of its count)."""
    return Q(kbo_number__startswith=PROVIDER_KBO_PREFIX)


def provider_kbo(seed: int, index: int) -> str:
    return kbo(PROVIDER_KBO_BASE + seed * 1000 + index)


# --- Plans (pure) -----------------------------------------------------------------------


@dataclass
class ReservationPlan:
    band: int  # the band's start in months (BABY or SCHOOL)
    weekday: int
    day_part: str
    places: int
    price: Decimal
    valid_from: dt.date
    valid_until: dt.date


@dataclass
class ProviderPlan:
    """Everything about one generated provider, drawn from its own random generator."""

    index: int
    kind: str
    name: str
    hours: str  # a key of data.OPENING_HOURS
    bands: list[int]
    languages: list[str]
    wheelchair_accessible: bool
    meals: bool
    needs_confirmation: bool
    postcode: tuple[str, str, Decimal, Decimal]  # code, place, latitude, longitude
    street: str
    reservations: list[ReservationPlan] = field(default_factory=list)
    closures: list[tuple[dt.date, dt.date, str]] = field(default_factory=list)
    vacancies: list[tuple[dt.date, str, int, int, Decimal]] = field(default_factory=list)


def _is_open(hours: str, weekday: int, part: str) -> bool:
    window = cal.WINDOW_BY_PART[part]
    return any(
        dt.time.fromisoformat(opens) < window.end and dt.time.fromisoformat(closes) > window.start
        for opens, closes in OPENING_HOURS[hours].get(weekday, [])
    )


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 2, high * 2 + 1)) / 2


def plan_provider(
    *,
    seed: int,
    index: int,
    postcodes: Sequence[tuple[str, str, Any, Any]],
    start: dt.date,
    days: int,
) -> ProviderPlan:
    rng = random.Random(f"zorgbrug-care:{seed}:provider:{index}")
    kinds, shares, prefixes = zip(*PROVIDER_MIX, strict=True)
    kind = rng.choices(kinds, shares)[0]
    hours = {
        "childminder": "childminder_wednesday_morning" if rng.random() < 0.3 else "childminder"
    }.get(kind, kind)
    bands = {
        "daycare": [BABY, SCHOOL] if rng.random() < 0.3 else [BABY],
        "childminder": [BABY],
        "out_of_school": [SCHOOL],
        "occasional": [BABY, SCHOOL],
        "sick_child": [BABY, SCHOOL],
    }[kind]
    code, place, lat, lng = rng.choice(list(postcodes))
    jitter = Decimal(rng.randint(-900, 900)) / Decimal(100000)
    plan = ProviderPlan(
        index=index,
        kind=kind,
        name=f"{prefixes[kinds.index(kind)]} {seed}-{index + 1}",
        hours=hours,
        bands=bands,
        languages=["nl"] + [code for code, share in STAFF_LANGUAGES if rng.random() < share],
        wheelchair_accessible=rng.random() < 0.5,
        meals=kind != "out_of_school",
        needs_confirmation=kind == "sick_child" or rng.random() < 0.1,
        postcode=(code, place, Decimal(lat) + jitter, Decimal(lng) - jitter),
        street=f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
    )
    last = start + dt.timedelta(days=days - 1)
    # Places per band and day-part: (low, high) per kind; None = not rented.
    places: dict[str, dict[tuple[int, str], tuple[int, int]]] = {
        "daycare": {(BABY, "am"): (2, 4), (BABY, "pm"): (2, 4), (SCHOOL, "pm"): (1, 2)},
        "childminder": {(BABY, "am"): (1, 2), (BABY, "pm"): (1, 2)},
        "out_of_school": {(SCHOOL, "pm"): (2, 6)},
        "occasional": {(BABY, "am"): (2, 5), (BABY, "pm"): (2, 5), (SCHOOL, "pm"): (1, 3)},
        "sick_child": {
            (BABY, "am"): (1, 1),
            (BABY, "pm"): (1, 1),
            (SCHOOL, "am"): (1, 1),
            (SCHOOL, "pm"): (1, 1),
        },
    }
    prices = {BABY: _price(rng, 13, 18), SCHOOL: _price(rng, 12, 15)}
    if kind == "sick_child":
        prices = {BABY: Decimal("18.00"), SCHOOL: Decimal("18.00")}
    holiday_spans = [(a, b) for a, b, _name in school_holidays(start, last)]
    for (band, part), (low, high) in places[kind].items():
        if band not in bands:
            continue
        usual = rng.randint(low, high)
        for weekday in range(5):
            if not _is_open(hours, weekday, part) or rng.random() < 0.08:
                continue  # closed then, or nothing rented on that day
            n = max(1, usual - (1 if weekday == 2 and rng.random() < 0.3 else 0))
            plan.reservations.append(
                ReservationPlan(band, weekday, part, n, prices[band], start, last)
            )
            # Out-of-school care is open all day in the school holidays: mornings too.
            if part == "pm" and band == SCHOOL and kind in {"out_of_school", "occasional"}:
                plan.reservations.extend(
                    ReservationPlan(band, weekday, "am", n, prices[band], a, b)
                    for a, b in holiday_spans
                    if _is_open(hours, weekday, "am")
                    and any((a + dt.timedelta(days=i)).weekday() == weekday for i in range(7))
                )
    # Closures: a staff-training day at a quarter of them, and the week between Christmas
    # and New Year at a third of the daycare centres and childminders.
    if rng.random() < 0.25 and days > 14:
        day = start + dt.timedelta(days=rng.randint(7, days - 1))
        while day.weekday() >= 5 and day < last:
            day += dt.timedelta(days=1)
        plan.closures.append((day, day, "Pedagogische studiedag"))
    if kind in {"daycare", "childminder"} and rng.random() < 1 / 3:
        for year in range(start.year, last.year + 1):
            first_day, last_day = dt.date(year, 12, 24), dt.date(year + 1, 1, 1)
            if first_day <= last and last_day >= start:
                plan.closures.append(
                    (max(first_day, start), min(last_day, last), "Sluiting eindejaar")
                )
    # Short-notice vacancies in the next two weeks (a regular child is absent).
    # Only where a group runs that day-part (a reserved place exists), never on a closed day
    # (vacancy_publish refuses those).
    if rng.random() < 0.3 and days > 1:
        for _ in range(rng.randint(1, 3)):
            day = start + dt.timedelta(days=rng.randint(1, min(14, days - 1)))
            part = rng.choice(cal.DAY_PARTS)
            band = rng.choice(bands)
            runs = any(
                (r.weekday, r.day_part, r.band) == (day.weekday(), part, band)
                and r.valid_from <= day <= r.valid_until
                for r in plan.reservations
            )
            closed = cal.is_public_holiday(day) or any(a <= day <= b for a, b, _r in plan.closures)
            if runs and not closed:
                plan.vacancies.append((day, part, band, rng.randint(1, 2), prices[band]))
    return plan


Key = tuple[dt.date, str, int]  # date, day-part, band (months or id)


def slot_targets(
    plan: ProviderPlan, first: dt.date, last: dt.date, holidays: set[dt.date]
) -> dict[Key, tuple[int, int]]:
    """(reserved, vacancy) places per date, day-part and band: `target_places`'s rules."""
    closed: set[dt.date] = set(holidays)
    for a, b, _reason in plan.closures:
        closed.update(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
    by_weekday: dict[int, list[ReservationPlan]] = defaultdict(list)
    for r in plan.reservations:
        by_weekday[r.weekday].append(r)
    out: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    day = first
    while day <= last:
        if day not in closed:
            for r in by_weekday.get(day.weekday(), ()):
                if r.valid_from <= day <= r.valid_until:
                    out[(day, r.day_part, r.band)][0] += r.places
        day += dt.timedelta(days=1)
    for date, part, band, places, _price in plan.vacancies:
        if first <= date <= last and date not in closed:
            out[(date, part, band)][1] += places
    return {k: (a, b) for k, (a, b) in out.items()}


# --- Writing ----------------------------------------------------------------------------


def _age_bands(network: Network) -> dict[int, AgeBand]:
    bands = {b.min_months: b for b in AgeBand.objects.filter(network=network)}
    for name, low, high in AGE_BANDS:
        if low not in bands:
            bands[low] = AgeBand.objects.create(
                network=network, name=name, min_months=low, max_months=high
            )
    return bands


def _write_providers(
    network: Network,
    seed: int,
    plans: list[ProviderPlan],
    bands: dict[int, AgeBand],
    start: dt.date,
    last: dt.date,
) -> int:
    """Organisations, partners, sites, care profiles, capacity and counters; returns slots."""
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=p.name,
                kind=OrganisationKind.CHILDCARE_PROVIDER,
                provider_kind=p.kind,
                kbo_number=provider_kbo(seed, p.index),
            )
            for p in plans
        ],
        batch_size=BATCH,
    )
    Partner.objects.bulk_create(
        [Partner(network=network, organisation=o, is_care_provider=True) for o in orgs],
        batch_size=BATCH,
    )
    sites = Site.objects.bulk_create(
        [
            Site(
                organisation=o,
                name=f"{p.name} – {p.postcode[1]}",
                street=p.street,
                postcode=p.postcode[0],
                municipality=p.postcode[1],
                latitude=p.postcode[2],
                longitude=p.postcode[3],
            )
            for o, p in zip(orgs, plans, strict=True)
        ],
        batch_size=BATCH,
    )
    care_sites = CareSite.objects.bulk_create(
        [
            CareSite(
                site=s,
                network=network,
                languages=p.languages,
                wheelchair_accessible=p.wheelchair_accessible,
                meals=p.meals,
                needs_confirmation=p.needs_confirmation,
            )
            for s, p in zip(sites, plans, strict=True)
        ],
        batch_size=BATCH,
    )
    through = CareSite.age_bands.through
    through.objects.bulk_create(
        [
            through(caresite_id=c.pk, ageband_id=bands[b].pk)
            for c, p in zip(care_sites, plans, strict=True)
            for b in p.bands
        ],
        batch_size=BATCH,
    )
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(
                care_site=c,
                weekday=weekday,
                opens=dt.time.fromisoformat(opens),
                closes=dt.time.fromisoformat(closes),
            )
            for c, p in zip(care_sites, plans, strict=True)
            for weekday, spans in OPENING_HOURS[p.hours].items()
            for opens, closes in spans
        ],
        batch_size=BATCH,
    )
    ReservedCapacity.objects.bulk_create(
        [
            ReservedCapacity(
                care_site=c,
                age_band=bands[r.band],
                weekday=r.weekday,
                day_part=r.day_part,
                places=r.places,
                price=r.price,
                valid_from=r.valid_from,
                valid_until=r.valid_until,
            )
            for c, p in zip(care_sites, plans, strict=True)
            for r in p.reservations
        ],
        batch_size=BATCH,
    )
    Closure.objects.bulk_create(
        [
            Closure(care_site=c, first_day=a, last_day=b, reason=reason)
            for c, p in zip(care_sites, plans, strict=True)
            for a, b, reason in p.closures
        ],
        batch_size=BATCH,
    )
    Vacancy.objects.bulk_create(
        [
            Vacancy(care_site=c, age_band=bands[band], date=d, day_part=part, places=n, price=price)
            for c, p in zip(care_sites, plans, strict=True)
            for d, part, band, n, price in p.vacancies
        ],
        batch_size=BATCH,
    )
    holidays = {
        start + dt.timedelta(days=i)
        for i in range((last - start).days + 1)
        if cal.is_public_holiday(start + dt.timedelta(days=i))
    }
    rows = [
        (c.pk, network.pk, day, part, bands[band].pk, reserved, vacancy, reserved + vacancy, 0)
        for c, p in zip(care_sites, plans, strict=True)
        for (day, part, band), (reserved, vacancy) in sorted(
            slot_targets(p, start, last, holidays).items()
        )
    ]
    insert_rows(CapacitySlot, SLOT_COLUMNS, rows)
    return len(rows)


SLOT_COLUMNS = [
    "care_site",
    "network",
    "date",
    "day_part",
    "age_band",
    "reserved_places",
    "vacancy_places",
    "places",
    "booked",
]


BOOKING_COLUMNS = [
    "request",
    "recipient",
    "slot",
    "care_site",
    "date",
    "day_part",
    "status",
    "uses_vacancy",
    "created_at",
    "cancelled_at",
    "picked_up_by",
]


def insert_rows(model: type[Model], fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs (COPY on PostgreSQL) for the big tables.

    bulk_create spends most of its time building a model instance per row; 200,000
    counters take half a minute that way. The database still checks every constraint.
    """
    ops = connection.ops

    def _adapt(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, dt.date):
            return ops.adapt_datefield_value(value)
        return value

    table = ops.quote_name(model._meta.db_table)
    columns = [str(cast("Field[Any, Any]", model._meta.get_field(name)).column) for name in fields]
    names = ", ".join(ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Table and column names come from the model's metadata, quoted; values are bound.
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for i in range(0, len(rows), 10 * BATCH):
            chunk = [tuple(_adapt(v) for v in row) for row in rows[i : i + 10 * BATCH]]
            cursor.executemany(sql, chunk)


# --- Bookings ---------------------------------------------------------------------------

# kind, weight, rule (weekdays, or "" for a one-off), weeks (low, high), time choices
ACTIVITY_MIX: list[tuple[str, float, str, tuple[int, int], list[tuple[str, str]]]] = [
    (ActivityKind.JOB_INTERVIEW, 0.20, "", (0, 0), [("09:30", "11:00"), ("13:30", "15:00")]),
    (
        ActivityKind.COURSE,
        0.35,
        "weekly2",
        (3, 8),
        [("09:00", "12:00"), ("09:00", "15:30"), ("13:00", "16:00")],
    ),
    (
        ActivityKind.JOB_START,
        0.15,
        "weekdays",
        (2, 6),
        [("08:00", "16:30"), ("07:00", "12:00"), ("13:00", "18:00")],
    ),
    (ActivityKind.TRAINING_SESSION, 0.12, "", (0, 0), [("09:00", "15:00"), ("13:00", "16:00")]),
    (ActivityKind.APPLICATION, 0.10, "", (0, 0), [("13:30", "15:30"), ("09:30", "11:30")]),
    (ActivityKind.ORIENTATION, 0.08, "weekly1", (2, 4), [("09:00", "12:00"), ("13:30", "16:00")]),
]
TITLES = {
    ActivityKind.JOB_INTERVIEW: ["Sollicitatiegesprek", "Jobdating", "Selectiegesprek"],
    ActivityKind.COURSE: [
        "Opleiding logistiek assistent",
        "Nederlands tweede taal (NT2)",
        "Opleiding kinderbegeleider",
        "Opleiding heftruckchauffeur",
        "Digitale basisvaardigheden",
    ],
    ActivityKind.JOB_START: ["Eerste werkweken nieuwe job"],
    ActivityKind.TRAINING_SESSION: ["ONKI-dag", "Vorming opvoedingsondersteuning"],
    ActivityKind.APPLICATION: ["Sollicitatietraining", "Cv-workshop"],
    ActivityKind.ORIENTATION: ["Oriëntatie in de social profit", "Werkplekbezoek"],
}
RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR"]


@dataclass
class _Free:
    """One counter in memory: its id, places, booked and reserved places."""

    pk: int
    places: int
    booked: int
    reserved: int


@dataclass
class _Site:
    pk: int
    lat: float
    lng: float
    bands: frozenset[int]
    needs_confirmation: bool


def _parts(opens: str, closes: str) -> tuple[str, ...]:
    return cal.day_parts_for(
        dt.time.fromisoformat(opens), dt.time.fromisoformat(closes), travel_minutes=30
    )


def _activity_plan(
    rng: random.Random, start: dt.date, last: dt.date, *, afternoon_only: bool
) -> tuple[str, dt.date, dt.date | None, str, dt.time, dt.time] | None:
    """An activity in the coming weeks; in the afternoon only for school children."""
    kinds = [m[0] for m in ACTIVITY_MIX]
    kind = rng.choices(kinds, [m[1] for m in ACTIVITY_MIX])[0]
    _k, _w, pattern, (low, high), times = next(m for m in ACTIVITY_MIX if m[0] == kind)
    weeks = rng.randint(low, high) if pattern else 0
    horizon = (last - start).days - 7 * weeks
    if horizon < 1:
        return None
    first = start + dt.timedelta(days=rng.randint(1, min(horizon, 60)))
    while first.weekday() >= 5:
        first += dt.timedelta(days=1)
    rule = ""
    if pattern == "weekdays":
        rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    elif pattern in {"weekly1", "weekly2"}:
        others = [d for d in range(5) if d != first.weekday()]
        chosen = sorted([first.weekday(), *rng.sample(others, 1 if pattern == "weekly2" else 0)])
        rule = "FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[d] for d in chosen)
    until = first + dt.timedelta(days=7 * weeks - 1) if rule else None
    if until is not None and until > last:
        return None
    if afternoon_only:
        times = [(a, b) for a, b in times if _parts(a, b) == (cal.AFTERNOON,)]
    opens, closes = rng.choice(times)
    return kind, first, until, rule, dt.time.fromisoformat(opens), dt.time.fromisoformat(closes)


def _approx_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def generate_bookings(*, network: Network, seed: int, start: dt.date) -> dict[str, int]:
    """Care requests and bookings for a share of the network's clients without a request."""
    has_request = CareRequest.objects.filter(client=OuterRef("pk"))
    clients = list(
        Client.objects.filter(network=network, status=ClientStatus.ACTIVE)
        .exclude(Exists(has_request))
        .order_by("pk")
    )
    if not clients:
        return {"care_requests": 0, "bookings": 0, "waitlisted": 0}
    children: dict[int, list[CareRecipient]] = defaultdict(list)
    for r in CareRecipient.objects.filter(
        client__in=[c.pk for c in clients], kind=RecipientKind.CHILD, is_active=True
    ).order_by("pk"):
        children[r.client_id].append(r)
    bands = sorted(AgeBand.objects.filter(network=network), key=lambda b: b.min_months)
    site_bands: dict[int, set[int]] = defaultdict(set)
    for care_site_id, band_id in CareSite.age_bands.through.objects.filter(
        caresite__network=network
    ).values_list("caresite_id", "ageband_id"):
        site_bands[care_site_id].add(band_id)
    sites = [
        _Site(
            c.pk,
            float(c.site.latitude),
            float(c.site.longitude),
            frozenset(site_bands[c.pk]),
            c.needs_confirmation,
        )
        for c in CareSite.objects.filter(network=network, is_active=True)
        .select_related("site")
        .order_by("pk")
        if c.site.latitude is not None and c.site.longitude is not None
    ]
    last_slot = (
        CapacitySlot.objects.filter(network=network, date__gte=start)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    if not sites or last_slot is None:
        return {"care_requests": 0, "bookings": 0, "waitlisted": 0}
    free: dict[tuple[int, dt.date, str, int], _Free] = {}
    for pk, site_id, date, part, band_id, places, booked, reserved in CapacitySlot.objects.filter(
        network=network, date__gt=start, places__gt=F("booked")
    ).values_list(
        "pk",
        "care_site_id",
        "date",
        "day_part",
        "age_band_id",
        "places",
        "booked",
        "reserved_places",
    ):
        free[(site_id, date, part, band_id)] = _Free(pk, places, booked, reserved)

    activities: list[Activity] = []
    requests: list[CareRequest] = []
    request_children: list[list[CareRecipient]] = []
    request_needs: list[list[tuple[dt.date, str]]] = []
    # per request: (site, status, [(recipient, date, part, slot, uses_vacancy)])
    request_bookings: list[
        tuple[_Site | None, list[tuple[CareRecipient, dt.date, str, _Free, bool]]]
    ] = []
    cancelled: list[bool] = []
    for client in clients:
        rng = random.Random(
            f"zorgbrug-care:{seed}:client:{client.search_name}:{client.birth_date}:{client.insz}"
        )
        if not children.get(client.pk) or rng.random() >= BOOKING_SHARE:
            continue
        # School children are at school in the morning: with no baby or toddler in the
        # family, the activity (and the care) is in the afternoon.
        soon = start + dt.timedelta(days=1)
        toddlers = any(cal.age_in_months(c.birth_date, soon) < SCHOOL for c in children[client.pk])
        planned = _activity_plan(rng, start, last_slot, afternoon_only=not toddlers)
        if planned is None:
            continue
        kind, first, until, rule, opens, closes = planned
        dates = cal.occurrences(start=first, rule=rule, until=until, limit=MAX_DATES_PER_REQUEST)
        parts = cal.day_parts_for(opens, closes, travel_minutes=30)
        needs = [(d, p) for d in dates for p in parts]
        if not needs:
            continue
        # Children in school only come in the afternoon; babies and toddlers at any time.
        chosen: list[tuple[CareRecipient, dict[dt.date, int]]] = []
        for child in children[client.pk]:
            per_date: dict[dt.date, int] = {}
            for d in dates:
                band = next(
                    (b for b in bands if b.contains(cal.age_in_months(child.birth_date, d))),
                    None,
                )
                if band is None or (band.min_months >= SCHOOL and "am" in parts):
                    break
                per_date[d] = band.pk
            else:
                chosen.append((child, per_date))
        if not chosen:
            continue
        demand: Counter[tuple[dt.date, str, int]] = Counter(
            (d, p, per_date[d]) for _child, per_date in chosen for d, p in needs
        )
        wanted = {b for _d, _p, b in demand}
        lat = float(client.latitude) if client.latitude is not None else sites[0].lat
        lng = float(client.longitude) if client.longitude is not None else sites[0].lng
        candidates = sorted(
            (s for s in sites if wanted <= s.bands),
            key=lambda s: (_approx_km(lat, lng, s.lat, s.lng), s.pk),
        )[:NEAREST_SITES]
        site = next(
            (
                s
                for s in candidates
                if all(
                    (f := free.get((s.pk, d, p, b))) is not None and f.places - f.booked >= n
                    for (d, p, b), n in demand.items()
                )
            ),
            None,
        )
        activities.append(
            Activity(
                client=client,
                kind=kind,
                title=rng.choice(TITLES[ActivityKind(kind)]),
                location=client.municipality,
                postcode=client.postcode,
                latitude=client.latitude,
                longitude=client.longitude,
                first_date=first,
                last_date=until,
                recurrence=rule,
                start_time=opens,
                end_time=closes,
                travel_minutes=30,
                organisation_id=client.intake_organisation_id,
            )
        )
        is_cancelled = site is not None and rng.random() < CANCELLED_SHARE
        status = RequestStatus.WAITLISTED
        if site is not None:
            status = (
                RequestStatus.CANCELLED
                if is_cancelled
                else RequestStatus.WAITING_PROVIDER
                if site.needs_confirmation
                else RequestStatus.BOOKED
            )
        requests.append(
            CareRequest(
                reference=uuid.UUID(int=rng.getrandbits(128), version=4),
                client=client,
                urgency="urgent" if kind == ActivityKind.JOB_START else "normal",
                status=status,
                status_reason="" if site else "Geen vrije plaats in de buurt op elk dagdeel",
                organisation_id=client.intake_organisation_id,
                network=network,
            )
        )
        request_children.append([c for c, _ in chosen])
        request_needs.append(needs)
        rows: list[tuple[CareRecipient, dt.date, str, _Free, bool]] = []
        if site is not None:
            taken_before = {key: free[(site.pk, *key)].booked for key in demand}
            for child, per_date in chosen:
                for d, p in needs:
                    slot = free[(site.pk, d, p, per_date[d])]
                    flag = (
                        taken_before[(d, p, per_date[d])] + demand[(d, p, per_date[d])]
                        > slot.reserved
                    )
                    rows.append((child, d, p, slot, flag))
            if not is_cancelled:
                for (d, p, b), n in demand.items():
                    free[(site.pk, d, p, b)].booked += n
        request_bookings.append((site, rows))
        cancelled.append(is_cancelled)

    Activity.objects.bulk_create(activities, batch_size=BATCH)
    for request, activity in zip(requests, activities, strict=True):
        request.activity = activity
    CareRequest.objects.bulk_create(requests, batch_size=BATCH)
    through = CareRequest.recipients.through
    through.objects.bulk_create(
        [
            through(carerequest_id=r.pk, carerecipient_id=c.pk)
            for r, kids in zip(requests, request_children, strict=True)
            for c in kids
        ],
        batch_size=BATCH,
    )
    insert_rows(
        NeededSlot,
        ["request", "date", "day_part"],
        [(r.pk, d, p) for r, needs in zip(requests, request_needs, strict=True) for d, p in needs],
    )
    now = timezone.now()
    bookings: list[tuple[Any, ...]] = []
    increments: Counter[int] = Counter()
    for request, (site, rows), is_cancelled in zip(
        requests, request_bookings, cancelled, strict=True
    ):
        if site is None:
            continue
        booking_status = (
            BookingStatus.CANCELLED
            if is_cancelled
            else BookingStatus.PENDING
            if site.needs_confirmation
            else BookingStatus.CONFIRMED
        )
        for child, d, p, slot, flag in rows:
            bookings.append(
                (
                    request.pk,
                    child.pk,
                    slot.pk,
                    site.pk,
                    d,
                    p,
                    str(booking_status),
                    flag,
                    now,
                    now if is_cancelled else None,
                    "",
                )
            )
            if not is_cancelled:
                increments[slot.pk] += 1
    insert_rows(Booking, BOOKING_COLUMNS, bookings)
    _raise_counters(increments)
    return {
        "care_requests": len(requests),
        "bookings": sum(increments.values()),
        "waitlisted": sum(1 for r in requests if r.status == RequestStatus.WAITLISTED),
    }


def _raise_counters(increments: Counter[int]) -> None:
    """booked += n per slot, as relative updates: the CHECK still guards every row."""
    by_amount: dict[int, list[int]] = defaultdict(list)
    for slot_id, n in increments.items():
        by_amount[n].append(slot_id)
    for n, ids in sorted(by_amount.items()):
        for i in range(0, len(ids), 500):
            CapacitySlot.objects.filter(pk__in=ids[i : i + 500]).update(booked=F("booked") + n)


# --- Entry point ------------------------------------------------------------------------


def generate_care(
    *,
    network: Network,
    seed: int,
    providers: int,
    days: int,
    postcodes: Iterable[tuple[str, str, Any, Any]],
    start: dt.date | None = None,
) -> dict[str, int]:
    """Providers with capacity (those missing of the first `providers`), then bookings."""
    if not 0 <= providers <= MAX_PROVIDERS:
        raise ValueError(f"providers must be between 0 and {MAX_PROVIDERS}")
    if days < 1:
        raise ValueError("days must be at least 1")
    if providers and not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}")
    start = start or timezone.localdate()
    last = start + dt.timedelta(days=days - 1)
    postcodes = list(postcodes)
    existing = set(
        Organisation.objects.filter(
            kbo_number__in=[provider_kbo(seed, i) for i in range(providers)]
        ).values_list("kbo_number", flat=True)
    )
    plans = [
        plan_provider(seed=seed, index=i, postcodes=postcodes, start=start, days=days)
        for i in range(providers)
        if provider_kbo(seed, i) not in existing
    ]
    slots = 0
    if plans:
        slots = _write_providers(network, seed, plans, _age_bands(network), start, last)
    booked = generate_bookings(network=network, seed=seed, start=start)
    return {"providers_created": len(plans), "capacity_slots": slots, **booked}
