"""The instance an allocation run reads from the database (selectors.allocation_instance)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from tests.allocation.conftest import Contested, ask, family
from zorgbrug.allocation import selectors
from zorgbrug.allocation.core import DayPart, Priority, Slot, allocate
from zorgbrug.care import services as care_services
from zorgbrug.care.models import CapacitySlot, Closure, NeededSlot, RequestStatus
from zorgbrug.clients.models import Client

pytestmark = pytest.mark.django_db


def load(contested: Contested, **kwargs: Any) -> selectors.LoadedInstance:
    return selectors.allocation_instance(
        network=contested.care.world.network,
        first=kwargs.pop("first", contested.first),
        last=kwargs.pop("last", contested.last),
        **kwargs,
    )


def test_pending_requests_with_their_children_needs_and_priorities(contested: Contested) -> None:
    care = contested.care
    loaded = load(contested)
    by_id = {r.id: r for r in loaded.instance.requests}
    assert set(by_id) == {str(r.pk) for r in contested.requests.values()}
    twins = by_id[str(contested.pk("twins"))]
    assert len(twins.children) == 2 and {c.age_months for c in twins.children} == {9}
    assert twins.slots == (Slot(care.monday, DayPart.MORNING),)  # 9–11 with 30' travel
    assert by_id[str(contested.pk("job_start"))].priority is Priority.JOB_START
    assert by_id[str(contested.pk("other"))].priority is Priority.OTHER  # orientation
    assert by_id[str(contested.pk("course1"))].priority is Priority.COURSE
    # First come, first served follows the order the requests were made.
    order = sorted(loaded.instance.requests, key=lambda r: r.arrival)
    assert order[0].id == str(contested.pk("course1"))
    assert order[-1].id == str(contested.pk("job_start"))
    # Home from the client's postcode, the activity's too; languages of the client.
    assert twins.home.latitude == pytest.approx(51.185272)
    assert twins.activity is not None and "nl" in twins.languages
    # Weights: the covenant's default order, no sibling split over two sites.
    weights = loaded.instance.weights
    assert weights.priorities[Priority.JOB_START].request == 100
    assert weights.rank(Priority.JOB_START) < weights.rank(Priority.COURSE)
    assert weights.split_by_child is False
    assert set(loaded.facts) == {r.pk for r in contested.requests.values()}
    assert not loaded.excluded


def test_free_places_sites_opening_and_closures(contested: Contested) -> None:
    care = contested.care
    monday = care.monday
    slot = CapacitySlot.objects.get(
        care_site=care.near, date=monday, day_part="am", age_band=care.baby
    )
    CapacitySlot.objects.filter(pk=slot.pk).update(booked=1)  # one place taken already
    Closure.objects.create(care_site=care.far, first_day=monday, last_day=monday, reason="x")
    loaded = load(contested)
    places = {(p.site_id, p.slot, p.band): p.free for p in loaded.instance.places}
    am = Slot(monday, DayPart.MORNING)
    assert places[(str(care.near.pk), am, str(care.baby.pk))] == 1  # places - booked
    sites = {s.id: s for s in loaded.instance.sites}
    assert set(sites) == {str(care.near.pk), str(care.far.pk), str(care.ibo.pk)}
    assert (0, DayPart.MORNING) in sites[str(care.near.pk)].opening
    assert (5, DayPart.MORNING) not in sites[str(care.near.pk)].opening  # closed on Saturday
    assert not sites[str(care.far.pk)].is_open(am)  # the closure
    assert "ar" in sites[str(care.near.pk)].languages
    # The out-of-school site takes school children only; the core knows it.
    ibo_bands = {p.band for p in loaded.instance.places if p.site_id == str(care.ibo.pk)}
    assert ibo_bands == {str(care.school.pk)}
    assert loaded.snapshot["free_places"] == sum(places.values())


def test_period_booked_and_other_requests(contested: Contested) -> None:
    care = contested.care
    monday = care.monday
    # Weekly on Mondays for two weeks: one day in the period, so the request takes part with
    # both its days (it is booked whole or not at all).
    weekly = ask(
        care,
        family(care, "Weekly", [("Ivo", 13)]),
        "course",
        rule="FREQ=WEEKLY;BYDAY=MO",
        last=monday + dt.timedelta(days=7),
    )
    later = ask(care, family(care, "Later", [("Jan", 13)]), "course", day=monday + dt.timedelta(7))
    booked = ask(care, family(care, "Booked", [("Kim", 13)]), "course")
    plan = {(monday, "am"): care.near.pk}
    care_services.booking_create(actor=care.world.referrer, request=booked, plan=plan)
    waiting = contested.requests["course2"]
    care_services.request_waitlist(actor=care.world.referrer, request=waiting)
    loaded = load(contested)
    ids = {int(r.id) for r in loaded.instance.requests}
    assert weekly.pk in ids and waiting.pk in ids
    assert later.pk not in ids and booked.pk not in ids
    weekly_core = next(r for r in loaded.instance.requests if r.id == str(weekly.pk))
    assert [s.date for s in weekly_core.slots] == [monday, monday + dt.timedelta(days=7)]
    # Capacity is read for every day a request needs, inside the period or not.
    assert any(p.slot.date == monday + dt.timedelta(days=7) for p in loaded.instance.places)

    # Planning mode: every request of the period that was not cancelled, booked ones too,
    # each clipped to the period, against all places (the bookings are part of the demand).
    demand = load(contested, mode="demand")
    ids = {int(r.id) for r in demand.instance.requests}
    assert booked.pk in ids and weekly.pk in ids and later.pk not in ids
    weekly_core = next(r for r in demand.instance.requests if r.id == str(weekly.pk))
    assert [s.date for s in weekly_core.slots] == [monday]
    near_am = next(
        p.free
        for p in demand.instance.places
        if p.site_id == str(care.near.pk)
        and p.slot == Slot(monday, DayPart.MORNING)
        and p.band == str(care.baby.pk)
    )
    assert near_am == 2


def test_requests_the_core_cannot_take_get_a_reason_of_their_own(contested: Contested) -> None:
    care = contested.care
    # A child who turns 2.5 (30 months) between the two days of a weekly request.
    birthday = care.monday + dt.timedelta(days=3)
    born = birthday - relativedelta(months=30)
    grows = ask(
        care,
        family(care, "Grows", [("Lou", born)]),
        "course",
        rule="FREQ=WEEKLY;BYDAY=MO",
        last=care.monday + dt.timedelta(days=7),
    )
    nowhere_client = family(care, "Nowhere", [("Mo", 10)])
    nowhere = ask(care, nowhere_client, "course")
    Client.objects.filter(pk=nowhere_client.pk).update(latitude=None, longitude=None)
    nowhere.activity.__class__.objects.filter(pk=nowhere.activity_id).update(
        latitude=None, longitude=None
    )
    # On Monday at 10 o'clock the morning has started: no request of Monday can be booked.
    started_at = timezone.make_aware(dt.datetime.combine(care.monday, dt.time(10)))
    loaded = load(contested, now=started_at - dt.timedelta(days=3))
    assert loaded.excluded[grows.pk][0] == selectors.BAND_CHANGES
    assert loaded.excluded[nowhere.pk][0] == selectors.NO_LOCATION
    assert str(grows.pk) not in {r.id for r in loaded.instance.requests}
    late = load(contested, now=started_at)
    assert late.excluded[contested.pk("course1")] == (
        selectors.STARTED,
        {"date": care.monday.isoformat()},
    )
    assert late.total == len(loaded.facts)


def test_fingerprints_see_new_days_and_children(contested: Contested) -> None:
    request = contested.requests["course1"]
    before = selectors.request_fingerprints([request.pk])[request.pk]
    assert before == (RequestStatus.OPEN, load(contested).facts[request.pk].fingerprint)
    NeededSlot.objects.create(
        request=request, date=contested.care.monday + dt.timedelta(days=1), day_part="am"
    )
    after = selectors.request_fingerprints([request.pk])[request.pk]
    assert after[1] != before[1]


def test_the_digest_is_stable_and_sees_changes(contested: Contested) -> None:
    first = load(contested)
    assert load(contested).digest == first.digest
    CapacitySlot.objects.filter(
        care_site=contested.care.far, date=contested.care.monday, day_part="am"
    ).update(booked=1)
    changed = load(contested)
    assert changed.digest != first.digest
    assert changed.snapshot["capacity_digest"] != first.snapshot["capacity_digest"]
    assert changed.snapshot["requests_digest"] == first.snapshot["requests_digest"]


@pytest.mark.parametrize("families", [2, 12])
def test_a_bounded_number_of_queries_whatever_the_size(
    contested: Contested, families: int, django_assert_max_num_queries: Any
) -> None:
    care = contested.care
    for i in range(families):
        ask(
            care,
            family(care, f"Many{i}", [("A", 6 + i % 20), ("B", 40)]),
            "course",
            day=care.monday + dt.timedelta(days=i % 5),
            end=dt.time(15),
        )
    with django_assert_max_num_queries(12):
        loaded = load(contested)
    assert len(loaded.instance.requests) == 6 + families
    result = allocate(loaded.instance)
    assert result.assignments  # the instance is one the core can solve
