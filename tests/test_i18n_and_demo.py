"""Translations are complete for staff languages; the demo region loads idempotently."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from zorgbrug.access.models import User
from zorgbrug.demo.generator import generate_region
from zorgbrug.demo.loader import load_demo
from zorgbrug.network.models import Membership, Network, Organisation, Partner, Site

LOCALE = Path(__file__).resolve().parent.parent / "zorgbrug" / "locale"


@pytest.mark.parametrize("language", ["nl", "fr", "ar", "tr"])
def test_catalogue_is_complete_and_valid(language: str) -> None:
    """Staff pages must be complete in nl and fr (en is the source); ar and tr too so far."""
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    check = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    for flag in ("--untranslated", "--only-fuzzy"):
        out = subprocess.run(
            ["msgattrib", flag, "--no-wrap", str(po)], capture_output=True, text=True, check=True
        ).stdout
        assert out.strip() == "", f"{language}: {flag} entries:\n{out[:3000]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Aanmelden"),
        ("fr", "Se connecter"),
        ("en", "Log in"),
        ("ar", 'dir="rtl"'),
    ],
)
def test_login_page_in_each_language(language: str, expected: str) -> None:
    client = Client()
    client.cookies["django_language"] = language
    html = client.get("/accounts/login/").content.decode()
    assert f'lang="{language}"' in html
    assert expected in html


@pytest.mark.django_db
def test_dutch_is_the_default_language() -> None:
    html = Client().get("/accounts/login/").content.decode()
    assert 'lang="nl"' in html and 'dir="ltr"' in html


@pytest.mark.django_db
def test_demo_loader_refuses_without_debug(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured):
        load_demo()
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not Network.objects.exists()


@pytest.mark.django_db
def test_demo_loader_is_idempotent_and_has_one_login_per_role(settings: Any) -> None:
    settings.DEBUG = True
    load_demo()
    counts = [
        Network.objects.count(),
        Organisation.objects.count(),
        Site.objects.count(),
        Partner.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    ]
    load_demo()
    assert counts == [
        Network.objects.count(),
        Organisation.objects.count(),
        Site.objects.count(),
        Partner.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    ]
    roles = set(
        Membership.objects.filter(user__email__endswith="@demo.zorgbrug.be").values_list(
            "role", flat=True
        )
    )
    assert roles == {"coordinator", "referrer", "provider", "trainer", "researcher"}
    noord = Network.objects.get(slug="noord-meetjesland")
    providers = Partner.objects.filter(network=noord, is_care_provider=True)
    assert providers.count() >= 6
    kinds = set(providers.values_list("organisation__provider_kind", flat=True))
    assert {"daycare", "childminder", "out_of_school"} <= kinds
    assert not Site.objects.filter(latitude__isnull=True).exists()
    assert Network.objects.filter(slug="heusden-zolder").exists()
    for email in ("coordinator@demo.zorgbrug.be", "referrer@demo.zorgbrug.be"):
        client = Client()
        assert client.login(email=email, password=settings.DEMO_PASSWORD)
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_generate_region_is_deterministic(settings: Any) -> None:
    settings.DEBUG = True

    def snapshot() -> list[tuple[Any, ...]]:
        return list(
            Site.objects.filter(organisation__partnerships__network__slug="synthetic-5")
            .order_by("organisation__kbo_number", "name")
            .values_list("organisation__name", "organisation__kind", "name", "postcode", "latitude")
        )

    generate_region(organisations=40, seed=5)
    first = snapshot()
    assert len(first) >= 40
    Network.objects.filter(slug="synthetic-5").delete()
    Organisation.objects.filter(partnerships__isnull=True).delete()
    generate_region(organisations=40, seed=5)
    assert snapshot() == first
    # Running again with the same numbers adds nothing.
    assert generate_region(organisations=40, seed=5)["created"] == 0


@pytest.mark.django_db
def test_generate_region_command_validates_arguments(settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("generate_region", "--organisations", "0")
    assert not Network.objects.exists()
