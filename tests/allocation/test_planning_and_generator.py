"""What-if capacity planning, input validation and the synthetic generator."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from tests.allocation.helpers import DAYS, check_valid
from tests.allocation.test_explanations import MON_AM, places, request, site
from zorgbrug.allocation.core import (
    DayPart,
    Instance,
    InvalidInstance,
    Priority,
    Settings,
    Slot,
    allocate,
    allocate_fcfs,
    generate_instance,
    more_places,
    move_places,
    what_if,
    with_changes,
)

FAST = Settings(time_limit=5.0, workers=1)


def _contested() -> Instance:
    # Three requests for Monday morning; s1 has one place, s2 (nearby) none.
    return Instance(
        requests=(request(1), request(2), request(3, priority=Priority.JOB_INTERVIEW)),
        sites=(site(1), site(2)),
        places=places("s1", "0-2.5", 1, MON_AM) + places("s2", "0-2.5", 0, MON_AM),
    )


def test_more_places_serve_more_requests() -> None:
    outcome = what_if(_contested(), [more_places("s1", 2)], FAST)
    assert outcome.base.served_ids == {"r3"}
    assert outcome.extra_requests == 2
    assert outcome.newly_served == ("r1", "r2")
    assert outcome.no_longer_served == ()
    assert outcome.extra_priority_value == pytest.approx(2 * (35 + 3.5))


def test_moving_places_between_sites() -> None:
    instance = _contested()
    changed = with_changes(instance, move_places("s1", "s2", 1, band="0-2.5"))
    free = {(p.site_id, p.band): p.free for p in changed.places if p.slot == MON_AM}
    assert free == {("s1", "0-2.5"): 0, ("s2", "0-2.5"): 1}
    outcome = what_if(instance, move_places("s1", "s2", 1), FAST)
    assert outcome.extra_requests == 0  # the place only moved: the interview still gets it
    assert outcome.changed.served_ids == {"r3"}
    assert outcome.changed.assignments[0].site_ids == ("s2",)


def test_places_are_never_added_when_the_site_is_closed() -> None:
    closed = frozenset((d, p) for d in range(5) for p in DayPart if d != 0)
    instance = replace(_contested(), sites=(site(1, opening=closed), site(2)))
    changed = with_changes(instance, [more_places("s1", 5)])
    assert all(p.free == 1 for p in changed.places if p.site_id == "s1")
    with pytest.raises(ValueError, match="unknown site"):
        with_changes(instance, [more_places("nowhere", 1)])


def test_invalid_input_is_refused() -> None:
    instance = _contested()
    with pytest.raises(InvalidInstance, match="unique"):
        allocate(replace(instance, requests=(*instance.requests, request(1))), FAST)
    with pytest.raises(InvalidInstance, match="twice"):
        allocate(replace(instance, places=(*instance.places, instance.places[0])), FAST)
    bad_slots = replace(request(9), slots=(MON_AM, MON_AM))
    with pytest.raises(InvalidInstance, match="slot twice"):
        allocate(replace(instance, requests=(bad_slots,)), FAST)


def test_generator_is_deterministic_and_contested() -> None:
    first = generate_instance(requests=400, seed=3)
    assert first == generate_instance(requests=400, seed=3)
    assert first != generate_instance(requests=400, seed=4)
    assert len(first.sites) == 300
    assert len({r.id for r in first.requests}) == 400
    children = Counter(len(r.children) for r in first.requests)
    assert set(children) == {1, 2, 3}
    days = Counter(len({s.date for s in r.slots}) for r in first.requests)
    assert set(days) == {1, 2, 3, 4, 5}
    demand = sum(len(r.children) * len(r.slots) for r in first.requests)
    supply = sum(p.free for p in first.places)
    assert demand > 1.8 * supply  # demand well above capacity


def test_generated_arrival_order_is_unrelated_to_priority() -> None:
    instance = generate_instance(requests=2000, seed=5)
    order = sorted(instance.requests, key=lambda r: int(r.arrival))
    ranks = [list(Priority).index(r.priority) for r in order]
    n = len(ranks)
    mean_rank = sum(ranks) / n
    mean_pos = (n - 1) / 2
    cov = sum((i - mean_pos) * (x - mean_rank) for i, x in enumerate(ranks))
    var_pos = sum((i - mean_pos) ** 2 for i in range(n))
    var_rank = sum((x - mean_rank) ** 2 for x in ranks)
    assert abs(cov / (var_pos * var_rank) ** 0.5) < 0.06


def test_generated_week_allocates_validly_and_beats_first_come_first_served() -> None:
    instance = generate_instance(requests=150, providers=40, areas=2, seed=11)
    result = allocate(instance, Settings(time_limit=10.0, workers=2))
    baseline = allocate_fcfs(instance, FAST)
    check_valid(instance, result)
    check_valid(instance, baseline)
    assert result.objective >= baseline.objective
    assert result.priority_value > baseline.priority_value
    assert result.bound >= result.objective
    assert result.stats["components"] >= 2  # two areas fall apart on their own


def test_one_day_instances_decompose_by_day() -> None:
    one_day = [
        request(i, slots=(Slot(DAYS[i % 2], DayPart.MORNING),), priority=Priority.OTHER)
        for i in range(6)
    ]
    instance = Instance(
        requests=tuple(one_day),
        sites=(site(1),),
        places=places(
            "s1", "0-2.5", 2, Slot(DAYS[0], DayPart.MORNING), Slot(DAYS[1], DayPart.MORNING)
        ),
    )
    result = allocate(instance, FAST)
    assert len(result.assignments) == 4
    assert result.stats["components"] == 2  # Monday and Tuesday compete separately


@pytest.mark.parametrize("areas", [3, 1])
def test_reproducible_with_two_threads_and_the_search(areas: int) -> None:
    # whole_limit=50 sends the larger components to the neighbourhood search. With three
    # areas, components run side by side on two threads; with one, the search itself
    # solves two neighbourhoods at a time.
    instance = generate_instance(requests=300, providers=60, areas=areas, seed=2)
    settings = Settings(time_limit=120.0, work=0.5, workers=2, whole_limit=50, seed=4)
    first = allocate(instance, settings)
    second = allocate(instance, settings)
    assert first.reproducible and second.reproducible
    assert first.stats["searched_components"] >= 1
    assert first.assignments == second.assignments
    assert first.unserved == second.unserved
    assert first.bound == second.bound


def test_weights_from_the_covenant_points() -> None:
    from zorgbrug.allocation.core import Weights

    weights = Weights.from_points({"job_start": 120.0, "course": 30.0}, max_distance_km=10.0)
    assert weights.priorities[Priority.JOB_START].request == 120.0
    assert weights.priorities[Priority.JOB_START].per_day_part == 12.0
    assert weights.priorities[Priority.OTHER].request == 20.0  # default kept
    assert weights.max_distance_km == 10.0
    assert weights.rank(Priority.JOB_START) == 0
    assert weights.rank(Priority.COURSE) == 3
