"""Bring the research facts up to date, or rebuild them (run nightly with --rebuild, e.g.
from cron, so that writes that bypassed the services are in the figures too)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zorgbrug.research import facts


class Command(BaseCommand):
    help = "Refresh the research facts (what changed), or rebuild them all with --rebuild."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Recompute every fact from the source tables."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = facts.rebuild() if options["rebuild"] else facts.refresh()
        self.stdout.write(json.dumps(result.as_dict()))
