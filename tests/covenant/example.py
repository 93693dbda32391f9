"""The worked example of docs/covenant.md: October 2026 in a small network with three
providers, four referrers and two funders. Every number in the document is asserted by
tests/covenant/test_worked_example.py on what this builds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from tests.factories import NetworkFactory, OrganisationFactory, PartnerFactory, SiteFactory, staff
from zorgbrug.access.models import User
from zorgbrug.care.capacity import capacity_rebuild
from zorgbrug.care.models import (
    Activity,
    AgeBand,
    Booking,
    CapacitySlot,
    CareRequest,
    CareSite,
    OpeningHours,
    ReservedCapacity,
)
from zorgbrug.clients.models import CareRecipient, Client, FollowingOrganisation
from zorgbrug.covenant import services
from zorgbrug.covenant.models import Covenant
from zorgbrug.network.models import Network, Organisation, Partner

MONTH = dt.date(2026, 10, 1)
D = Decimal


@dataclass
class Example:
    network: Network
    covenant: Covenant  # set once made (below)
    coordinator: User
    provider_staff: User  # staff of 't Kriebeltje
    referrer: User  # counsellor at VDAB
    researcher: User
    orgs: dict[str, Organisation]
    partners: dict[str, Partner]
    sites: dict[str, CareSite]
    clients: dict[str, Client]
    children: dict[str, CareRecipient]
    requests: dict[str, CareRequest] = field(default_factory=dict)
    bookings: dict[str, Booking] = field(default_factory=dict)


def _org(name: str, kind: str, network: Network, **roles: bool) -> tuple[Organisation, Partner]:
    org = cast(Organisation, OrganisationFactory(name=name, kind=kind))
    partner = PartnerFactory(network=network, organisation=org, **{"is_referrer": False, **roles})
    return org, cast(Partner, partner)


def _site(org: Organisation, network: Network, name: str, band: AgeBand) -> CareSite:
    site = SiteFactory(organisation=org, name=name)
    care_site = CareSite.objects.create(site=site, network=network)
    care_site.age_bands.set([band])
    for weekday in range(5):
        OpeningHours.objects.create(
            care_site=care_site, weekday=weekday, opens=dt.time(7), closes=dt.time(18, 30)
        )
    return care_site


def book(
    ex: Example,
    name: str,
    client: str,
    site: str,
    day: int,
    part: str,
    status: str,
    *,
    times: tuple[str, str] | None = None,
    vacancy: bool = False,
) -> Booking:
    """A booking in October 2026 (created directly: the services refuse the past)."""
    care_site = ex.sites[site]
    date = MONTH.replace(day=day)
    band = care_site.age_bands.get()
    slot, _ = CapacitySlot.objects.get_or_create(
        care_site=care_site,
        date=date,
        day_part=part,
        age_band=band,
        defaults={"network": ex.network, "vacancy_places": 1, "places": 1},
    )
    if vacancy and slot.vacancy_places == 0:
        CapacitySlot.objects.filter(pk=slot.pk).update(
            vacancy_places=1, places=slot.reserved_places + 1
        )
    booking = Booking.objects.create(
        request=ex.requests[client],
        recipient=ex.children[client],
        slot=slot,
        care_site=care_site,
        date=date,
        day_part=part,
        status=status,
        uses_vacancy=vacancy,
        arrived_at=dt.time.fromisoformat(times[0]) if times else None,
        picked_up_at=dt.time.fromisoformat(times[1]) if times else None,
        cancelled_at=(
            dt.datetime.combine(date, dt.time(5), tzinfo=dt.UTC)
            if status == "cancelled_late"
            else dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)
            if status == "cancelled"
            else None
        ),
    )
    ex.bookings[name] = booking
    return booking


def build_example(*, password: str = "test-password-123") -> Example:  # noqa: S107
    network = NetworkFactory(name="Meetjesland (voorbeeld)", slug="voorbeeld")
    band = AgeBand.objects.create(network=network, name="0–12", min_months=0, max_months=144)
    orgs: dict[str, Organisation] = {}
    partners: dict[str, Partner] = {}
    for key, name, kind, roles in [
        ("werkwinkel", "Werkwinkel Eeklo", "job_shop", {"is_coordinator": True}),
        (
            "kriebeltje",
            "Kinderdagverblijf 't Kriebeltje",
            "childcare_provider",
            {"is_care_provider": True},
        ),
        ("speelboom", "De Speelboom", "childcare_provider", {"is_care_provider": True}),
        ("regenboog", "IBO Regenboog", "childcare_provider", {"is_care_provider": True}),
        ("vdab", "VDAB Eeklo", "employment_service", {"is_referrer": True}),
        ("ocmw", "OCMW Eeklo", "public_welfare", {"is_referrer": True}),
        ("caw", "CAW Oost-Vlaanderen", "welfare_centre", {"is_referrer": True}),
        ("pwa", "PWA Eeklo", "local_employment_agency", {"is_referrer": True}),
        ("provincie", "Provincie Oost-Vlaanderen", "other", {"is_funder": True}),
        ("stad", "Stad Eeklo", "municipality", {"is_funder": True}),
        ("evaluator", "Onderzoeksgroep", "other", {}),
    ]:
        orgs[key], partners[key] = _org(name, kind, network, **roles)
    sites = {
        "K": _site(orgs["kriebeltje"], network, "Kriebeltje Eeklo", band),
        "S": _site(orgs["speelboom"], network, "Speelboom Maldegem", band),
        "R": _site(orgs["regenboog"], network, "Regenboog Eeklo", band),
    }
    # 't Kriebeltje reserves one place on Monday mornings for the network.
    ReservedCapacity.objects.create(
        care_site=sites["K"],
        age_band=band,
        weekday=0,
        day_part="am",
        places=1,
        valid_from=dt.date(2026, 9, 1),
        valid_until=dt.date(2026, 12, 31),
        price=D("12.50"),
    )
    capacity_rebuild(care_site=sites["K"], first=MONTH, last=dt.date(2026, 10, 31))

    coordinator = staff(orgs["werkwinkel"], "coordinator", email="coordinator@voorbeeld.be")
    coordinator.set_password(password)
    coordinator.save()
    ex = Example(
        network=network,
        covenant=None,
        coordinator=coordinator,
        provider_staff=staff(orgs["kriebeltje"], "provider", email="kriebeltje@voorbeeld.be"),
        referrer=staff(orgs["vdab"], "referrer", email="vdab@voorbeeld.be"),
        researcher=staff(orgs["evaluator"], "researcher", email="onderzoek@voorbeeld.be"),
        orgs=orgs,
        partners=partners,
        sites=sites,
        clients={},
        children={},
    )
    # Four families, each referred by another organisation.
    for key, referrer, first_name in [
        ("A", "vdab", "Amina"),
        ("B", "ocmw", "Bart"),
        ("C", "caw", "Chloé"),
        ("D", "pwa", "Deniz"),
    ]:
        client = Client.objects.create(
            network=network,
            first_name=first_name,
            last_name="Voorbeeld",
            birth_date=dt.date(1990, 1, 1),
            gender="female",
            postcode="9900",
            municipality="Eeklo",
            labour_status="unemployed",
            income_source="other",
            intake_organisation=orgs[referrer],
        )
        child = CareRecipient.objects.create(
            client=client, first_name=f"{first_name} junior", birth_date=dt.date(2023, 3, 1)
        )
        activity = Activity.objects.create(
            client=client,
            kind="course",
            title="Cursus",
            first_date=MONTH,
            last_date=dt.date(2026, 10, 31),
            start_time=dt.time(9),
            end_time=dt.time(12),
            organisation=orgs[referrer],
        )
        request = CareRequest.objects.create(
            client=client,
            activity=activity,
            organisation=orgs[referrer],
            network=network,
            status="booked",
        )
        request.recipients.set([child])
        FollowingOrganisation.objects.create(client=client, organisation=orgs[referrer])
        ex.clients[key], ex.children[key], ex.requests[key] = client, child, request

    # The covenant: version 1 from 1 September 2026.
    covenant = services.covenant_create(
        actor=coordinator,
        network=network,
        title="Convenant occasionele opvang Meetjesland",
        valid_from=dt.date(2026, 9, 1),
        signed_on=dt.date(2026, 8, 28),
    )
    covenant = services.covenant_update(
        actor=coordinator,
        covenant=covenant,
        late_cancellation_percent=D(50),
        no_show_percent=D(100),
        free_cancellation_hours=24,
        contribution_mode="income",
        short_notice_unit="day_part",
        short_notice_price=D("15.00"),
    )
    services.contribution_year_save(
        actor=coordinator,
        covenant=covenant,
        year=2026,
        min_day_price=D("6.00"),
        max_day_price=D("33.00"),
        income_floor=D("20000"),
        income_ceiling=D("74000"),
        sibling_discount_percent=D(20),
        reduced_percent=D(50),
        lowest_day_price=D("2.00"),
    )
    services.site_tariff_save(
        actor=coordinator,
        covenant=covenant,
        care_site=sites["K"],
        unit="day_part",
        price=D("12.50"),
        payment="always",
    )
    services.site_tariff_save(
        actor=coordinator,
        covenant=covenant,
        care_site=sites["S"],
        unit="day",
        price=D("30.00"),
        payment="used",
    )
    services.site_tariff_save(
        actor=coordinator,
        covenant=covenant,
        care_site=sites["R"],
        unit="hour",
        price=D("4.15"),
        payment="used",
    )
    share = services.ShareInput
    services.allocation_key_save(
        actor=coordinator,
        covenant=covenant,
        key=covenant.allocation_keys.get(),
        basis="referrer",
        valid_from=covenant.valid_from,
        valid_until=None,
        shares=[
            share("", partners["provincie"], D(60)),
            share("", partners["stad"], D(40)),
            share(str(orgs["ocmw"].pk), partners["ocmw"], D(50)),
            share(str(orgs["ocmw"].pk), partners["stad"], D(50)),
            share(str(orgs["pwa"].pk), partners["provincie"], D(100)),
        ],
    )
    # Income attests: A earns 47,000 a year with two dependent children; B has the lowest
    # tariff (decided by the OCMW); C disclosed nothing; D earns 18,000.
    for family, counsellor, income, children, reduction in [
        ("A", ex.referrer, D("47000"), 2, ""),
        ("B", staff(orgs["ocmw"], "referrer"), D("15000"), 1, "lowest"),
        ("D", staff(orgs["pwa"], "referrer"), D("18000"), 1, ""),
    ]:
        services.parent_tariff_set(
            actor=counsellor,
            client=ex.clients[family],
            valid_from=dt.date(2026, 1, 1),
            annual_income=income,
            dependent_children=children,
            reduction=reduction,
        )
    ex.covenant = Covenant.objects.get(pk=covenant.pk)

    # October's care.
    book(ex, "K1", "A", "K", 5, "am", "attended", times=("08:30", "12:00"))
    book(ex, "K2", "B", "K", 12, "am", "attended")
    book(ex, "K3", "C", "K", 19, "am", "no_show")
    book(ex, "S1", "A", "S", 6, "am", "attended", times=("07:30", "12:30"))
    book(ex, "S2", "A", "S", 6, "pm", "attended", times=("12:30", "18:45"))
    book(ex, "S3", "D", "S", 7, "am", "attended", times=("09:00", "12:00"))
    book(ex, "S4", "B", "S", 8, "am", "cancelled_late")
    book(ex, "S5", "D", "S", 9, "pm", "attended", vacancy=True)
    book(ex, "S6", "B", "S", 13, "am", "cancelled")
    book(ex, "R1", "B", "R", 14, "pm", "attended", times=("15:30", "18:10"))
    book(ex, "R2", "C", "R", 15, "pm", "no_show")
    book(ex, "R3", "A", "R", 16, "am", "absent")
    return ex
