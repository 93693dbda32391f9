"""The synthetic region's care part: providers, capacity and bookings (generate_region
--providers N --days D).

The counters are written in bulk, not through the services; these tests hold them to the
services' rules: `capacity_rebuild` finds nothing to change, no counter on a public
holiday or a closed day, booked = the bookings holding a place <= places, and a booked
request has every child on every day-part it needs, as `booking_create` would book it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Model, Q
from django.utils import timezone

from zorgbrug.care import services
from zorgbrug.care.calendar import is_public_holiday
from zorgbrug.care.capacity import capacity_rebuild
from zorgbrug.care.models import (
    HOLDING,
    Activity,
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
from zorgbrug.clients.models import (
    CareRecipient,
    Client,
    Consent,
    FollowingOrganisation,
    Screening,
    ScreeningNeed,
)
from zorgbrug.demo import care_generator
from zorgbrug.demo.data import POSTCODES
from zorgbrug.demo.generator import generate_region
from zorgbrug.demo.schoolyear import is_school_holiday
from zorgbrug.network.models import Network, Organisation, Partner, Site

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings: Any) -> None:
    settings.DEBUG = True


def _wipe() -> None:
    """Everything the generator made, children before parents (several FKs PROTECT)."""
    models: list[type[Model]] = [
        Booking,
        NeededSlot,
        CareRequest.recipients.through,
        CareRequest,
        Activity,
        CapacitySlot,
        Vacancy,
        ReservedCapacity,
        Closure,
        OpeningHours,
        CareSite.age_bands.through,
        CareSite,
        AgeBand,
        ScreeningNeed,
        Screening,
        Consent,
        FollowingOrganisation,
        CareRecipient,
        Client,
        Partner,
        Site,
        Organisation,
        Network,
    ]
    for model in models:
        model._default_manager.all().delete()


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    kbo = "care_site__site__organisation__kbo_number"
    return {
        "sites": sorted(
            CareSite.objects.values_list(
                "site__organisation__kbo_number",
                "site__organisation__name",
                "site__organisation__provider_kind",
                "site__name",
                "site__postcode",
                "site__latitude",
                "wheelchair_accessible",
                "needs_confirmation",
            )
        ),
        "languages": sorted(
            (k, tuple(v))
            for k, v in CareSite.objects.values_list("site__organisation__kbo_number", "languages")
        ),
        "bands": sorted(CareSite.objects.values_list("site__name", "age_bands__min_months")),
        "hours": sorted(OpeningHours.objects.values_list(kbo, "weekday", "opens", "closes")),
        "reservations": sorted(
            ReservedCapacity.objects.values_list(
                kbo,
                "age_band__min_months",
                "weekday",
                "day_part",
                "places",
                "price",
                "valid_from",
                "valid_until",
            )
        ),
        "closures": sorted(Closure.objects.values_list(kbo, "first_day", "last_day", "reason")),
        "vacancies": sorted(
            Vacancy.objects.values_list(kbo, "date", "day_part", "age_band__min_months", "places")
        ),
        "slots": sorted(
            CapacitySlot.objects.values_list(
                kbo, "date", "day_part", "age_band__min_months", "reserved_places", "vacancy_places"
            )
        ),
        "requests": sorted(
            CareRequest.objects.values_list(
                "client__search_name", "client__birth_date", "status", "reference"
            )
        ),
        "activities": sorted(
            Activity.objects.values_list(
                "client__search_name",
                "kind",
                "title",
                "first_date",
                "last_date",
                "recurrence",
                "start_time",
                "end_time",
            )
        ),
        "bookings": sorted(
            Booking.objects.values_list(
                "recipient__client__search_name",
                "recipient__first_name",
                "recipient__birth_date",
                kbo,
                "date",
                "day_part",
                "status",
                "uses_vacancy",
            )
        ),
        "booked": sorted(
            CapacitySlot.objects.filter(booked__gt=0).values_list(
                kbo, "date", "day_part", "age_band__min_months", "booked"
            )
        ),
    }


def test_same_seed_same_care_region() -> None:
    args = {"organisations": 8, "seed": 7, "clients": 120, "providers": 15, "days": 60}
    first_result = generate_region(**args)
    assert first_result["providers_created"] == 15
    assert first_result["bookings"] > 0
    first = _snapshot()
    assert len(first["sites"]) == 15
    assert first["slots"] and first["reservations"] and first["activities"]
    _wipe()
    assert generate_region(**args) == first_result
    assert _snapshot() == first
    # Running again with the same numbers adds nothing.
    again = generate_region(**args)
    assert again["providers_created"] == again["capacity_slots"] == again["bookings"] == 0


def test_a_larger_run_extends_a_smaller_one() -> None:
    generate_region(organisations=5, seed=3, providers=6, days=40)
    grown = generate_region(organisations=5, seed=3, providers=10, days=40)
    assert grown["providers_created"] == 4
    assert grown["created"] == 0  # the base step does not count the care providers
    stepwise = _snapshot()
    _wipe()
    generate_region(organisations=5, seed=3, providers=10, days=40)
    assert _snapshot() == stepwise
    assert generate_region(organisations=7, seed=3)["created"] == 2


def test_counters_follow_capacity_rebuild_and_skip_holidays_and_closures() -> None:
    """Over Christmas and New Year: public holidays, year-end closures, school holidays."""
    generate_region(organisations=3, seed=11)
    network = Network.objects.get(slug="synthetic-11")
    start = dt.date(2026, 12, 14)
    result = care_generator.generate_care(
        network=network,
        seed=11,
        providers=40,
        days=35,
        postcodes=[(c, n, la, lo) for c, n, la, lo, _p in POSTCODES],
        start=start,
    )
    assert result["capacity_slots"] == CapacitySlot.objects.count() > 0
    last = start + dt.timedelta(days=34)
    for care_site in CareSite.objects.all():
        # The service that materialises counters finds nothing to add or change.
        assert capacity_rebuild(care_site=care_site, first=start, last=last) == {
            "created": 0,
            "updated": 0,
        }, care_site
    dates = set(CapacitySlot.objects.values_list("date", flat=True))
    assert dt.date(2026, 12, 25) not in dates and dt.date(2027, 1, 1) not in dates
    assert not [d for d in dates if is_public_holiday(d) or d.weekday() >= 5]
    closures = Closure.objects.all()
    assert closures.exists()
    for closure in closures:
        assert not CapacitySlot.objects.filter(
            care_site=closure.care_site, date__gte=closure.first_day, date__lte=closure.last_day
        ).exists()
    # Places are the reserved places of the weekday plus the vacancies, per counter.
    for slot in CapacitySlot.objects.all()[:500]:
        reserved = sum(
            ReservedCapacity.objects.filter(
                care_site_id=slot.care_site_id,
                age_band_id=slot.age_band_id,
                weekday=slot.date.weekday(),
                day_part=slot.day_part,
                valid_from__lte=slot.date,
                valid_until__gte=slot.date,
            ).values_list("places", flat=True)
        )
        vacancy = sum(
            Vacancy.objects.filter(
                care_site_id=slot.care_site_id,
                age_band_id=slot.age_band_id,
                date=slot.date,
                day_part=slot.day_part,
            ).values_list("places", flat=True)
        )
        assert (slot.reserved_places, slot.vacancy_places) == (reserved, vacancy)
        assert slot.places == reserved + vacancy
    # Out-of-school care has mornings in the school holidays only.
    mornings = CapacitySlot.objects.filter(
        care_site__site__organisation__provider_kind="out_of_school", day_part="am"
    ).values_list("date", flat=True)
    assert mornings and all(is_school_holiday(d) for d in mornings)


def test_bookings_hold_to_the_booking_rules() -> None:
    result = generate_region(organisations=8, seed=5, clients=250, providers=25, days=70)
    assert result["care_requests"] > 0 and result["bookings"] > 0
    today = timezone.localdate()
    holding = dict(
        Booking.objects.filter(status__in=HOLDING)
        .values_list("slot")
        .annotate(n=Count("pk"))
        .values_list("slot", "n")
    )
    assert sum(holding.values()) == result["bookings"]
    for slot in CapacitySlot.objects.filter(booked__gt=0) | CapacitySlot.objects.filter(
        pk__in=holding
    ):
        assert slot.booked == holding.get(slot.pk, 0) <= slot.places
    statuses = set(CareRequest.objects.values_list("status", flat=True))
    assert RequestStatus.BOOKED in statuses
    requests = CareRequest.objects.select_related("activity").prefetch_related(
        "recipients", "needs", "bookings"
    )
    for request in requests:
        needs = {(n.date, n.day_part) for n in request.needs.all()}
        # The needs are what the service derives from the activity.
        assert needs == set(services.needed_slots(request.activity))
        assert all(d > today for d, _p in needs)
        bookings = list(request.bookings.all())
        if request.status == RequestStatus.WAITLISTED:
            assert not bookings
            continue
        # All or nothing: every child on every needed day-part, at one site.
        assert {(b.recipient_id, b.date, b.day_part) for b in bookings} == {
            (r.pk, d, p) for r in request.recipients.all() for d, p in needs
        }
        assert len({b.care_site_id for b in bookings}) == 1
        expected = {
            RequestStatus.BOOKED: BookingStatus.CONFIRMED,
            RequestStatus.WAITING_PROVIDER: BookingStatus.PENDING,
            RequestStatus.CANCELLED: BookingStatus.CANCELLED,
        }[RequestStatus(request.status)]
        assert {b.status for b in bookings} == {expected}
        for b in bookings:
            assert b.slot.care_site_id == b.care_site_id and b.slot.date == b.date
            assert b.slot.day_part == b.day_part
            assert b.slot.age_band.contains(
                (b.date.year - b.recipient.birth_date.year) * 12
                + b.date.month
                - b.recipient.birth_date.month
                - (b.date.day < b.recipient.birth_date.day)
            )
    # One place per child and day-part (the database enforces it too).
    per_child: dict[tuple[int, dt.date, str], int] = defaultdict(int)
    for key in Booking.objects.filter(status__in=HOLDING).values_list(
        "recipient", "date", "day_part"
    ):
        per_child[key] += 1
    assert max(per_child.values()) == 1
    # A booking counts as a vacancy place only where the counter has vacancy places.
    assert not Booking.objects.filter(uses_vacancy=True, slot__vacancy_places=0).exists()
    # The same numbers again: nothing new for clients that already asked care.
    again = generate_region(organisations=8, seed=5, clients=250, providers=25, days=70)
    assert again["care_requests"] == again["bookings"] == 0


def test_the_services_book_on_generated_capacity() -> None:
    """The waiting list is served by `booking_create` itself on the generated counters."""
    generate_region(organisations=8, seed=6, clients=300, providers=8, days=60)
    network = Network.objects.get(slug="synthetic-6")
    waiting = CareRequest.objects.filter(status=RequestStatus.WAITLISTED).count()
    assert waiting > 0
    before = Booking.objects.filter(status__in=HOLDING).count()
    served = services.waitlist_serve(network_id=network.pk)
    after = Booking.objects.filter(status__in=HOLDING).count()
    assert (served > 0) == (after > before)
    assert CareRequest.objects.filter(status=RequestStatus.WAITLISTED).count() == waiting - served
    for slot in CapacitySlot.objects.filter(booked__gt=0).annotate(
        n=Count("bookings", filter=Q(bookings__status__in=HOLDING))
    ):
        assert slot.booked == slot.n <= slot.places


def test_command_validates_care_arguments() -> None:
    for args in (["--providers", "-1"], ["--providers", "1001"], ["--days", "0"]):
        with pytest.raises(CommandError):
            call_command("generate_region", "--organisations", "2", *args)
    assert not Network.objects.exists()
    call_command(
        "generate_region", "--organisations", "2", "--providers", "3", "--days", "10", "--seed", "4"
    )
    assert CareSite.objects.filter(network__slug="synthetic-4").count() == 3
