"""Translations are complete for staff languages; the demo region loads idempotently."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.test import Client
from django.utils import timezone

from zorgbrug.access import scoping
from zorgbrug.access.models import AuditEvent, User
from zorgbrug.care import selectors
from zorgbrug.care.calendar import is_public_holiday
from zorgbrug.care.models import (
    HOLDING,
    Activity,
    AgeBand,
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    CareSite,
    Closure,
    OpeningHours,
    RequestStatus,
    ReservedCapacity,
    Vacancy,
)
from zorgbrug.clients.models import CareRecipient
from zorgbrug.clients.models import Client as ClientRecord
from zorgbrug.demo.generator import generate_region
from zorgbrug.demo.loader import demo_day, load_demo
from zorgbrug.demo.schoolyear import is_school_holiday, school_holidays
from zorgbrug.network.models import Membership, Network, Organisation, Partner, Site

LOCALE = Path(__file__).resolve().parent.parent / "zorgbrug" / "locale"


# What a parent reads: the messages about their care, the certificate, the layout.
PARENT_FACING = (
    "zorgbrug/templates/care/email/",
    "zorgbrug/templates/care/sms/",
    "zorgbrug/care/notifications.py",
    "zorgbrug/templates/training/certificate.html",
    "zorgbrug/templates/base.html",
)


def _unfinished(po: Path) -> list[Any]:
    import polib

    return [
        e
        for e in polib.pofile(str(po))
        if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]


@pytest.mark.parametrize("language", ["nl", "fr", "ar", "tr"])
def test_catalogue_is_valid(language: str) -> None:
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    check = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_staff_languages_are_complete(language: str) -> None:
    """Staff pages are complete in Dutch and French (English is the source)."""
    missing = _unfinished(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert not missing, f"{language}: {len(missing)} untranslated or fuzzy, e.g. " + "; ".join(
        repr(e.msgid) for e in missing[:10]
    )


@pytest.mark.parametrize("language", ["ar", "tr"])
def test_parent_facing_text_is_complete_in_arabic_and_turkish(language: str) -> None:
    """Parents read Arabic and Turkish too: every string a parent sees must be there."""
    missing = [
        e
        for e in _unfinished(LOCALE / language / "LC_MESSAGES" / "django.po")
        if any(path.startswith(PARENT_FACING) for path, _line in e.occurrences)
    ]
    assert not missing, f"{language}: " + "; ".join(repr(e.msgid) for e in missing[:10])


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


def _care_snapshot() -> list[Any]:
    return [
        AgeBand.objects.count(),
        CareSite.objects.count(),
        OpeningHours.objects.count(),
        ReservedCapacity.objects.count(),
        CapacitySlot.objects.count(),
        CapacitySlot.objects.aggregate(places=Sum("places"), booked=Sum("booked")),
        Closure.objects.count(),
        Vacancy.objects.count(),
        ClientRecord.objects.count(),
        CareRecipient.objects.count(),
        Activity.objects.count(),
        CareRequest.objects.count(),
        Booking.objects.count(),
        AuditEvent.objects.count(),
    ]


@pytest.mark.django_db
def test_demo_care_data_is_idempotent_and_fills_the_day_list(settings: Any) -> None:
    settings.DEBUG = True
    load_demo()
    first = _care_snapshot()
    load_demo()
    assert _care_snapshot() == first, "a second run must change nothing"

    # Every care-providing partner's site has a care profile with capacity.
    provider_sites = Site.objects.filter(organisation__partnerships__is_care_provider=True)
    assert provider_sites.count() == CareSite.objects.count() >= 10
    for care_site in CareSite.objects.select_related("site"):
        assert care_site.opening_hours.exists(), care_site
        assert care_site.slots.exists(), care_site
        assert set(care_site.age_bands.values_list("network", flat=True)) == {care_site.network_id}
    assert "tr" in CareSite.objects.get(site__name="Onthaalouder Yılmaz").languages
    for network in Network.objects.all():
        assert list(network.age_bands.values_list("min_months", "max_months")) == [
            (0, 30),
            (30, 144),
        ]

    # The provider's day list: children booked on the demo day at 't Kriebeltje.
    provider = User.objects.get(email="provider@demo.zorgbrug.be")
    kriebeltje = CareSite.objects.get(site__name="'t Kriebeltje")
    day = demo_day()
    assert day >= timezone.localdate()
    listed = list(selectors.day_list(user=provider, care_site=kriebeltje, day=day))
    assert len({b.recipient_id for b in listed}) >= 4
    assert {b.day_part for b in listed} == {"am", "pm"}
    assert all(b.status == BookingStatus.CONFIRMED for b in listed)

    # The referrer of VDAB Eeklo follows the families of Noord-Meetjesland, including the
    # ones OCMW Eeklo registered.
    referrer = User.objects.get(email="referrer@demo.zorgbrug.be")
    seen = scoping.clients(referrer)
    assert (
        seen.count() == ClientRecord.objects.filter(network__slug="noord-meetjesland").count() >= 5
    )
    assert seen.exclude(intake_organisation=Organisation.objects.get(name="VDAB Eeklo")).exists()
    assert scoping.client_bookings(referrer).filter(date=day).exists()
    assert CareRequest.objects.filter(status=RequestStatus.WAITLISTED).exists()
    assert Vacancy.objects.filter(date__gt=timezone.localdate()).count() >= 3
    assert Closure.objects.exists()

    # The counters hold what the bookings say; nothing on a public holiday or closure.
    holding = dict(
        Booking.objects.filter(status__in=HOLDING)
        .values_list("slot")
        .annotate(n=Count("pk"))
        .values_list("slot", "n")
    )
    for slot in CapacitySlot.objects.filter(booked__gt=0):
        assert slot.booked == holding.get(slot.pk, 0) <= slot.places
    assert sum(holding.values()) == CapacitySlot.objects.aggregate(n=Sum("booked"))["n"]
    for date in CapacitySlot.objects.values_list("date", flat=True).distinct():
        assert not is_public_holiday(date), date
    for closure in Closure.objects.all():
        # Closed days keep their (emptied) counters: capacity_rebuild never deletes rows.
        assert not CapacitySlot.objects.filter(
            care_site=closure.care_site,
            date__gte=closure.first_day,
            date__lte=closure.last_day,
            places__gt=0,
        ).exists()
    # Out-of-school care rents its mornings in the school holidays only.
    ibo_mornings = CapacitySlot.objects.filter(
        care_site__site__organisation__provider_kind="out_of_school", day_part="am"
    ).values_list("date", flat=True)
    assert ibo_mornings and all(is_school_holiday(d) for d in ibo_mornings)


@pytest.mark.django_db
@pytest.mark.parametrize("hour", [15, 21])
def test_demo_day_list_is_filled_whatever_the_hour(settings: Any, hour: int) -> None:
    """Loaded in the afternoon or evening, the day's morning bookings are still there:
    they were booked (through the services) the evening before."""
    settings.DEBUG = True
    day = timezone.localdate() + dt.timedelta(days=8)
    while day.weekday() >= 5 or is_public_holiday(day):
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    with mock.patch.object(timezone, "now", return_value=moment):
        load_demo()
        assert demo_day() == day
        provider = User.objects.get(email="provider@demo.zorgbrug.be")
        kriebeltje = CareSite.objects.get(site__name="'t Kriebeltje")
        listed = list(selectors.day_list(user=provider, care_site=kriebeltje, day=day))
        load_demo()
        assert len(selectors.day_list(user=provider, care_site=kriebeltje, day=day)) == len(listed)
    assert {b.day_part for b in listed} == {"am", "pm"}
    assert Booking.objects.filter(created_at__gte=moment).count() == 0


@pytest.mark.django_db
def test_demo_on_a_saturday_fills_monday(settings: Any) -> None:
    settings.DEBUG = True
    day = timezone.localdate() + dt.timedelta(days=8)
    while day.weekday() != 5 or any(is_public_holiday(day + dt.timedelta(d)) for d in (0, 2)):
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone())
    with mock.patch.object(timezone, "now", return_value=moment):
        load_demo()
        assert demo_day() == day + dt.timedelta(days=2)
    assert Booking.objects.filter(
        care_site__site__name="'t Kriebeltje", date=day + dt.timedelta(days=2)
    ).exists()


def test_school_holidays_follow_the_flemish_rules() -> None:
    periods = {
        name: (a, b) for a, b, name in school_holidays(dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    }
    assert periods["Krokusvakantie"] == (dt.date(2027, 2, 8), dt.date(2027, 2, 14))
    assert periods["Paasvakantie"] == (dt.date(2027, 3, 29), dt.date(2027, 4, 11))
    assert periods["Herfstvakantie"] == (dt.date(2027, 11, 1), dt.date(2027, 11, 7))
    assert periods["Kerstvakantie"][0] == dt.date(2027, 12, 27)  # Christmas on a Saturday
    assert is_school_holiday(dt.date(2027, 1, 1))  # the Christmas holiday of 2026
    assert not is_school_holiday(dt.date(2027, 1, 4))
