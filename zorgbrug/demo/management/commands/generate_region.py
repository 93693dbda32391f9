from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zorgbrug.demo.care_generator import MAX_PROVIDERS
from zorgbrug.demo.generator import generate_region


class Command(BaseCommand):
    help = "Generate a deterministic synthetic region for benchmarks (same seed, same data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisations", type=int, default=50)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--clients",
            type=int,
            default=0,
            help="Clients with children, consent, screening and referrers (default none).",
        )
        parser.add_argument(
            "--providers",
            type=int,
            default=0,
            help="Care providers with a site, capacity; bookings for the clients (default 0).",
        )
        parser.add_argument(
            "--days", type=int, default=365, help="Days of capacity from today (default 365)."
        )
        parser.add_argument(
            "--pathways",
            action="store_true",
            help="Pathways, exits, follow-ups and outcomes for the clients.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organisations"] < 1:
            raise CommandError("--organisations must be at least 1")
        if not 0 <= options["seed"] < 10_000:
            raise CommandError("--seed must be between 0 and 9999")
        if not 0 <= options["clients"] <= 1_000_000:
            raise CommandError("--clients must be between 0 and 1000000")
        if not 0 <= options["providers"] <= MAX_PROVIDERS:
            raise CommandError(f"--providers must be between 0 and {MAX_PROVIDERS}")
        if not 1 <= options["days"] <= 3 * 366:
            raise CommandError("--days must be between 1 and 1098")
        try:
            result = generate_region(
                organisations=options["organisations"],
                seed=options["seed"],
                clients=options["clients"],
                providers=options["providers"],
                days=options["days"],
                pathways=options["pathways"],
            )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Synthetic region: {result}"))
