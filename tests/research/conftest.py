"""A small, hand-counted research world for the indicator tests.

Network "noord" (from `world`), period 1 January – 30 June 2026, "today" 15 July 2026.
Rows are made directly (not through the services) so that dates lie where the counts in
tests/research/test_indicators.py say; every expected figure there is worked out by hand
from the comments below.

Clients (research consent unless said otherwise):
  C1  woman, b. 1990-03-10, unemployed 14 mo, ISCED 2, single, 2 children, migration yes,
      social integration income, VDAB, entered 2026-01-10; screening 01-10: stopped job,
      would accept yes, main barrier care; care recipients: 2 children
  C2  woman, b. 2008-05-20 (17 at entry), in training, ISCED 1, 2 adults, 1 child, no
      income, VDAB, entered 2026-02-01; screening 02-01: maybe, language; a follow-up on
      03-01 says care (ignored: only the first screening counts); 1 child
  C3  man, b. 1970-01-15 (56), employed, ISCED 6, single, 1 child, income from work,
      migration no, OCMW, entered 2026-03-05; older consent without research (withdrawn),
      current with; screening 03-05: stopped course, yes, care; 1 child
  C4  non-binary, b. 2000-07-01 (25 on 2026-06-30), unemployed 6 mo, ISCED 4, 2 adults,
      2 children, unemployment benefit, OCMW, entered 2026-06-30 23:30 Brussels time;
      screening 06-30: no, health; no care recipient recorded
  C5  woman, entered and screened 2025-12-20 (before the period); follow-up screening
      2026-02-15; VDAB; 1 child
  C6  woman, in the period, but her latest consent has no research use: never counted
  C7  woman, in the period, her only consent withdrawn: never counted
  C8  a client of the other network: never counted
  C9  woman, b. 1996-04-10 (exactly 30 at entry 2026-04-10), inactive, ISCED unknown,
      no children, migration yes, other income, VDAB; not screened
  C10 man, entered 2026-06-30 22:30 UTC = 1 July 00:30 in Brussels: after the period

Care requests (activity kind, organisation, made on → bookings):
  R1  C1 course VDAB 01-12 → 01-19 am attended 08:00-12:00, 01-19 pm attended (no times),
      01-20 am no-show, 01-21 am cancelled late, 01-22 am cancelled in time   (wait 7)
  R2  C1 job interview VDAB 02-02 → 02-04 am attended                          (wait 2)
  R3  C2 course VDAB 02-03 → 02-10 am pending                              (not served)
  R4  C3 job start OCMW 03-06 → 03-16 am absent, 03-16 pm confirmed           (wait 10)
  R5  C3 job start OCMW 06-20 → 07-20 am confirmed (after the period)         (wait 30)
  R6  C5 course VDAB 04-01 → 04-02 am attended 09:00-11:30, 04-03 am attended  (wait 1)
  R7  C6 course VDAB 03-01 → 03-02 am attended                         (no research use)
  R8  C1 course VDAB 2025-12-28 (before the period) → 2026-01-05 am attended
  R9  C2 orientation VDAB 05-05, cancelled, no bookings                    (not served)
  R10 C8 (other network)

Capacity slots (all reserved 2, booked 1) on each booked day-part, except 01-19 am
(booked 2), plus 02-11 am (reserved 1 + vacancy 2, booked 3) and 07-20 am (after today).

Pathways (exits, job starts, follow-ups after leaving, regular childcare):
  C1  job start 2026-01-26 (fixed-term, 20 h); exit 02-20 "found work" (within three months
      of the job start: the job start's follow-ups count); 3-month follow-up due 04-26,
      answered employed (permanent, 30 h); regular childcare place from 03-01
  C2  exit 05-10 "started training"; registered at the childcare desk only (no place)
  C3  exit 06-15 "moved away"; a regular place from 07-01 (but C3 never attended care)
  C4  exit 06-30 "support no longer needed" (a registered job seeker)
  C5  job start 2025-12-21 (fixed-term, 19 h); exit 12-22 "found work" (before the period);
      follow-ups of the job start: 3 months due 2026-03-21 employed (fixed-term, 19 h),
      6 months due 06-21 employed (permanent, 19 h)
  C6  exit 03-10 "found work" (no research use: only in the cost per positive outcome)
  C8  exit 02-01 "found work" (other network: never counted)
  C11 woman, VDAB, entered and screened 2025-10-01, exit 2025-11-15 "stopped on their own"
      (no job start: the exit's own follow-ups): 3 months due 2026-02-15 answered "seeking
      work", 6 months due 05-15 still open

Closed settlements of "noord" (paid by the network = care costs - parent contributions):
  2026-01  A 01-19 care, VDAB, course: 60.00 - 10.00 = 50.00
           B 01-20 no-show, VDAB, course: 30.00 = 30.00
           C 01-21 reserved places unused, no referrer or kind: 20.00 = 20.00
  2026-02  D 02-04 care, VDAB, job interview: 45.50 - 5.50 = 40.00
           E 01-19 a correction of January, VDAB, course: -5.00
  2026-03  open: F 03-16 care, OCMW, job start, 100.00 (not counted: not closed)
  "zuid" 2026-01 closed: G 01-21 care 70.00 (other network)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.conftest import World
from tests.factories import SiteFactory
from zorgbrug.care.models import (
    Activity,
    AgeBand,
    Booking,
    CapacitySlot,
    CareRequest,
    CareSite,
)
from zorgbrug.clients.models import CareRecipient, Client, Consent, FollowingOrganisation, Screening
from zorgbrug.covenant.models import CostLine, Settlement
from zorgbrug.network.models import Network, Organisation, Partner
from zorgbrug.pathways.models import Exit, FollowUp, Outcome, PathwayActivity, RegularCare
from zorgbrug.pathways.rules import add_months
from zorgbrug.research.indicators import Filters

BRUSSELS = ZoneInfo("Europe/Brussels")
START = dt.date(2026, 1, 1)
END = dt.date(2026, 6, 30)
TODAY = dt.date(2026, 7, 15)


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS)


@dataclass
class ResearchWorld:
    world: World
    network: Network
    vdab: Organisation
    ocmw: Organisation
    clients: dict[str, Client]
    requests: dict[str, CareRequest]
    care_site: CareSite
    band: AgeBand
    slots: dict[tuple[dt.date, str], CapacitySlot] = field(default_factory=dict)

    def filters(self, **overrides: Any) -> Filters:
        data: dict[str, Any] = {
            "start": START,
            "end": END,
            "network_ids": (self.network.pk,),
            "today": TODAY,
        }
        data.update(overrides)
        return Filters(**data)


def make_client(
    world: World,
    *,
    network: Network | None = None,
    organisation: Organisation | None = None,
    entered: dt.datetime,
    first_name: str = "Amina",
    last_name: str = "Testperson",
    research: bool | None = True,
    children: int = 0,
    **fields: Any,
) -> Client:
    data: dict[str, Any] = {
        "gender": "female",
        "birth_date": dt.date(1990, 1, 1),
        "labour_status": "unemployed",
        "months_unemployed": None,
        "income_source": "none",
        "education_level": None,
        "single_adult_household": False,
        "adults_in_household": 1,
        "children_in_household": 0,
        "postcode": "9900",
        "municipality": "Eeklo",
        "street": "Kerkstraat 12",
        "phone": "+32470112233",
        "email": f"{first_name.lower()}.{last_name.lower()}@example.org",
    }
    data.update(fields)
    organisation = organisation or world.org
    client = Client.objects.create(
        network=network or world.network,
        first_name=first_name,
        last_name=last_name,
        intake_organisation=organisation,
        search_name=f"{first_name} {last_name}".lower(),
        **data,
    )
    Client.objects.filter(pk=client.pk).update(created_at=entered)
    client.refresh_from_db()
    FollowingOrganisation.objects.create(client=client, organisation=organisation)
    if research is not None:
        Consent.objects.create(
            client=client,
            text_version="2026-1",
            language="nl",
            research_use=research,
            given_at=entered,
        )
    for n in range(children):
        CareRecipient.objects.create(
            client=client, first_name=f"Kind{n}", birth_date=dt.date(2023, 1, 1 + n)
        )
    return client


def screen(client: Client, day: dt.date, **answers: Any) -> Screening:
    data: dict[str, Any] = {
        "stopped_job": False,
        "stopped_course": False,
        "stopped_interview": False,
        "would_accept": "maybe",
        "main_barrier": "other",
        "barrier_score": 3,
        "occasion": "intake",
    }
    data.update(answers)
    return Screening.objects.create(client=client, taken_on=day, **data)


@pytest.fixture
def rw(world: World) -> ResearchWorld:
    vdab, ocmw = world.org, world.other_org
    c: dict[str, Client] = {}
    c["C1"] = make_client(
        world,
        entered=local(dt.date(2026, 1, 10)),
        first_name="Fatima",
        last_name="Benali",
        birth_date=dt.date(1990, 3, 10),
        labour_status="unemployed",
        months_unemployed=14,
        education_level=2,
        single_adult_household=True,
        children_in_household=2,
        migration_background=True,
        income_source="social_integration",
        insz="90031003328",
        children=2,
    )
    screen(
        c["C1"],
        dt.date(2026, 1, 10),
        stopped_job=True,
        would_accept="yes",
        main_barrier="care",
    )
    c["C2"] = make_client(
        world,
        entered=local(dt.date(2026, 2, 1)),
        first_name="Lotte",
        last_name="Vermeulen",
        birth_date=dt.date(2008, 5, 20),
        labour_status="in_training",
        education_level=1,
        adults_in_household=2,
        children_in_household=1,
        income_source="none",
        children=1,
    )
    screen(c["C2"], dt.date(2026, 2, 1), would_accept="maybe", main_barrier="language")
    screen(
        c["C2"],
        dt.date(2026, 3, 1),
        would_accept="yes",
        main_barrier="care",
        occasion="follow_up",
    )
    c["C3"] = make_client(
        world,
        organisation=ocmw,
        entered=local(dt.date(2026, 3, 5)),
        first_name="Jan",
        last_name="Desmet",
        gender="male",
        birth_date=dt.date(1970, 1, 15),
        labour_status="employed",
        education_level=6,
        single_adult_household=True,
        children_in_household=1,
        income_source="work",
        migration_background=False,
        research=None,
        children=1,
    )
    Consent.objects.create(
        client=c["C3"],
        text_version="2026-1",
        language="nl",
        research_use=False,
        given_at=local(dt.date(2026, 3, 5), 9),
        withdrawn_at=local(dt.date(2026, 3, 5), 10),
    )
    Consent.objects.create(
        client=c["C3"],
        text_version="2026-1",
        language="nl",
        research_use=True,
        given_at=local(dt.date(2026, 3, 5), 10),
    )
    screen(
        c["C3"],
        dt.date(2026, 3, 5),
        stopped_course=True,
        would_accept="yes",
        main_barrier="care",
    )
    c["C4"] = make_client(
        world,
        organisation=ocmw,
        entered=local(dt.date(2026, 6, 30), 23, 30),
        first_name="Sam",
        last_name="Peeters",
        gender="x",
        birth_date=dt.date(2000, 7, 1),
        labour_status="unemployed",
        months_unemployed=6,
        education_level=4,
        adults_in_household=2,
        children_in_household=2,
        income_source="unemployment_benefit",
    )
    screen(c["C4"], dt.date(2026, 6, 30), would_accept="no", main_barrier="health")
    c["C5"] = make_client(
        world,
        entered=local(dt.date(2025, 12, 20)),
        first_name="Nadia",
        last_name="Ouali",
        birth_date=dt.date(1996, 7, 1),
        labour_status="unemployed",
        months_unemployed=20,
        children_in_household=1,
        children=1,
    )
    screen(c["C5"], dt.date(2025, 12, 20), would_accept="yes", main_barrier="care")
    screen(c["C5"], dt.date(2026, 2, 15), would_accept="yes", main_barrier="care")
    c["C6"] = make_client(
        world,
        entered=local(dt.date(2026, 1, 15)),
        first_name="Eva",
        last_name="Claes",
        children_in_household=1,
        children=1,
    )
    Consent.objects.create(
        client=c["C6"],
        text_version="2026-1",
        language="nl",
        research_use=False,
        given_at=local(dt.date(2026, 2, 1)),
    )
    screen(c["C6"], dt.date(2026, 1, 15), would_accept="yes", main_barrier="care")
    c["C7"] = make_client(
        world,
        entered=local(dt.date(2026, 1, 16)),
        first_name="Ines",
        last_name="Maes",
        research=None,
        children=1,
    )
    Consent.objects.create(
        client=c["C7"],
        text_version="2026-1",
        language="nl",
        research_use=True,
        given_at=local(dt.date(2026, 1, 16)),
        withdrawn_at=local(dt.date(2026, 2, 16)),
    )
    screen(c["C7"], dt.date(2026, 1, 16), would_accept="yes", main_barrier="care")
    c["C8"] = make_client(
        world,
        network=world.other_network,
        organisation=world.far_org,
        entered=local(dt.date(2026, 1, 20)),
        first_name="Zuid",
        last_name="Klant",
        children=1,
    )
    screen(c["C8"], dt.date(2026, 1, 20), would_accept="yes", main_barrier="care")
    c["C9"] = make_client(
        world,
        entered=local(dt.date(2026, 4, 10)),
        first_name="Sara",
        last_name="Janssens",
        birth_date=dt.date(1996, 4, 10),
        labour_status="inactive",
        migration_background=True,
        income_source="other",
    )
    c["C10"] = make_client(
        world,
        entered=dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC),
        first_name="Tom",
        last_name="Wouters",
        gender="male",
    )
    screen(c["C10"], dt.date(2026, 7, 1))

    band = AgeBand.objects.create(network=world.network, name="0–3", min_months=0, max_months=36)
    site = SiteFactory(organisation=world.provider_org, name="Kriebeltje")
    care_site = CareSite.objects.create(site=site, network=world.network)
    care_site.age_bands.set([band])
    rw = ResearchWorld(
        world=world,
        network=world.network,
        vdab=vdab,
        ocmw=ocmw,
        clients=c,
        requests={},
        care_site=care_site,
        band=band,
    )

    def slot(day: dt.date, part: str, reserved: int = 2, vacancy: int = 0, booked: int = 1) -> Any:
        key = (day, part)
        if key not in rw.slots:
            rw.slots[key] = CapacitySlot.objects.create(
                care_site=care_site,
                network=world.network,
                date=day,
                day_part=part,
                age_band=band,
                reserved_places=reserved,
                vacancy_places=vacancy,
                places=reserved + vacancy,
                booked=booked,
            )
        return rw.slots[key]

    def request(
        name: str,
        client: Client,
        kind: str,
        org: Organisation,
        made: dt.date,
        bookings: list[tuple[dt.date, str, str, dt.time | None, dt.time | None]],
        status: str = "booked",
        network: Network | None = None,
    ) -> CareRequest:
        activity = Activity.objects.create(
            client=client,
            kind=kind,
            title=f"{kind} {name}",
            first_date=made,
            start_time=dt.time(9),
            end_time=dt.time(12),
            organisation=org,
        )
        req = CareRequest.objects.create(
            client=client,
            activity=activity,
            organisation=org,
            network=network or world.network,
            status=status,
        )
        CareRequest.objects.filter(pk=req.pk).update(created_at=local(made))
        recipient = client.care_recipients.order_by("pk").first()
        for day, part, booking_status, arrived, picked in bookings:
            assert recipient is not None
            Booking.objects.create(
                request=req,
                recipient=recipient,
                slot=slot(
                    day, part, booked=2 if (day, part) == (dt.date(2026, 1, 19), "am") else 1
                ),
                care_site=care_site,
                date=day,
                day_part=part,
                status=booking_status,
                arrived_at=arrived,
                picked_up_at=picked,
            )
        rw.requests[name] = req
        return req

    d = dt.date
    request(
        "R1",
        c["C1"],
        "course",
        vdab,
        d(2026, 1, 12),
        [
            (d(2026, 1, 19), "am", "attended", dt.time(8), dt.time(12)),
            (d(2026, 1, 19), "pm", "attended", None, None),
            (d(2026, 1, 20), "am", "no_show", None, None),
            (d(2026, 1, 21), "am", "cancelled_late", None, None),
            (d(2026, 1, 22), "am", "cancelled", None, None),
        ],
    )
    request(
        "R2",
        c["C1"],
        "job_interview",
        vdab,
        d(2026, 2, 2),
        [(d(2026, 2, 4), "am", "attended", None, None)],
    )
    request(
        "R3",
        c["C2"],
        "course",
        vdab,
        d(2026, 2, 3),
        [(d(2026, 2, 10), "am", "pending", None, None)],
        status="waiting_provider",
    )
    request(
        "R4",
        c["C3"],
        "job_start",
        ocmw,
        d(2026, 3, 6),
        [
            (d(2026, 3, 16), "am", "absent", None, None),
            (d(2026, 3, 16), "pm", "confirmed", None, None),
        ],
    )
    request(
        "R5",
        c["C3"],
        "job_start",
        ocmw,
        d(2026, 6, 20),
        [(d(2026, 7, 20), "am", "confirmed", None, None)],
    )
    request(
        "R6",
        c["C5"],
        "course",
        vdab,
        d(2026, 4, 1),
        [
            (d(2026, 4, 2), "am", "attended", dt.time(9), dt.time(11, 30)),
            (d(2026, 4, 3), "am", "attended", None, None),
        ],
    )
    request(
        "R7",
        c["C6"],
        "course",
        vdab,
        d(2026, 3, 1),
        [(d(2026, 3, 2), "am", "attended", None, None)],
    )
    request(
        "R8",
        c["C1"],
        "course",
        vdab,
        d(2025, 12, 28),
        [(d(2026, 1, 5), "am", "attended", None, None)],
    )
    request("R9", c["C2"], "orientation", vdab, d(2026, 5, 5), [], status="cancelled")
    request(
        "R10",
        c["C8"],
        "course",
        world.far_org,
        d(2026, 1, 21),
        [],
        status="open",
        network=world.other_network,
    )
    slot(d(2026, 2, 11), "am", reserved=1, vacancy=2, booked=3)
    c["C11"] = make_client(
        world,
        entered=local(dt.date(2025, 10, 1)),
        first_name="Hanna",
        last_name="Lemmens",
        birth_date=dt.date(1988, 9, 9),
        labour_status="unemployed",
        months_unemployed=3,
        children_in_household=1,
        children=1,
    )
    screen(c["C11"], dt.date(2025, 10, 1), would_accept="yes", main_barrier="care")
    add_pathways(rw)
    add_settlements(rw)
    return rw


def job_start(rw: ResearchWorld, client: Client, day: dt.date, contract: str, hours: int) -> Any:
    return PathwayActivity.objects.create(
        client=client,
        kind="job_start",
        date=day,
        employer="Werkgever NV",
        sector="retail",
        contract_type=contract,
        hours_per_week=Decimal(hours),
        organisation=client.intake_organisation,
    )


def leave(client: Client, day: dt.date, reason: str) -> Exit:
    return Exit.objects.create(
        client=client, date=day, reason=reason, organisation=client.intake_organisation
    )


def follow_up(
    client: Client,
    months: int,
    anchor: dt.date,
    *,
    job: PathwayActivity | None = None,
    exit_row: Exit | None = None,
    answer: str | None = None,
    observed: dt.date | None = None,
    contract: str = "",
    hours: int | None = None,
) -> FollowUp:
    row = FollowUp.objects.create(
        client=client,
        job_start=job,
        exit=exit_row,
        anchor_date=anchor,
        months=months,
        due_on=add_months(anchor, months),
        responsible_organisation=client.intake_organisation,
        status="done" if answer else "open",
    )
    if answer:
        Outcome.objects.create(
            client=client,
            follow_up=row,
            observed_on=observed or row.due_on,
            status=answer,
            contract_type=contract,
            hours_per_week=None if hours is None else Decimal(hours),
            sector="retail" if answer == "employed" else "",
            organisation=client.intake_organisation,
        )
    return row


def add_pathways(rw: ResearchWorld) -> None:
    c, d = rw.clients, dt.date
    job = job_start(rw, c["C1"], d(2026, 1, 26), "fixed_term", 20)
    leave(c["C1"], d(2026, 2, 20), "employed")
    follow_up(
        c["C1"],
        3,
        d(2026, 1, 26),
        job=job,
        answer="employed",
        observed=d(2026, 4, 28),
        contract="permanent",
        hours=30,
    )
    child = c["C1"].care_recipients.order_by("pk").first()
    RegularCare.objects.create(
        client=c["C1"],
        care_recipient=child,
        place_from=d(2026, 3, 1),
        provider=rw.world.provider_org,
        organisation=c["C1"].intake_organisation,
    )
    leave(c["C2"], d(2026, 5, 10), "training")
    RegularCare.objects.create(
        client=c["C2"], registered_on=d(2026, 5, 1), organisation=c["C2"].intake_organisation
    )
    leave(c["C3"], d(2026, 6, 15), "moved")
    RegularCare.objects.create(
        client=c["C3"],
        place_from=d(2026, 7, 1),
        provider_name="Crèche elders",
        organisation=c["C3"].intake_organisation,
    )
    leave(c["C4"], d(2026, 6, 30), "no_longer_needed")
    job = job_start(rw, c["C5"], d(2025, 12, 21), "fixed_term", 19)
    leave(c["C5"], d(2025, 12, 22), "employed")
    follow_up(
        c["C5"], 3, d(2025, 12, 21), job=job, answer="employed", contract="fixed_term", hours=19
    )
    follow_up(
        c["C5"], 6, d(2025, 12, 21), job=job, answer="employed", contract="permanent", hours=19
    )
    leave(c["C6"], d(2026, 3, 10), "employed")
    leave(c["C8"], d(2026, 2, 1), "employed")
    gone = leave(c["C11"], d(2025, 11, 15), "dropped_out")
    follow_up(c["C11"], 3, d(2025, 11, 15), exit_row=gone, answer="seeking_work")
    follow_up(c["C11"], 6, d(2025, 11, 15), exit_row=gone)


def add_settlements(rw: ResearchWorld) -> None:
    d = dt.date
    provider = Partner.objects.get(network=rw.network, organisation=rw.world.provider_org)

    def settlement(network: Network, month: dt.date, lines: list[dict[str, Any]]) -> Settlement:
        row = Settlement.objects.create(network=network, month=month)
        for line in lines:
            gross, parent = Decimal(line.pop("gross")), Decimal(line.pop("parent", "0"))
            CostLine.objects.create(
                settlement=row,
                provider=provider,
                care_site=rw.care_site,
                gross=gross,
                parent=parent,
                amount=gross - parent,
                **line,
            )
        return row

    def close(row: Settlement) -> None:
        now = timezone.now()
        Settlement.objects.filter(pk=row.pk).update(
            status="closed", calculated_at=now, closed_at=now
        )

    january = settlement(
        rw.network,
        d(2026, 1, 1),
        [
            {"kind": "care", "date": d(2026, 1, 19), "referrer": rw.vdab,
             "activity_kind": "course", "gross": "60.00", "parent": "10.00"},
            {"kind": "no_show", "date": d(2026, 1, 20), "referrer": rw.vdab,
             "activity_kind": "course", "gross": "30.00"},
            {"kind": "reserved_unused", "date": d(2026, 1, 21), "gross": "20.00"},
        ],
    )  # fmt: skip
    close(january)
    february = settlement(
        rw.network,
        d(2026, 2, 1),
        [
            {"kind": "care", "date": d(2026, 2, 4), "referrer": rw.vdab,
             "activity_kind": "job_interview", "gross": "45.50", "parent": "5.50"},
            {"kind": "manual", "date": d(2026, 1, 19), "referrer": rw.vdab,
             "activity_kind": "course", "gross": "-5.00", "corrects": january},
        ],
    )  # fmt: skip
    close(february)
    settlement(
        rw.network,
        d(2026, 3, 1),
        [{"kind": "care", "date": d(2026, 3, 16), "referrer": rw.ocmw,
          "activity_kind": "job_start", "gross": "100.00"}],
    )  # fmt: skip
    far = Partner.objects.filter(network=rw.world.other_network).first()
    assert far is not None
    south = Settlement.objects.create(network=rw.world.other_network, month=d(2026, 1, 1))
    CostLine.objects.create(
        settlement=south,
        provider=far,
        kind="care",
        date=d(2026, 1, 21),
        gross=Decimal("70.00"),
        parent=Decimal(0),
        amount=Decimal("70.00"),
    )
    close(south)


@pytest.fixture
def today(monkeypatch: Any) -> dt.date:
    """Freeze timezone.localdate() at TODAY for code that asks for it."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def _research_settings(settings: Any, tmp_path: Any) -> None:
    settings.RESEARCH_EXPORT_DIR = str(tmp_path / "exports")
    settings.RESEARCH_PUBLIC_CACHE_SECONDS = 0
