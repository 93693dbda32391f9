"""Registry of job kinds: `@job_kind("network.postcodes_import")` on a plain function.

A job function receives the Job's params as keyword arguments plus `progress`, a callable
`progress(done, total, message)`; it returns a JSON-serialisable result. It must be safe to
run again after a crash (retries): do the work in one transaction, or make it idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JobFunction = Callable[..., dict[str, Any]]
_REGISTRY: dict[str, JobFunction] = {}

# Errors worth another attempt: the database or broker hiccuped. Anything else is a bug or
# bad input, and retrying would only repeat it.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


def job_kind(name: str) -> Callable[[JobFunction], JobFunction]:
    def register(func: JobFunction) -> JobFunction:
        if name in _REGISTRY and _REGISTRY[name] is not func:
            raise ValueError(f"Job kind {name!r} registered twice")
        _REGISTRY[name] = func
        return func

    return register


def get(name: str) -> JobFunction:
    try:
        return _REGISTRY[name]
    except KeyError as exc:
        raise LookupError(f"Unknown job kind {name!r}") from exc


def kinds() -> list[str]:
    return sorted(_REGISTRY)


class JobInputError(Exception):
    """Bad input found by a job: its message is shown to the user, and it is never retried."""

    def __init__(self, user_message: str, job_result: dict[str, Any] | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.job_result = job_result or {}
