"""Create the follow-up tasks that fall due (3, 6 and 12 months after a job start or exit).

Production runs it daily as a background job (`--background`, from cron or a scheduler);
it can run any number of times, also at once: every follow-up is created exactly once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zorgbrug.pathways import rules


class Command(BaseCommand):
    help = "Create the follow-up tasks that fall due, exactly once however often it runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Pretend it is this day (YYYY-MM-DD).")
        parser.add_argument(
            "--months", help="Follow-ups after this many months, e.g. 3,6,12 (default setting)."
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Enqueue the work as a background job instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from zorgbrug.jobs.services import job_enqueue
        from zorgbrug.pathways.jobs import FOLLOW_UPS_SCHEDULE
        from zorgbrug.pathways.services import follow_ups_schedule

        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
            months = rules.parse_months(options["months"]) if options["months"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["background"]:
            job = job_enqueue(
                kind=FOLLOW_UPS_SCHEDULE,
                title=_("Create the follow-up tasks that fall due"),
                params={
                    "today": today.isoformat() if today else None,
                    "months": list(months) if months else None,
                },
            )
            self.stdout.write(f"Enqueued job {job.pk}")
            return
        result = follow_ups_schedule(today=today, months=months)
        self.stdout.write(
            self.style.SUCCESS(
                f"Follow-ups created: {result['created']} (considered {result['considered']})"
            )
        )
