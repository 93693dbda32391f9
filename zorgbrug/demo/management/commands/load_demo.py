from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from zorgbrug.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo region (two networks, one log-in per role). Idempotent; DEBUG only."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_demo()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {result['networks']} networks, {result['organisations']} "
                f"organisations. Log-ins: {', '.join(result['users'])}"
            )
        )
        self.stdout.write(
            f"Care: {result['care_sites']} care sites, {result['clients']} demo families; "
            f"the day list of 't Kriebeltje (provider@demo.zorgbrug.be) has children on "
            f"{result['demo_day']}."
        )
