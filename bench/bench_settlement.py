"""Settling a month of 100,000 bookings.

A synthetic network (5 providers with 4 sites each, 6 referrers, 2 funders) gets a month of
care generated in bulk: 100,000 bookings of 2,600 children in every status (attended with
and without times, confirmed, absent, no-show, cancelled in time and late), a tenth of them
in short-notice places; sites paid per day-part, per day (day-count rule) and per hour,
half of the reserved places paid whether used or not; an income-related parent
contribution with attests for half of the families; costs split by referring organisation
with explicit and fallback shares.

Metrics: `settlement_seconds_100k` — calculating the month's cost lines and settling them
(split, rounded, statements written) in one transaction, target ≤ 10 s on PostgreSQL;
`recalculate_seconds` for doing it again (idempotent: same totals); `close_seconds` for
closing the month (which checks the stored result against a fresh calculation).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

NAME = "settlement"
PARAMS = {
    "bookings": 100_000,
    "children": 2_600,
    "providers": 5,
    "sites_per_provider": 4,
    "referrers": 6,
    "month": "2026-10",
    "seed": 11,
}


def _month_days(first: dt.date) -> list[dt.date]:
    from zorgbrug.care.calendar import is_public_holiday

    days, day = [], first
    while day.month == first.month:
        if day.weekday() < 5 and not is_public_holiday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def generate(params: dict[str, Any]) -> dict[str, Any]:
    """The network and its month of care, written in bulk."""
    from zorgbrug.access.models import User
    from zorgbrug.care.models import (
        Activity,
        AgeBand,
        Booking,
        CapacitySlot,
        CareRequest,
        CareSite,
        ReservedCapacity,
    )
    from zorgbrug.clients.models import CareRecipient, Client
    from zorgbrug.covenant import services
    from zorgbrug.covenant.models import ParentTariff
    from zorgbrug.network.models import Membership, Network, Organisation, Partner, Site

    rnd = random.Random(params["seed"])
    year, month = (int(x) for x in params["month"].split("-"))
    first = dt.date(year, month, 1)
    days = _month_days(first)
    network = Network.objects.create(name="Bench settlement", slug="bench-settlement")
    band = AgeBand.objects.create(network=network, name="0-12", min_months=0, max_months=144)

    def partner(name: str, kind: str, **roles: bool) -> tuple[Organisation, Partner]:
        org = Organisation.objects.create(name=name, kind=kind)
        return org, Partner.objects.create(network=network, organisation=org, **roles)

    coordinator_org, _ = partner("Werkwinkel (bench)", "job_shop", is_coordinator=True)
    providers = [
        partner(f"Opvang {i}", "childcare_provider", is_care_provider=True)
        for i in range(params["providers"])
    ]
    referrers = [
        partner(f"Toeleider {i}", "employment_service", is_referrer=True)
        for i in range(params["referrers"])
    ]
    funders = [partner(f"Financier {i}", "other", is_funder=True) for i in range(2)]
    user = User.objects.create_user("bench.settlement@example.org", "x" * 12, full_name="Bench")
    Membership.objects.create(user=user, organisation=coordinator_org, role="coordinator")

    care_sites = []
    for org, _p in providers:
        for j in range(params["sites_per_provider"]):
            site = Site.objects.create(
                organisation=org,
                name=f"{org.name} site {j}",
                street="Markt 1",
                postcode="9900",
                municipality="Eeklo",
            )
            care_site = CareSite.objects.create(site=site, network=network)
            care_site.age_bands.set([band])
            care_sites.append(care_site)
    for cs in care_sites[::2]:
        for weekday in range(5):
            for part in ("am", "pm"):
                ReservedCapacity.objects.create(
                    care_site=cs,
                    age_band=band,
                    weekday=weekday,
                    day_part=part,
                    places=100,
                    valid_from=first,
                    valid_until=days[-1],
                    price=Decimal("12.50"),
                )
    slots = CapacitySlot.objects.bulk_create(
        [
            CapacitySlot(
                care_site=cs,
                network=network,
                date=day,
                day_part=part,
                age_band=band,
                reserved_places=100 if i % 2 == 0 else 0,
                vacancy_places=100,
                places=200 if i % 2 == 0 else 100,
            )
            for i, cs in enumerate(care_sites)
            for day in days
            for part in ("am", "pm")
        ],
        batch_size=5000,
    )
    slot_of = {(s.care_site_id, s.date, s.day_part): s.pk for s in slots}

    clients = Client.objects.bulk_create(
        [
            Client(
                network=network,
                first_name=f"Ouder{i}",
                last_name="Bench",
                birth_date=dt.date(1990, 1, 1),
                gender="female",
                postcode=rnd.choice(["9900", "9990", "9991", "9960"]),
                municipality="",
                labour_status="unemployed",
                income_source="other",
                intake_organisation=referrers[i % len(referrers)][0],
            )
            for i in range(params["children"])
        ],
        batch_size=5000,
    )
    children = CareRecipient.objects.bulk_create(
        [
            CareRecipient(client=c, first_name="Kind", birth_date=dt.date(2023, 1, 1))
            for c in clients
        ],
        batch_size=5000,
    )
    kinds = ["job_start", "job_interview", "work_trial", "course", "other"]
    activities = Activity.objects.bulk_create(
        [
            Activity(
                client=c,
                kind=kinds[i % len(kinds)],
                title="Bench",
                first_date=first,
                start_time=dt.time(9),
                end_time=dt.time(16),
                organisation=referrers[i % len(referrers)][0],
            )
            for i, c in enumerate(clients)
        ],
        batch_size=5000,
    )
    requests = CareRequest.objects.bulk_create(
        [
            CareRequest(
                client=c,
                activity=a,
                organisation=a.organisation,
                network=network,
                status="booked",
            )
            for c, a in zip(clients, activities, strict=True)
        ],
        batch_size=5000,
    )
    ParentTariff.objects.bulk_create(
        [
            ParentTariff(
                client=c,
                valid_from=dt.date(year, 1, 1),
                annual_income=Decimal(rnd.randrange(10_000, 90_000)),
                dependent_children=rnd.choice([1, 1, 2, 3]),
                reduction=rnd.choice(["", "", "", "", "lowest", "percentage"]),
            )
            for c in clients[::2]
        ],
        batch_size=5000,
    )

    statuses = (
        ["attended"] * 70
        + ["confirmed"] * 10
        + ["absent"] * 3
        + ["no_show"] * 4
        + ["cancelled"] * 8
        + ["cancelled_late"] * 5
    )
    request_of = {r.client_id: r for r in requests}
    home = {child.pk: care_sites[i % len(care_sites)] for i, child in enumerate(children)}
    combos = [(child, day, part) for child in children for day in days for part in ("am", "pm")]
    rnd.shuffle(combos)
    bookings = []
    for child, day, part in combos[: params["bookings"]]:
        cs = home[child.pk]
        status = rnd.choice(statuses)
        timed = status == "attended" and rnd.random() < 0.5
        arrived = dt.time(8, rnd.choice([0, 15, 30])) if part == "am" else dt.time(12, 30)
        picked = (
            dt.time(12, rnd.choice([0, 15, 30]))
            if part == "am"
            else dt.time(rnd.choice([16, 17, 18]), 0)
        )
        bookings.append(
            Booking(
                request=request_of[child.client_id],
                recipient=child,
                slot_id=slot_of[(cs.pk, day, part)],
                care_site=cs,
                date=day,
                day_part=part,
                status=status,
                uses_vacancy=rnd.random() < 0.1,
                arrived_at=arrived if timed else None,
                picked_up_at=picked if timed else None,
                cancelled_at=(
                    dt.datetime.combine(day, dt.time(5), tzinfo=dt.UTC)
                    if status == "cancelled_late"
                    else dt.datetime.combine(first, dt.time(5), tzinfo=dt.UTC)
                    if status == "cancelled"
                    else None
                ),
            )
        )
    Booking.objects.bulk_create(bookings, batch_size=5000)

    # The covenant: tariffs of every kind, an income-related contribution, keys by referrer.
    covenant = services.covenant_create(
        actor=user, network=network, title="Bench", valid_from=dt.date(year, 1, 1)
    )
    services.covenant_update(
        actor=user,
        covenant=covenant,
        late_cancellation_percent=Decimal(50),
        contribution_mode="income",
        short_notice_price=Decimal("15.00"),
    )
    services.contribution_year_save(
        actor=user,
        covenant=covenant,
        year=year,
        min_day_price=Decimal("6.00"),
        max_day_price=Decimal("33.00"),
        income_floor=Decimal(20000),
        income_ceiling=Decimal(74000),
        sibling_discount_percent=Decimal(20),
        reduced_percent=Decimal(50),
        lowest_day_price=Decimal("2.00"),
    )
    for i, cs in enumerate(care_sites):
        unit, payment, price = [
            ("day_part", "always", "12.50"),
            ("day", "used", "30.00"),
            ("day_part", "always", "13.75"),
            ("hour", "used", "4.15"),
        ][i % 4]
        services.site_tariff_save(
            actor=user,
            covenant=covenant,
            care_site=cs,
            unit=unit,
            price=Decimal(price),
            payment=payment,
        )
    share = services.ShareInput
    services.allocation_key_save(
        actor=user,
        covenant=covenant,
        key=covenant.allocation_keys.get(),
        basis="referrer",
        valid_from=covenant.valid_from,
        valid_until=None,
        shares=[
            share("", funders[0][1], Decimal("33.33")),
            share("", funders[1][1], Decimal("66.67")),
            share(str(referrers[0][0].pk), referrers[0][1], Decimal(50)),
            share(str(referrers[0][0].pk), funders[1][1], Decimal(50)),
        ],
    )
    return {"network": network, "user": user, "month": first}


def run(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from zorgbrug.covenant import services
    from zorgbrug.covenant.models import CostLine

    start = time.perf_counter()
    world = generate(params)
    generated = time.perf_counter() - start
    with connection.cursor() as cursor:  # fresh statistics for the planner, as autovacuum would
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE main")
    network, user, month = world["network"], world["user"], world["month"]

    start = time.perf_counter()
    settlement = services.settlement_calculate(actor=user, network=network, month=month)
    first_seconds = time.perf_counter() - start

    start = time.perf_counter()
    again = services.settlement_calculate(actor=user, network=network, month=month)
    recalculate_seconds = time.perf_counter() - start
    assert again.total == settlement.total, "recalculating must give the same result"

    start = time.perf_counter()
    closed = services.settlement_close(actor=user, settlement=again)
    close_seconds = time.perf_counter() - start
    assert closed.is_closed

    payer = sum(s.total for s in closed.statements.filter(side="payer"))
    provider = sum(s.total for s in closed.statements.filter(side="provider"))
    assert payer == provider == closed.total, (payer, provider, closed.total)
    return {
        "settlement_seconds_100k": round(first_seconds, 2),
        "recalculate_seconds": round(recalculate_seconds, 2),
        "close_seconds": round(close_seconds, 2),
        "cost_lines": CostLine.objects.filter(settlement=closed).count(),
        "total_euro": str(closed.total),
        "generate_seconds": round(generated, 1),
    }
