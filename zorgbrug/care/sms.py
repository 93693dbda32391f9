"""Pluggable SMS delivery: settings.SMS_BACKEND names a class with `send(to, text)`.

Locally the console backend prints and the file backend appends to a file; production
plugs in a provider's gateway with the same two-argument method.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


class ConsoleBackend:
    def send(self, to: str, text: str) -> None:
        log.info("SMS to %s: %s", to, text)


class FileBackend:
    """Appends one JSON line per message to settings.SMS_FILE_PATH."""

    def send(self, to: str, text: str) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"to": to, "text": text, "at": timezone.now().isoformat()}) + "\n")


class LocmemBackend:
    """Keeps messages in memory (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.outbox.append((to, text))


def get_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend
