"""Delete research export files and evaluation reports past their expiry date (run daily,
e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zorgbrug.research.services import exports_expire, reports_expire


class Command(BaseCommand):
    help = "Delete research export files and evaluation reports past their expiry date."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = exports_expire()
        reports = reports_expire()
        self.stdout.write(f"{deleted} expired export(s) and {reports} report(s) deleted.")
