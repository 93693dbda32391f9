"""Property tests of the allocation core on random tiny instances (no database)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.allocation.helpers import (
    brute_force_single_site,
    check_valid,
    tiny_instances,
)
from zorgbrug.allocation.core import (
    Instance,
    Settings,
    SolveStatus,
    allocate,
    allocate_fcfs,
    describe,
)

FAST = Settings(time_limit=5.0, workers=1, relative_gap=0.0)
# tests/conftest.py has an autouse, function-scoped `settings` fixture; these tests do not
# use it, so sharing it between generated examples is harmless.
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(tiny_instances())
def test_allocations_respect_every_rule(instance: Instance) -> None:
    for result in (allocate(instance, FAST), allocate_fcfs(instance, FAST)):
        check_valid(instance, result)


@PROPERTY
@given(tiny_instances())
def test_never_worse_than_first_come_first_served(instance: Instance) -> None:
    optimised = allocate(instance, FAST)
    baseline = allocate_fcfs(instance, FAST)
    assert optimised.objective >= baseline.objective - 1e-9
    assert optimised.bound >= optimised.objective


@PROPERTY
@given(tiny_instances(allow_split=False))
def test_equal_to_brute_force_optimum(instance: Instance) -> None:
    result = allocate(instance, FAST)
    assert result.status is SolveStatus.OPTIMAL
    assert result.gap == 0
    assert abs(result.objective - brute_force_single_site(instance)) < 1e-6


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tiny_instances())
def test_same_input_and_seed_same_result(instance: Instance) -> None:
    first = allocate(instance, FAST)
    second = allocate(instance, FAST)
    assert first.assignments == second.assignments
    assert first.unserved == second.unserved
    assert first.objective == second.objective


@PROPERTY
@given(tiny_instances())
def test_every_unserved_request_has_a_reason_in_words(instance: Instance) -> None:
    for result in (allocate(instance, FAST), allocate_fcfs(instance, FAST)):
        for unserved in result.unserved:
            text = describe(unserved.reason)
            assert text.endswith(".")
            assert "{" not in text
