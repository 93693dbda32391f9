"""Every reason, of the core or of the product, reads as one plain sentence in the reader's
language, with its parameters filled in."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from zorgbrug.allocation import explain, selectors
from zorgbrug.allocation.core import ReasonCode, allocate, generate_instance
from zorgbrug.allocation.core import Settings as CoreSettings

COMPETITION = {
    "site_id": "4",
    "site_name": "'t Kriebeltje",
    "band": "0–2.5",
    "date": "2026-04-14",
    "weekday": 1,
    "part": "morning",
    "competitor_id": "9",
    "competitor_priority": "job_start",
    "competitors": 1,
}
EXAMPLES: dict[str, tuple[dict[str, Any], list[str]]] = {
    ReasonCode.NO_AGE_BAND: ({"child_id": "3", "age_months": 170}, ["170 months"]),
    ReasonCode.NO_SITE_IN_REACH: ({"max_km": 15.0}, ["15 km"]),
    ReasonCode.NO_SITE_FOR_AGE: ({"band": "2.5–12", "max_km": 15.0}, ["2.5–12", "15 km"]),
    ReasonCode.CLOSED: (
        {"band": "0–2.5", "date": "2026-04-14", "weekday": 1, "part": "afternoon", "max_km": 15},
        ["Tuesday afternoon (14/04/2026)", "0–2.5"],
    ),
    ReasonCode.NO_FREE_PLACE: (
        {
            "band": "0–2.5",
            "date": "2026-04-14",
            "weekday": 1,
            "part": "morning",
            "needed": 1,
            "free": 0,
            "max_km": 15.0,
        },
        ["No free place for ages 0–2.5 on Tuesday morning (14/04/2026) within 15 km"],
    ),
    ReasonCode.NO_COMBINATION: ({"days": 2, "max_km": 15.0}, ["all 2 days"]),
    ReasonCode.NOT_WORTH_TRAVEL: ({"distance_km": 11.04}, ["11.0 km"]),
    ReasonCode.HIGHER_PRIORITY: (
        COMPETITION,
        ["The last place for ages 0–2.5 at 't Kriebeltje", "the first weeks of a job"],
    ),
    ReasonCode.MORE_VALUE: (COMPETITION, ["makes better use"]),
    ReasonCode.ARRIVED_LATER: (COMPETITION, ["arrived earlier"]),
    selectors.STARTED: ({"date": "2026-04-14"}, ["14/04/2026"]),
    selectors.NO_LOCATION: ({}, ["location"]),
    selectors.BAND_CHANGES: ({}, ["age band"]),
    selectors.NO_CHILDREN: ({}, ["no child"]),
}


@pytest.mark.parametrize("code", list(EXAMPLES))
def test_each_reason_in_plain_english(code: str) -> None:
    params, expected = EXAMPLES[code]
    with translation.override("en"):
        text = explain.reason_text(code, params)
    for part in expected:
        assert part in text, (code, text)
    assert "%(" not in text and text.endswith(".")


def test_more_competitors_are_counted() -> None:
    with translation.override("en"):
        text = explain.reason_text(ReasonCode.MORE_VALUE, {**COMPETITION, "competitors": 3})
    assert "went to 3 requests" in text


def test_every_reason_code_has_a_sentence() -> None:
    assert set(ReasonCode) <= set(EXAMPLES)


@pytest.mark.parametrize("language", ["nl", "fr", "en", "ar", "tr"])
def test_the_reasons_of_a_generated_week_render_in_every_language(language: str) -> None:
    instance = generate_instance(requests=120, providers=12, seed=4, areas=1)
    result = allocate(instance, CoreSettings(time_limit=3.0, workers=1))
    assert result.unserved
    with translation.override(language):
        for unserved in result.unserved:
            text = explain.reason_text(unserved.reason.code, unserved.reason.as_dict)
            assert text and "%(" not in text
