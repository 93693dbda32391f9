"""Health check, OpenAPI schema, production settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_reports_database_failure(client: Client, monkeypatch: Any) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}


@pytest.mark.django_db
def test_openapi_schema_is_valid_openapi_3(client: Client) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert "/api/v1/organisations/" in schema["paths"]
    assert "PersonalToken" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_api_docs_served_without_cdn(client: Client) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "swagger" in html.lower()
    # Every asset the page loads is ours. (A plain substring test for "cdn" failed now and
    # then: the page embeds a random CSRF token, which can contain those letters.)
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert assets and all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets)
    assert not re.search(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", html, re.IGNORECASE)


def _run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "ZORGBRUG_TESTING", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_variables() -> None:
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
            "ALLOWED_HOSTS": "zorgbrug.example.be",
            "DATABASE_URL": "postgres://zorgbrug@db.example.be:5432/zorgbrug",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_with_debug_on() -> None:
    result = _run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={"DEBUG": "1", "SECRET_KEY": "y" * 60}
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_bad_boolean_setting_fails_loudly() -> None:
    result = _run_manage("check", env={"DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
