"""Unit tests of the reasons given to unserved requests, of splits and of the English text."""

from __future__ import annotations

from dataclasses import replace

from tests.allocation.helpers import DAYS, check_valid, near
from zorgbrug.allocation.core import (
    CareRecipient,
    CareRequest,
    DayPart,
    Instance,
    Places,
    Priority,
    Reason,
    ReasonCode,
    Settings,
    Site,
    Slot,
    Weights,
    allocate,
    allocate_fcfs,
    describe,
)
from zorgbrug.allocation.core.model import ReasonParam

FAST = Settings(time_limit=5.0, workers=1)
MON_AM = Slot(DAYS[0], DayPart.MORNING)
MON_PM = Slot(DAYS[0], DayPart.AFTERNOON)
TUE_AM = Slot(DAYS[1], DayPart.MORNING)
TUE_PM = Slot(DAYS[1], DayPart.AFTERNOON)


def site(i: int, **kwargs: object) -> Site:
    return Site(
        id=f"s{i}",
        provider_id=f"p{i}",
        name=f"Kinderdagverblijf {i}",
        location=near(i, 0),
        **kwargs,
    )


def request(
    i: int,
    *,
    priority: Priority = Priority.COURSE,
    ages: tuple[int, ...] = (12,),
    slots: tuple[Slot, ...] = (MON_AM,),
    arrival: int | None = None,
    east_km: float = 0.0,
) -> CareRequest:
    return CareRequest(
        id=f"r{i}",
        arrival=i if arrival is None else arrival,
        priority=priority,
        children=tuple(CareRecipient(f"r{i}c{k}", age) for k, age in enumerate(ages)),
        slots=slots,
        home=near(east_km, 0),
    )


def places(site_id: str, band: str, free: int, *slots: Slot) -> tuple[Places, ...]:
    return tuple(Places(site_id, s, band, free) for s in slots)


def reasons(result_unserved: tuple[object, ...]) -> dict[str, Reason]:
    return {u.request_id: u.reason for u in result_unserved}  # type: ignore[attr-defined]


def only_reason(instance: Instance) -> Reason:
    result = allocate(instance, FAST)
    check_valid(instance, result)
    assert len(result.unserved) == 1
    return result.unserved[0].reason


def test_no_age_band() -> None:
    instance = Instance(
        requests=(request(1, ages=(12, 170)),),
        sites=(site(1),),
        places=places("s1", "0-2.5", 3, MON_AM),
    )
    reason = only_reason(instance)
    assert reason.code is ReasonCode.NO_AGE_BAND
    assert reason.as_dict == {"child_id": "r1c1", "age_months": 170}
    assert describe(reason) == "No age band takes a child of 170 months."


def test_no_site_in_reach() -> None:
    instance = Instance(
        requests=(request(1, east_km=60),),
        sites=(site(1),),
        places=places("s1", "0-2.5", 3, MON_AM),
    )
    reason = only_reason(instance)
    assert reason.code is ReasonCode.NO_SITE_IN_REACH
    assert describe(reason) == "No childcare site within 15 km."


def test_no_site_for_the_age_band() -> None:
    instance = Instance(
        requests=(request(1, ages=(60,)),),
        sites=(site(1),),
        places=places("s1", "0-2.5", 3, MON_AM),
    )
    reason = only_reason(instance)
    assert reason.code is ReasonCode.NO_SITE_FOR_AGE
    assert describe(reason) == "No site within 15 km takes children aged 2.5–12 years."


def test_closed_on_the_day_part() -> None:
    mornings = frozenset((d, DayPart.MORNING) for d in range(5))
    instance = Instance(
        requests=(request(1, slots=(MON_AM, TUE_PM)),),
        sites=(site(1, opening=mornings),),
        places=places("s1", "0-2.5", 3, MON_AM, TUE_AM, TUE_PM),  # PM places ignored: closed
    )
    reason = only_reason(instance)
    assert reason.code is ReasonCode.CLOSED
    assert reason.as_dict["weekday"] == 1
    assert reason.as_dict["part"] == "afternoon"
    assert describe(reason) == (
        "No site within 15 km for ages 0–2.5 is open on Tuesday afternoon (2026-04-14)."
    )


def test_no_free_place_names_the_day_part_and_the_numbers() -> None:
    instance = Instance(
        requests=(request(1, slots=(MON_AM, TUE_AM)),),
        sites=(site(1),),
        places=places("s1", "0-2.5", 2, MON_AM) + places("s1", "0-2.5", 0, TUE_AM),
    )
    reason = only_reason(instance)
    assert reason.code is ReasonCode.NO_FREE_PLACE
    assert reason.as_dict == {
        "band": "0–2.5",
        "date": "2026-04-14",
        "weekday": 1,
        "part": "morning",
        "needed": 1,
        "free": 0,
        "max_km": 15.0,
    }
    assert "Tuesday morning" in describe(reason)


def _two_sites_two_days(allow_split: bool) -> Instance:
    return Instance(
        requests=(request(1, slots=(MON_AM, TUE_AM)),),
        sites=(site(1), site(2)),
        places=places("s1", "0-2.5", 1, MON_AM) + places("s2", "0-2.5", 1, TUE_AM),
        weights=Weights(allow_split=allow_split),
    )


def test_no_combination_when_splitting_is_not_allowed() -> None:
    reason = only_reason(_two_sites_two_days(allow_split=False))
    assert reason.code is ReasonCode.NO_COMBINATION
    assert reason.as_dict["days"] == 2


def test_split_by_day_over_two_sites_when_allowed() -> None:
    instance = _two_sites_two_days(allow_split=True)
    result = allocate(instance, FAST)
    check_valid(instance, result)
    (assignment,) = result.assignments
    assert assignment.site_ids == ("s1", "s2")
    by_slot = {p.slot: p.site_id for p in assignment.placements}
    assert by_slot == {MON_AM: "s1", TUE_AM: "s2"}
    weights = instance.weights
    # Course: 35 + 2 × 3.5, minus the split penalty, minus travel (1 km and 2 km).
    expected = 35 + 2 * 3.5 - weights.split_penalty - weights.switch_penalty - 0.1 - 0.2
    assert abs(assignment.value - expected) < 0.02


def test_split_by_child_keeps_each_child_at_one_site() -> None:
    instance = Instance(
        requests=(request(1, ages=(10, 20), slots=(MON_AM, TUE_AM)),),
        sites=(site(1), site(2)),
        places=places("s1", "0-2.5", 1, MON_AM, TUE_AM) + places("s2", "0-2.5", 1, MON_AM, TUE_AM),
    )
    result = allocate(instance, FAST)
    check_valid(instance, result)
    (assignment,) = result.assignments
    site_of_child: dict[str, set[str]] = {}
    for p in assignment.placements:
        site_of_child.setdefault(p.child_id, set()).add(p.site_id)
    assert sorted(map(sorted, site_of_child.values())) == [["s1"], ["s2"]]


def test_not_worth_the_travel() -> None:
    instance = Instance(
        requests=(request(1, east_km=-10),),
        sites=(site(1),),
        places=places("s1", "0-2.5", 1, MON_AM),
        weights=Weights(km_penalty=10.0),
    )
    reason = only_reason(instance)
    assert reason.code is ReasonCode.NOT_WORTH_TRAVEL
    assert reason.as_dict["distance_km"] == 11.0


def _one_place_two_requests() -> Instance:
    return Instance(
        requests=(
            request(1, priority=Priority.COURSE, arrival=1),
            request(2, priority=Priority.JOB_START, arrival=2),
        ),
        sites=(site(1),),
        places=places("s1", "0-2.5", 1, MON_AM),
    )


def test_the_place_goes_to_the_higher_priority_and_the_course_is_told_why() -> None:
    instance = _one_place_two_requests()
    result = allocate(instance, FAST)
    assert result.served_ids == {"r2"}
    reason = reasons(result.unserved)["r1"]
    assert reason.code is ReasonCode.HIGHER_PRIORITY
    assert reason.as_dict["competitor_id"] == "r2"
    assert reason.as_dict["competitor_priority"] == "job_start"
    assert reason.as_dict["site_id"] == "s1"
    assert describe(reason) == (
        "The last place for ages 0–2.5 at Kinderdagverblijf 1 on Monday morning (2026-04-13) "
        "went to a request with a higher priority (the first weeks of a job)."
    )


def test_first_come_first_served_explains_by_arrival() -> None:
    result = allocate_fcfs(_one_place_two_requests(), FAST)
    assert result.served_ids == {"r1"}
    reason = reasons(result.unserved)["r2"]
    assert reason.code is ReasonCode.ARRIVED_LATER
    assert reason.as_dict["competitor_id"] == "r1"
    assert "arrived earlier" in describe(reason)


def test_two_small_requests_outweigh_one_large_one_of_the_same_priority() -> None:
    instance = Instance(
        requests=(
            request(1, ages=(10, 20), arrival=1),
            request(2, arrival=2),
            request(3, arrival=3),
        ),
        sites=(site(1),),
        places=places("s1", "0-2.5", 2, MON_AM),
    )
    result = allocate(instance, FAST)
    assert result.served_ids == {"r2", "r3"}
    reason = reasons(result.unserved)["r1"]
    assert reason.code is ReasonCode.MORE_VALUE
    assert reason.as_dict["competitors"] == 2
    assert describe(reason) == (
        "The places for ages 0–2.5 at Kinderdagverblijf 1 on Monday morning (2026-04-13) went "
        "to 2 requests of the same or lower priority that together serve more of the "
        "covenant's priorities (among them a course)."
    )
    # First come, first served would have given both places to the family that came first.
    assert allocate_fcfs(instance, FAST).served_ids == {"r1"}


def test_every_code_renders_without_placeholders() -> None:
    samples: dict[ReasonCode, dict[str, ReasonParam]] = {
        ReasonCode.NO_COMBINATION: {"days": 3, "max_km": 15.0},
        ReasonCode.MORE_VALUE: {
            "band": "0–2.5",
            "site_name": "X",
            "weekday": 0,
            "part": "morning",
            "date": "2026-04-13",
            "competitors": 1,
            "competitor_priority": "course",
        },
    }
    for code, params in samples.items():
        text = describe(Reason(code, tuple(sorted(params.items()))))
        assert "{" not in text and text.endswith(".")


def test_reasons_are_deterministic_and_hashable() -> None:
    instance = _one_place_two_requests()
    first = allocate(instance, FAST).unserved
    assert first == allocate(instance, FAST).unserved
    assert len({u.reason for u in first}) == len(first)


def test_arrival_as_datetime() -> None:
    import datetime as dt

    base = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    instance = _one_place_two_requests()
    instance = replace(
        instance,
        requests=tuple(
            replace(r, arrival=base + dt.timedelta(minutes=int(r.arrival)))
            for r in instance.requests
        ),
    )
    assert allocate_fcfs(instance, FAST).served_ids == {"r1"}
