"""Shared plumbing for benchmarks: a throw-away database, timing, the results file.

Each benchmark module bench/bench_<name>.py defines `NAME`, `PARAMS` and
`run(params) -> metrics` (and `NEEDS_DATABASE = False` when it touches no database).
`python -m bench [name]` runs them on a fresh test database created next to the one
DATABASE_URL names (it is dropped afterwards) and writes bench/results/<name>.json.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zorgbrug.settings")
    os.environ.setdefault("ZORGBRUG_TESTING", "1")
    os.environ.setdefault("ALLOW_SYNTHETIC_DATA", "1")
    import django

    django.setup()


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh database (test_<name>) with all migrations, dropped at the end."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor == "postgresql":
        # One copy per run: two benchmarks on the same server must not share (and drop)
        # each other's scratch database.
        test = connection.settings_dict.setdefault("TEST", {})
        test["NAME"] = f"test_{connection.settings_dict['NAME']}_{os.getpid()}"
    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        yield connection.vendor
    finally:
        teardown_databases(old, verbosity=0)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return math.nan
    k = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[k]


def time_calls(func: Callable[[], Any], *, repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary_ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 95), 2),
        "max": round(max(samples), 2),
    }


def write_result(name: str, metrics: dict[str, Any], params: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(
        json.dumps({"name": name, "metrics": metrics, "params": params}, indent=2) + "\n"
    )
    return path
