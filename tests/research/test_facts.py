"""The research facts stay equal to a full recomputation while the network works.

The indicators read maintained facts (`research.facts`). After bookings are made, cancelled
and attended, a provider confirms, a consent is withdrawn, a client leaves and a month is
closed — all through the services, as the pages and the API do — every figure computed on
the incrementally refreshed facts must equal the one computed after a full rebuild from
the source tables, for whole months, partial months, a referrer and an activity kind.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.research.conftest import ResearchWorld
from zorgbrug.care import services as care
from zorgbrug.care.models import (
    Activity,
    AgeBand,
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    NeededSlot,
)
from zorgbrug.clients import services as clients
from zorgbrug.covenant.models import CostLine, Settlement
from zorgbrug.network.models import Partner
from zorgbrug.pathways import services as pathways
from zorgbrug.research import facts, indicators
from zorgbrug.research.cohorts import cohort_comparison
from zorgbrug.research.indicators import Evaluation, Filters
from zorgbrug.research.models import ClientFact, RequestFact, RequestMonthFact
from zorgbrug.research.publication import public_figures

pytestmark = pytest.mark.django_db


def figures(filters: Filters, *, refresh: bool = True) -> list[Any]:
    """Every indicator and the cohort comparison, as comparable values."""
    with Evaluation(filters, refresh=refresh) as ev:
        values = [(r.indicator.key, r.value) for r in indicators.compute(filters, evaluation=ev)]
        cohorts = cohort_comparison(filters, evaluation=ev)
    return [*values, ("cohorts", cohorts)]


def filter_sets(rw: ResearchWorld) -> list[Filters]:
    today = timezone.localdate()
    start = dt.date(2026, 1, 1)
    end = today + dt.timedelta(days=90)
    return [
        rw.filters(start=start, end=end, today=today),
        rw.filters(start=dt.date(2026, 3, 10), end=today + dt.timedelta(days=20), today=today),
        rw.filters(start=start, end=end, today=today, organisation_id=rw.vdab.pk),
        rw.filters(start=start, end=end, today=today, activity_kind="course"),
        rw.filters(start=start, end=end, today=today, organisation_id=rw.ocmw.pk),
    ]


def book_ahead(rw: ResearchWorld) -> CareRequest:
    """A new course for C2 on two days ahead, booked through the care service."""
    band = AgeBand.objects.create(network=rw.network, name="3-12", min_months=37, max_months=144)
    rw.care_site.age_bands.add(band)
    first = timezone.localdate() + dt.timedelta(days=14)
    days = [first, first + dt.timedelta(days=1)]
    for day in days:
        CapacitySlot.objects.create(
            care_site=rw.care_site,
            network=rw.network,
            date=day,
            day_part="am",
            age_band=band,
            reserved_places=2,
            places=2,
        )
    client = rw.clients["C2"]
    activity = Activity.objects.create(
        client=client,
        kind="course",
        title="Nederlands",
        first_date=days[0],
        last_date=days[1],
        start_time=dt.time(9),
        end_time=dt.time(12),
        organisation=rw.vdab,
    )
    request = CareRequest.objects.create(
        client=client, activity=activity, organisation=rw.vdab, network=rw.network
    )
    request.recipients.set(client.care_recipients.all())
    for day in days:
        NeededSlot.objects.create(request=request, date=day, day_part="am")
    plan = {(day, "am"): rw.care_site.pk for day in days}
    care.booking_create(actor=rw.world.referrer, request=request, plan=plan)
    return request


def close_march(rw: ResearchWorld) -> None:
    march = Settlement.objects.get(network=rw.network, month=dt.date(2026, 3, 1))
    now = timezone.now()
    Settlement.objects.filter(pk=march.pk).update(status="closed", calculated_at=now, closed_at=now)


def test_incremental_facts_equal_a_full_rebuild_after_the_network_works(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    sets = filter_sets(rw)
    before = [figures(f) for f in sets]  # the first refresh builds the facts

    with django_capture_on_commit_callbacks(execute=True):
        request = book_ahead(rw)
        later = Booking.objects.filter(request=request).order_by("date").last()
        assert later is not None
        care.booking_cancel(actor=rw.world.referrer, request=request, bookings=[later])
        confirmed = Booking.objects.get(request=rw.requests["R4"], day_part="pm")
        care.attendance_register(
            actor=rw.world.provider,
            booking=confirmed,
            status=BookingStatus.ATTENDED,
            arrived_at=dt.time(13),
            picked_up_at=dt.time(17, 30),
        )
        july = Booking.objects.get(request=rw.requests["R5"])
        care.attendance_register(actor=rw.world.provider, booking=july, status="no_show")
        clients.consent_withdraw(
            actor=rw.world.referrer, client=rw.clients["C5"], organisation=rw.vdab, research=True
        )
        pathways.exit_record(
            actor=rw.world.referrer,
            client=rw.clients["C9"],
            date=timezone.localdate() - dt.timedelta(days=3),
            reason="employed",
        )
    close_march(rw)
    # The scheduled job makes follow-up tasks without an audit event: they change no figure
    # until they are answered (through the service, which records one).
    assert pathways.follow_ups_schedule()["created"] > 0

    refreshed = facts.refresh()
    assert not refreshed.rebuilt
    # Only what changed: C2 (booked: the service records it on the client, so with all
    # her requests R3, R9 and the new one), R4 and R5 (attendance) with C3, C5 (consent)
    # with R6, and C9 (exit, no requests) — not the other clients.
    assert refreshed.clients == 4
    assert refreshed.requests == 6
    assert refreshed.settlements == 1  # March, now closed
    after = [figures(f, refresh=False) for f in sets]

    facts.rebuild()
    rebuilt = [figures(f, refresh=False) for f in sets]
    for incremental, full, filters in zip(after, rebuilt, sets, strict=True):
        assert incremental == full, filters
    assert after != before  # the changes show


def test_the_changes_show_in_the_figures(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    filters = rw.filters(start=dt.date(2026, 1, 1), end=today + dt.timedelta(days=60), today=today)
    first = dict(figures(filters))
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = Booking.objects.get(request=rw.requests["R4"], day_part="pm")
        care.attendance_register(
            actor=rw.world.provider, booking=confirmed, status=BookingStatus.ATTENDED
        )
        request = book_ahead(rw)
    second = dict(figures(filters))
    assert second["service.day_parts_used"] == first["service.day_parts_used"] + 1
    assert second["service.requests"] == first["service.requests"] + 1
    # C3 has now received care: the uptake of OCMW goes from 0 of 1 to 1 of 1
    table = second["uptake.by_referrer"]
    assert isinstance(table, indicators.Table)
    assert table.value(str(rw.ocmw.pk), "received_care") == 1
    assert RequestFact.objects.get(request=request).first_placed is not None


def test_a_withdrawn_consent_takes_the_client_out_at_the_next_refresh(rw: ResearchWorld) -> None:
    filters = rw.filters()
    assert dict(figures(filters))["reach.screened"] == 4
    clients.consent_withdraw(
        actor=rw.world.referrer, client=rw.clients["C1"], organisation=rw.vdab, research=True
    )
    values = dict(figures(filters))
    assert values["reach.screened"] == 3
    assert values["service.requests"] == 5  # R1 and R2 no longer count
    assert not ClientFact.objects.get(client=rw.clients["C1"]).research
    assert not RequestMonthFact.objects.filter(client_id=rw.clients["C1"].pk, research=True)


def test_writes_past_the_services_wait_for_the_rebuild(rw: ResearchWorld) -> None:
    filters = rw.filters()
    assert dict(figures(filters))["service.day_parts_used"] == 6
    # A shell or a bulk load: no audit event, no new row — the refresh cannot see it.
    Booking.objects.filter(request=rw.requests["R4"], day_part="pm").update(status="attended")
    assert dict(figures(filters))["service.day_parts_used"] == 6
    result = facts.rebuild()
    assert result.rebuilt and result.requests == RequestFact.objects.count()
    assert dict(figures(filters, refresh=False))["service.day_parts_used"] == 7


def test_closed_months_are_added_once(rw: ResearchWorld) -> None:
    filters = rw.filters()
    total = dict(figures(filters))["cost.total"]
    assert isinstance(total, indicators.Money) and total.amount == Decimal("135.00")
    close_march(rw)
    assert facts.refresh().settlements == 1
    total = dict(figures(filters))["cost.total"]
    assert isinstance(total, indicators.Money) and total.amount == Decimal("235.00")
    assert facts.refresh().settlements == 0


def test_a_refresh_with_nothing_to_do_is_cheap(
    rw: ResearchWorld, django_assert_max_num_queries: Any
) -> None:
    facts.refresh()
    # savepoint; on PostgreSQL the advisory lock, jit and work_mem; the state, forgetting
    # the events past the margin, one query for every source of change, the settlements not
    # yet in, the new state; release
    with django_assert_max_num_queries(10):
        result = facts.refresh()
    assert (result.clients, result.requests, result.settlements) == (0, 0, 0)


def test_the_public_figures_use_the_same_facts(rw: ResearchWorld) -> None:
    facts.rebuild()
    partner = Partner.objects.get(network=rw.network, organisation=rw.world.provider_org)
    settlement = Settlement.objects.create(network=rw.network, month=dt.date(2026, 5, 1))
    CostLine.objects.create(
        settlement=settlement,
        provider=partner,
        kind="care",
        date=dt.date(2026, 5, 4),
        gross=Decimal("12.00"),
        parent=Decimal(0),
        amount=Decimal("12.00"),
    )
    figures_now = public_figures(rw.filters())
    assert figures_now.outcomes and figures_now.outcomes[0].count is None  # 4 leavers
