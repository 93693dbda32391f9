from __future__ import annotations

from typing import Any

import pytest

from tests.care.conftest import care  # noqa: F401  (the care world, for the policy tests)
from tests.covenant.example import Example, build_example


@pytest.fixture
def example(db: Any) -> Example:
    return build_example()
