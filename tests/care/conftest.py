"""A small care world: one network with two age bands, three provider sites, a family."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.clients.conftest import register
from tests.conftest import World
from tests.factories import OrganisationFactory, PartnerFactory, PostcodeFactory, SiteFactory, staff
from zorgbrug.access.models import User
from zorgbrug.care.capacity import capacity_rebuild
from zorgbrug.care.models import (
    AgeBand,
    CareSite,
    OpeningHours,
    ReservedCapacity,
)
from zorgbrug.clients.models import Client


def next_monday(after: dt.date | None = None) -> dt.date:
    day = (after or timezone.localdate()) + dt.timedelta(days=1)
    while day.weekday() != 0:
        day += dt.timedelta(days=1)
    return day


def future_monday_without_holidays(weeks: int = 3) -> dt.date:
    """A Monday from which `weeks` weeks of weekdays hold no Belgian public holiday."""
    from zorgbrug.care.calendar import is_public_holiday

    day = next_monday()
    while any(is_public_holiday(day + dt.timedelta(days=i)) for i in range(7 * weeks)):
        day = next_monday(day)
    return day


@dataclass
class CareWorld:
    world: World
    baby: AgeBand
    school: AgeBand
    near: CareSite  # daycare in Eeklo: babies and school children
    far: CareSite  # daycare in Maldegem: babies only
    ibo: CareSite  # out-of-school care in Eeklo, school children only
    provider: User  # staff of `near`'s organisation
    other_provider: User  # staff of `far`'s organisation
    family: Client  # Yusuf (born 2021) and Lina (born 2023)
    monday: dt.date


def make_care_site(
    world: World,
    org: Any,
    *,
    name: str,
    bands: list[AgeBand],
    postcode: str = "9900",
    lat: str = "51.185272",
    lng: str = "3.563890",
    languages: list[str] | None = None,
) -> CareSite:
    site = SiteFactory(
        organisation=org,
        name=name,
        postcode=postcode,
        latitude=Decimal(lat),
        longitude=Decimal(lng),
    )
    care_site = CareSite.objects.create(
        site=site, network=world.network, languages=languages or ["nl"]
    )
    care_site.age_bands.set(bands)
    for weekday in range(5):
        OpeningHours.objects.create(
            care_site=care_site, weekday=weekday, opens=dt.time(7, 0), closes=dt.time(18, 30)
        )
    return care_site


def reserve(
    care_site: CareSite,
    band: AgeBand,
    places: int,
    *,
    weekdays: range = range(5),
    parts: tuple[str, ...] = ("am", "pm"),
    price: str = "12.50",
) -> None:
    today = timezone.localdate()
    for weekday in weekdays:
        for part in parts:
            ReservedCapacity.objects.create(
                care_site=care_site,
                age_band=band,
                weekday=weekday,
                day_part=part,
                places=places,
                valid_from=today,
                valid_until=today + dt.timedelta(days=120),
                price=Decimal(price),
            )
    capacity_rebuild(care_site=care_site, first=today, last=today + dt.timedelta(days=120))


@pytest.fixture
def care(world: World) -> CareWorld:
    PostcodeFactory(code="9990", name="Maldegem", latitude="51.209082", longitude="3.448661")
    baby = AgeBand.objects.create(network=world.network, name="0–2,5", min_months=0, max_months=30)
    school = AgeBand.objects.create(
        network=world.network, name="2,5–12", min_months=30, max_months=144
    )
    near_org = world.provider_org
    far_org = OrganisationFactory(name="De Speelboom", kind="childcare_provider")
    PartnerFactory(
        network=world.network, organisation=far_org, is_referrer=False, is_care_provider=True
    )
    near = make_care_site(
        world, near_org, name="Kriebeltje", bands=[baby, school], languages=["nl", "ar"]
    )
    far = make_care_site(
        world,
        far_org,
        name="Speelboom Maldegem",
        bands=[baby],
        postcode="9990",
        lat="51.209082",
        lng="3.448661",
    )
    ibo = make_care_site(world, near_org, name="IBO Regenboog", bands=[school])
    reserve(near, baby, 2)
    reserve(near, school, 2)
    reserve(far, baby, 3)
    reserve(ibo, school, 4)
    family = register(world)
    return CareWorld(
        world=world,
        baby=baby,
        school=school,
        near=near,
        far=far,
        ibo=ibo,
        provider=world.provider,
        other_provider=staff(far_org, "provider"),
        family=family,
        monday=future_monday_without_holidays(),
    )
