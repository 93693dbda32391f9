from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import World
from zorgbrug.clients import services
from zorgbrug.clients.models import Client


def insz(yymmdd: str, counter: str = "033", born_2000: bool = False) -> str:
    base = yymmdd + counter
    check = 97 - int(("2" if born_2000 else "") + base) % 97
    return f"{base}{check:02d}"


def client_fields(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Amina",
        "last_name": "El Idrissi",
        "birth_date": dt.date(1990, 2, 15),
        "gender": "female",
        "insz": "",
        "phone": "0470 12 34 56",
        "email": "",
        "street": "Kerkstraat 1",
        "postcode": "9900",
        "municipality": "",
        "languages": ["ar", "nl"],
        "needs_interpreter": False,
        "labour_status": "unemployed",
        "months_unemployed": 14,
        "income_source": "social_integration",
        "education_level": 2,
        "single_adult_household": True,
        "adults_in_household": 1,
        "children_in_household": 2,
        "migration_background": None,
    }
    data.update(overrides)
    return data


CONSENT = {
    "care_support": True,
    "share_with_partners": True,
    "research_use": True,
    "special_category": False,
    "language": "nl",
    "text_version": "2026-1",
}
CHILDREN = [
    {"kind": "child", "first_name": "Yusuf", "birth_date": dt.date(2021, 5, 1)},
    {
        "kind": "child",
        "first_name": "Lina",
        "birth_date": dt.date(2023, 9, 12),
        "allergies": "pinda's",
    },
]
SCREENING = {
    "taken_on": dt.date(2026, 11, 2),
    "occasion": "intake",
    "stopped_job": True,
    "stopped_course": True,
    "stopped_interview": False,
    "would_accept": "yes",
    "refusal_reason": "",
    "main_barrier": "care",
}
NEEDS = [
    {"recipient_index": 0, "arrangement": "none", "days_needed": "1111100", "hours_per_week": 30},
    {"recipient_index": 1, "arrangement": "family", "days_needed": "1100000", "hours_per_week": 12},
]


def register(world: World, actor: Any = None, organisation: Any = None, **overrides: Any) -> Client:
    return services.client_register(
        actor=actor or world.referrer,
        organisation=organisation or world.org,
        network=world.network,
        client=client_fields(**overrides),
        consent=dict(CONSENT),
        recipients=[dict(c) for c in CHILDREN],
        screening=dict(SCREENING),
        needs=[dict(n) for n in NEEDS],
    )


@pytest.fixture
def client_record(world: World) -> Client:
    return register(world)
