"""A contested Monday morning in the care world, for the allocation's Django side.

`care` (tests/care/conftest.py) has babies' places on weekdays at 't Kriebeltje in Eeklo
(2 per day-part) and De Speelboom in Maldegem (3). `contested` adds six families who
want seven babies cared for on the morning of `care.monday`, arriving in an order unrelated
to their priority: two courses and an orientation first, then twins for a course, a job
interview, and last the first day of a new job. Five places, seven babies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tests.care.conftest import CareWorld, care  # noqa: F401  (the fixture, for these tests)
from tests.clients.conftest import CONSENT, client_fields
from zorgbrug.care import services as care_services
from zorgbrug.care.models import CareRequest
from zorgbrug.clients import services as client_services
from zorgbrug.clients.models import Client

_counter = iter(range(10_000))


def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def family(
    cw: CareWorld,
    last_name: str,
    children: list[tuple[str, int | dt.date]],
    *,
    postcode: str = "9900",
    languages: list[str] | None = None,
) -> Client:
    """A family registered by VDAB Noord; children as (first name, age in months on Monday
    or date of birth)."""
    n = next(_counter)
    return client_services.client_register(
        actor=cw.world.referrer,
        organisation=cw.world.org,
        network=cw.world.network,
        client=client_fields(
            first_name=f"Ouder{n}",
            last_name=last_name,
            birth_date=dt.date(1985, 1, 1) + dt.timedelta(days=n),
            phone="0470 12 34 56",
            postcode=postcode,
            languages=languages or ["nl"],
        ),
        consent=dict(CONSENT),
        recipients=[
            {
                "kind": "child",
                "first_name": name,
                "birth_date": age if isinstance(age, dt.date) else months_before(cw.monday, age),
            }
            for name, age in children
        ],
    )


def ask(
    cw: CareWorld,
    client: Client,
    kind: str,
    *,
    day: dt.date | None = None,
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(11),
    rule: str = "",
    last: dt.date | None = None,
    title: str = "",
) -> CareRequest:
    """Care for all the family's children during an activity (by default Monday 9–11)."""
    activity = care_services.activity_create(
        actor=cw.world.referrer,
        client=client,
        organisation=cw.world.org,
        kind=kind,
        title=title or f"{kind} {client.last_name}",
        postcode="9900",
        first_date=day or cw.monday,
        last_date=last,
        recurrence=rule,
        start_time=start,
        end_time=end,
        travel_minutes=30,
    )
    return care_services.care_request_create(
        actor=cw.world.referrer,
        activity=activity,
        recipients=list(client.care_recipients.all()),
    )


@dataclass
class Contested:
    care: CareWorld
    requests: dict[str, CareRequest]

    @property
    def first(self) -> dt.date:
        return self.care.monday

    @property
    def last(self) -> dt.date:
        return self.care.monday + dt.timedelta(days=4)

    def pk(self, label: str) -> int:
        return self.requests[label].pk


@pytest.fixture
def contested(care: CareWorld) -> Contested:  # noqa: F811  (the imported fixture)
    specs: list[tuple[str, str, list[tuple[str, int]]]] = [
        ("course1", "course", [("Bo", 10)]),
        ("course2", "course", [("Cas", 12)]),
        ("other", "orientation", [("Dirk", 14)]),
        ("twins", "course", [("Eva", 9), ("Fien", 9)]),
        ("interview", "job_interview", [("Gust", 11)]),
        ("job_start", "job_start", [("Hind", 7)]),
    ]
    requests = {}
    for label, kind, children in specs:
        requests[label] = ask(care, family(care, label.capitalize(), children), kind)
    return Contested(care=care, requests=requests)


def run_inline(capture: Any, **kwargs: Any) -> Any:
    """Start a run and let its job run at once (JOBS_BACKEND is inline in tests)."""
    from zorgbrug.allocation import services

    with capture(execute=True):
        run = services.allocation_start(**kwargs)
    run.refresh_from_db()
    return run
