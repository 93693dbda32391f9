from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from tests.care.conftest import care  # noqa: F401  (the care world, for the policy tests)
from tests.covenant.example import Example, build_example


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Services called from a test speak English, so that tests can match their messages
    whatever the translators have done; pages still answer in the visitor's language."""
    with translation.override("en"):
        yield


@pytest.fixture
def example(db: Any) -> Example:
    return build_example()
