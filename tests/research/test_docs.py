"""docs/indicators.md is generated from the indicator module and committed up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from zorgbrug.research.docs import indicators_markdown
from zorgbrug.research.indicators import INDICATORS, NOT_COMPUTED

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def test_committed_docs_are_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == indicators_markdown(), (
        "docs/indicators.md is out of date: run `python manage.py indicators_doc`"
    )


def test_every_indicator_and_the_ones_not_computed_are_published() -> None:
    text = indicators_markdown()
    with translation.override("en"):  # the published definitions are the English source
        for indicator in INDICATORS:
            assert f"`{indicator.key}`" in text
            assert str(indicator.formula) in text
    for missing in NOT_COMPUTED:
        assert f"`{missing.key}`" in text


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "indicators.md"
    stale.write_text("old", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("indicators_doc", "--check", "--output", str(stale))
    call_command("indicators_doc", "--output", str(stale))
    call_command("indicators_doc", "--check", "--output", str(stale))
