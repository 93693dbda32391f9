import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zorgbrug.care.notifications import reminders_send


class Command(BaseCommand):
    help = (
        "Remind parents of tomorrow's care by e-mail and SMS. Run it once a day (cron or "
        "Celery beat); running it again the same day sends nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--day", help="The day of care to remind of (YYYY-MM-DD); tomorrow by default."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options.get("day"):
            try:
                day = dt.date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError("--day must be a date like 2026-12-01") from exc
        sent = reminders_send(day=day)
        self.stdout.write(self.style.SUCCESS(f"{sent} reminder(s) sent."))
