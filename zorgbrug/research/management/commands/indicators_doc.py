"""Write docs/indicators.md from the indicator definitions (or check that it is current)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zorgbrug.research.docs import indicators_markdown

DEFAULT = Path(settings.BASE_DIR) / "docs" / "indicators.md"


class Command(BaseCommand):
    help = "Generate docs/indicators.md from zorgbrug/research/indicators.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(DEFAULT))
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file is not up to date."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        text = indicators_markdown()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is out of date: run manage.py indicators_doc")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
