"""A synthetic care region for the booking benchmark, written with bulk_create.

`build_region(providers=300, days=365)` makes one network with a referring organisation and
its referrer (with a personal API token), two age bands, and `providers` childcare
organisations with one bookable site each: opening hours Monday–Friday, reserved places per
weekday, day-part and age band (some combinations have none), and the capacity counters
for `days` days from `first_day` (weekdays without public holidays) — about 300 × 250 × 4
counter rows for a year. `booking_requests` adds one-child care requests of followed
clients, each aimed at a chosen site and date (morning and afternoon), ready to book.

Deterministic per seed; nothing here goes through the services, so it takes seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zorgbrug.access.models import User
from zorgbrug.care.calendar import is_public_holiday
from zorgbrug.care.models import (
    Activity,
    AgeBand,
    CapacitySlot,
    CareRequest,
    CareSite,
    NeededSlot,
    OpeningHours,
    ReservedCapacity,
)
from zorgbrug.clients.models import CareRecipient, Client, FollowingOrganisation
from zorgbrug.network.models import Membership, Network, Organisation, Partner, Site, StaffRole

CENTRE = (51.185272, 3.563890)  # Eeklo
BATCH = 5000


@dataclass
class Region:
    network: Network
    referrer_org: Organisation
    referrer: User
    baby: AgeBand
    school: AgeBand
    sites: list[CareSite]
    first_day: dt.date
    slots: int


def _near(rng: random.Random, spread: float = 0.25) -> tuple[Decimal, Decimal]:
    lat = CENTRE[0] + rng.uniform(-spread, spread)
    lng = CENTRE[1] + rng.uniform(-spread, spread) * 1.6
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def bookable_days(first: dt.date, days: int) -> list[dt.date]:
    out = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        if day.weekday() < 5 and not is_public_holiday(day):
            out.append(day)
    return out


def build_region(*, providers: int, days: int, seed: int, first_day: dt.date) -> Region:
    rng = random.Random(seed)
    network = Network.objects.create(name=f"Bench region {seed}", slug=f"bench-{seed}")
    coordinator_org = Organisation.objects.create(name="Werkwinkel Bench", kind="job_shop")
    referrer_org = Organisation.objects.create(name="VDAB Bench", kind="employment_service")
    Partner.objects.create(
        network=network, organisation=coordinator_org, is_coordinator=True, is_referrer=True
    )
    Partner.objects.create(network=network, organisation=referrer_org, is_referrer=True)
    referrer = User.objects.create_user(
        "referrer@bench.zorgbrug.be", "bench-password-123", full_name="Bench Referrer"
    )
    Membership.objects.create(user=referrer, organisation=referrer_org, role=StaffRole.REFERRER)
    baby = AgeBand.objects.create(network=network, name="0–2,5", min_months=0, max_months=30)
    school = AgeBand.objects.create(network=network, name="2,5–12", min_months=30, max_months=144)

    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Kinderopvang {i:03d}", kind="childcare_provider", provider_kind="daycare"
            )
            for i in range(providers)
        ]
    )
    Partner.objects.bulk_create(
        [
            Partner(network=network, organisation=o, is_referrer=False, is_care_provider=True)
            for o in orgs
        ]
    )
    site_rows = []
    for i, org in enumerate(orgs):
        lat, lng = _near(rng)
        site_rows.append(
            Site(
                organisation=org,
                name=f"Opvang {i:03d}",
                street=f"Dorpsstraat {i + 1}",
                postcode="9900",
                municipality="Eeklo",
                latitude=lat,
                longitude=lng,
                phone="+3293770000",
            )
        )
    sites = Site.objects.bulk_create(site_rows)
    care_sites = CareSite.objects.bulk_create(
        [
            CareSite(
                site=s,
                network=network,
                languages=rng.choice([["nl"], ["nl", "fr"], ["nl", "en"], ["nl", "ar"]]),
            )
            for s in sites
        ]
    )
    through = CareSite.age_bands.through
    band_rows = []
    takes: dict[int, list[AgeBand]] = {}
    for cs in care_sites:
        bands = rng.choice([[baby, school], [baby, school], [baby], [school]])
        takes[cs.pk] = bands
        band_rows += [through(caresite_id=cs.pk, ageband_id=b.pk) for b in bands]
    through.objects.bulk_create(band_rows)
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(care_site=cs, weekday=d, opens=dt.time(7), closes=dt.time(18, 30))
            for cs in care_sites
            for d in range(5)
        ]
    )
    last_day = first_day + dt.timedelta(days=days - 1)
    # Places per (site, weekday, day-part, band): mostly 1–4, sometimes none.
    places: dict[tuple[int, int, str, int], int] = {}
    reservations = []
    for cs in care_sites:
        for weekday in range(5):
            for part in ("am", "pm"):
                for band in takes[cs.pk]:
                    n = rng.choice([0, 1, 2, 2, 3, 4])
                    if not n:
                        continue
                    places[(cs.pk, weekday, part, band.pk)] = n
                    reservations.append(
                        ReservedCapacity(
                            care_site=cs,
                            age_band=band,
                            weekday=weekday,
                            day_part=part,
                            places=n,
                            valid_from=first_day,
                            valid_until=last_day,
                            price=Decimal("12.50"),
                        )
                    )
    ReservedCapacity.objects.bulk_create(reservations, batch_size=BATCH)
    open_days = bookable_days(first_day, days)
    total = 0
    batch: list[CapacitySlot] = []
    for day in open_days:
        for (site_id, weekday, part, band_id), n in places.items():
            if weekday != day.weekday():
                continue
            batch.append(
                CapacitySlot(
                    care_site_id=site_id,
                    network=network,
                    date=day,
                    day_part=part,
                    age_band_id=band_id,
                    reserved_places=n,
                    places=n,
                )
            )
        if len(batch) >= BATCH:
            CapacitySlot.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    CapacitySlot.objects.bulk_create(batch)
    total += len(batch)
    return Region(
        network=network,
        referrer_org=referrer_org,
        referrer=referrer,
        baby=baby,
        school=school,
        sites=list(care_sites),
        first_day=first_day,
        slots=total,
    )


def make_clients(region: Region, n: int, *, children: list[dt.date], prefix: str) -> list[Client]:
    """`n` clients followed by the referrer's organisation, each with these children."""
    rng = random.Random(n)
    rows = []
    for i in range(n):
        lat, lng = _near(rng, 0.1)
        rows.append(
            Client(
                network=region.network,
                first_name=f"{prefix}{i}",
                last_name="Bench",
                birth_date=dt.date(1992, 3, 1),
                gender="female",
                phone=f"+3247{i:07d}",
                postcode="9900",
                municipality="Eeklo",
                latitude=lat,
                longitude=lng,
                languages=["nl"],
                labour_status="unemployed",
                income_source="none",
                intake_organisation=region.referrer_org,
                search_name=f"{prefix.lower()}{i} bench",
            )
        )
    clients = Client.objects.bulk_create(rows, batch_size=BATCH)
    FollowingOrganisation.objects.bulk_create(
        [
            FollowingOrganisation(
                client=c, organisation=region.referrer_org, added_by=region.referrer
            )
            for c in clients
        ],
        batch_size=BATCH,
    )
    CareRecipient.objects.bulk_create(
        [
            CareRecipient(client=c, first_name=f"Kind{j}", birth_date=birth)
            for c in clients
            for j, birth in enumerate(children)
        ],
        batch_size=BATCH,
    )
    return clients


def care_requests(
    region: Region,
    clients: list[Client],
    needs: list[list[tuple[dt.date, str]]],
    *,
    start: dt.time = dt.time(8, 30),
    end: dt.time = dt.time(16),
) -> list[CareRequest]:
    """One request per client (for all its children) with the given needed day-parts."""
    activities = Activity.objects.bulk_create(
        [
            Activity(
                client=c,
                kind="course",
                title="Opleiding",
                postcode="9900",
                first_date=min(d for d, _p in need),
                last_date=max(d for d, _p in need),
                start_time=start,
                end_time=end,
                organisation=region.referrer_org,
                created_by=region.referrer,
            )
            for c, need in zip(clients, needs, strict=True)
        ],
        batch_size=BATCH,
    )
    requests = CareRequest.objects.bulk_create(
        [
            CareRequest(
                client=c,
                activity=a,
                organisation=region.referrer_org,
                network=region.network,
                created_by=region.referrer,
            )
            for c, a in zip(clients, activities, strict=True)
        ],
        batch_size=BATCH,
    )
    by_client: dict[int, list[int]] = {}
    for client_id, recipient_id in CareRecipient.objects.filter(
        client__in=[c.pk for c in clients]
    ).values_list("client_id", "pk"):
        by_client.setdefault(client_id, []).append(recipient_id)
    through = CareRequest.recipients.through
    through.objects.bulk_create(
        [
            through(carerequest_id=r.pk, carerecipient_id=k)
            for r in requests
            for k in by_client[r.client_id]
        ],
        batch_size=BATCH,
    )
    NeededSlot.objects.bulk_create(
        [
            NeededSlot(request=r, date=d, day_part=p)
            for r, need in zip(requests, needs, strict=True)
            for d, p in need
        ],
        batch_size=BATCH,
    )
    return requests


def summary(region: Region) -> dict[str, Any]:
    return {"providers": len(region.sites), "capacity_slots": region.slots}
