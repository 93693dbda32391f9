"""Pathway fixtures: the care world's mother of two, registered a year ago by the world's
referrer (VDAB Noord), and helpers to record a job start or an exit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.care.conftest import CareWorld, care  # noqa: F401  (the fixture, for these tests)
from tests.clients.conftest import register
from tests.conftest import World
from zorgbrug.clients.models import Client, Consent
from zorgbrug.pathways import services
from zorgbrug.pathways.models import Exit, PathwayActivity


def backdate(client: Client, day: dt.date) -> None:
    """Pretend the intake (record and consent) happened on `day`."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    Client.objects.filter(pk=client.pk).update(created_at=moment)
    Consent.objects.filter(client=client).update(given_at=moment)
    client.refresh_from_db()


@dataclass
class PathwayWorld:
    care: CareWorld
    world: World
    client: Client
    intake: dt.date
    today: dt.date


@pytest.fixture
def pathway(care: CareWorld) -> PathwayWorld:  # noqa: F811
    today = timezone.localdate()
    intake = today - dt.timedelta(days=400)
    backdate(care.family, intake)
    return PathwayWorld(care=care, world=care.world, client=care.family, intake=intake, today=today)


def job_start(
    p: PathwayWorld, day: dt.date, client: Client | None = None, **kw: Any
) -> PathwayActivity:
    data: dict[str, Any] = {
        "kind": "job_start",
        "title": "Magazijnmedewerker",
        "employer": "Meetjesland Logistics",
        "sector": "logistics",
        "contract_type": "fixed_term",
        "hours_per_week": Decimal("30"),
    }
    data.update(kw)
    return services.pathway_activity_create(
        actor=p.world.referrer, client=client or p.client, date=day, **data
    )


def exit_on(
    p: PathwayWorld, day: dt.date, client: Client | None = None, reason: str = "moved"
) -> Exit:
    return services.exit_record(
        actor=p.world.referrer, client=client or p.client, date=day, reason=reason
    )


def another_client(p: PathwayWorld, n: int) -> Client:
    client = register(p.world, first_name=f"Client{n}", last_name=f"Test{n}", phone="")
    backdate(client, p.intake)
    return client
