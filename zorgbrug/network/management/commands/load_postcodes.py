from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zorgbrug.network.postcodes import PostcodeFileError
from zorgbrug.network.services import postcodes_import


class Command(BaseCommand):
    help = (
        "Load postcodes with coordinates from a CSV file with columns postal,name,lat,lng "
        "(province optional). All or nothing: one bad row and nothing is loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            result = postcodes_import(data=path.read_bytes())
        except PostcodeFileError as exc:
            lines = "\n".join(f"  {e}" for e in exc.errors[:50])
            more = f"\n  … and {len(exc.errors) - 50} more" if len(exc.errors) > 50 else ""
            raise CommandError(
                f"{path}: nothing loaded, {len(exc.errors)} error(s):\n{lines}{more}"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{result['rows']} rows: {result['created']} added, {result['updated']} updated."
            )
        )
