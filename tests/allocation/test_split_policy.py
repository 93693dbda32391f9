"""`Weights.split_by_child`: the product books one site per day-part for all children of a
request, so it switches off splitting siblings over two sites on the same day-part."""

from __future__ import annotations

from tests.allocation.helpers import check_valid
from tests.allocation.test_explanations import MON_AM, TUE_AM, request, site
from zorgbrug.allocation.core import (
    Instance,
    Places,
    ReasonCode,
    Settings,
    Slot,
    Weights,
    allocate,
    allocate_fcfs,
)

FAST = Settings(time_limit=5.0, workers=1)


def twins_and_two_sites(**weights: bool) -> Instance:
    """Twins on Monday morning; two sites with one baby place each."""
    return Instance(
        requests=(request(1, ages=(10, 10)),),
        sites=(site(0), site(1)),
        places=(Places("s0", MON_AM, "0-2.5", 1), Places("s1", MON_AM, "0-2.5", 1)),
        weights=Weights(**weights),
    )


def test_siblings_are_split_over_two_sites_only_when_allowed() -> None:
    split = allocate(twins_and_two_sites(), FAST)
    assert len(split.assignments) == 1
    assert set(split.assignments[0].site_ids) == {"s0", "s1"}
    check_valid(twins_and_two_sites(), split)

    instance = twins_and_two_sites(split_by_child=False)
    for result in (allocate(instance, FAST), allocate_fcfs(instance, FAST)):
        assert result.assignments == ()
        (unserved,) = result.unserved
        assert unserved.reason.code is ReasonCode.NO_FREE_PLACE
        assert unserved.reason.as_dict["needed"] == 2 and unserved.reason.as_dict["free"] == 1


def test_splits_by_day_stay_possible_without_splits_by_child() -> None:
    """Monday at one site, Tuesday at the other: every day-part has one site for both."""
    instance = Instance(
        requests=(request(1, ages=(10, 10), slots=(MON_AM, TUE_AM)),),
        sites=(site(0), site(1)),
        places=(Places("s0", MON_AM, "0-2.5", 2), Places("s1", TUE_AM, "0-2.5", 2)),
        weights=Weights(split_by_child=False),
    )
    result = allocate(instance, FAST)
    (assignment,) = result.assignments
    by_slot: dict[Slot, set[str]] = {}
    for p in assignment.placements:
        by_slot.setdefault(p.slot, set()).add(p.site_id)
    assert by_slot == {MON_AM: {"s0"}, TUE_AM: {"s1"}}
    check_valid(instance, result)
