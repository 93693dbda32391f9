"""Medians and percentiles in SQL: PostgreSQL's percentile_cont and the portable fallback
(SQLite) give the same, hand-checked numbers. Run on both databases (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.factories import NetworkFactory, OrganisationFactory
from zorgbrug.clients.models import Client
from zorgbrug.research.sql import DaysBetween, MinutesBetween, percentiles

pytestmark = pytest.mark.django_db


def _clients(values: list[int | None]) -> Any:
    network = NetworkFactory()
    org = OrganisationFactory()
    Client.objects.bulk_create(
        Client(
            network=network,
            first_name="P",
            last_name=str(i),
            birth_date=dt.date(1990, 1, 1),
            gender="female",
            postcode="9900",
            labour_status="unemployed",
            income_source="none",
            months_unemployed=v,
            intake_organisation=org,
        )
        for i, v in enumerate(values)
    )
    return Client.objects.filter(network=network)


def _methods() -> list[str]:
    return ["offset", "aggregate"] if connection.vendor == "postgresql" else ["offset"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 7, 10, 30], {0.5: 7.0, 0.9: 22.0, 0.0: 1.0, 1.0: 30.0}),
        ([10, 1, 7, 2], {0.5: 4.5, 0.9: 9.1}),  # unsorted, even count: rank 2.7
        ([5], {0.5: 5.0, 0.9: 5.0}),
        ([None, 3, None, 9], {0.5: 6.0, 0.9: 8.4}),  # NULLs are left out
        ([], {0.5: None, 0.9: None}),
    ],
)
def test_percentiles_by_hand(values: list[int | None], expected: dict[float, float | None]) -> None:
    qs = _clients(values)
    for method in _methods():
        got = percentiles(qs, "months_unemployed", list(expected), method=method)
        for fraction, want in expected.items():
            if want is None:
                assert got[fraction] is None, method
            else:
                assert got[fraction] == pytest.approx(want), (method, fraction)


def test_auto_uses_the_aggregate_on_postgresql_only(django_assert_num_queries: Any) -> None:
    qs = _clients([1, 2, 3])
    # one aggregate query on PostgreSQL; a count and one query per fraction elsewhere
    expected_queries = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(expected_queries):
        assert percentiles(qs, "months_unemployed", [0.5, 0.9]) == {
            0.5: 2.0,
            0.9: pytest.approx(2.8),
        }


def test_days_and_minutes_between_are_integers_on_every_database() -> None:
    from django.db.models import Value
    from django.db.models.fields import DateField, TimeField

    qs = _clients([1])
    row = qs.annotate(
        days=DaysBetween(
            Value(dt.date(2026, 3, 30), output_field=DateField()),
            Value(dt.date(2026, 3, 28), output_field=DateField()),
        ),
        minutes=MinutesBetween(
            Value(dt.time(8, 15), output_field=TimeField()),
            Value(dt.time(12, 0), output_field=TimeField()),
        ),
    ).values("days", "minutes")[0]
    assert row == {"days": 2, "minutes": 225}


class TestPercentilesOnRandomData(TestCase):
    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=40))
    def test_sql_matches_linear_interpolation(self, values: list[int]) -> None:
        qs = _clients(list(values))
        fractions = [0.1, 0.5, 0.9]
        reference = {f: float(np.percentile(values, f * 100, method="linear")) for f in fractions}
        results = {m: percentiles(qs, "months_unemployed", fractions, method=m) for m in _methods()}
        for method, got in results.items():
            for f in fractions:
                assert got[f] == pytest.approx(reference[f]), (method, f, values)
