"""The public page per network: no log-in, aggregated figures, never a count from 1 to 4."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.factories import NetworkFactory, OrganisationFactory, PartnerFactory, SiteFactory
from tests.research.conftest import ResearchWorld
from zorgbrug.care.models import Activity, AgeBand, Booking, CapacitySlot, CareRequest, CareSite
from zorgbrug.clients.models import CareRecipient, Client, Consent, Screening
from zorgbrug.pathways.models import Exit, FollowUp, Outcome, RegularCare
from zorgbrug.research.indicators import Filters
from zorgbrug.research.publication import PublicFigures, public_figures

pytestmark = pytest.mark.django_db

BARE_COUNT = re.compile(r"^\d{1,3}(?:[.,\u00a0\u202f ]\d{3})*$")


class _Cells(HTMLParser):
    """The text of every table cell inside <main>."""

    def __init__(self) -> None:
        super().__init__()
        self.in_main = False
        self.depth = 0
        self.cells: list[str] = []
        self.current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.in_main = True
        if self.in_main and tag == "td":
            self.current = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.current is not None:
            self.cells.append(" ".join("".join(self.current).split()))
            self.current = None
        if tag == "main":
            self.in_main = False

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current.append(data)


def shown_counts(html: str) -> list[int]:
    """Every table cell that shows a bare count."""
    parser = _Cells()
    parser.feed(html)
    counts = []
    for text in parser.cells:
        # a suppressed cell reads "x" plus a hidden explanation; shares and hours have units
        if BARE_COUNT.match(text):
            counts.append(int(re.sub(r"\D", "", text)))
    return counts


def figure_counts(figures: PublicFigures) -> list[int | None]:
    out: list[int | None] = [f.count for f in figures.reach + figures.service + figures.outcomes]
    for table in (figures.esf, figures.by_kind, figures.by_referrer):
        assert table is not None
        for row in table.rows:
            out.extend(row.cells)
    return out


def test_public_page_needs_no_log_in_and_suppresses(rw: ResearchWorld) -> None:
    response = HttpClient().get("/research/public/noord/?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Noord" in html and 'data-testid="suppression-note"' in html
    assert all(not 1 <= n <= 4 for n in shown_counts(html))
    for name in ("Fatima", "Benali", "Vermeulen", "Kerkstraat", "90031003328"):
        assert name not in html


def test_public_figures_by_hand(rw: ResearchWorld) -> None:
    with translation.override("en"):
        check_figures_by_hand(rw)


def check_figures_by_hand(rw: ResearchWorld) -> None:
    figures = public_figures(rw.filters())
    reach = {str(f.label): f for f in figures.reach}
    assert reach["Clients screened"].count is None  # 4 screened: suppressed
    service = {str(f.label): f for f in figures.service}
    assert service["Care requests"].count == 7
    # 5 of 7 served: the 2 not served would follow from 7 - 5, so 5 is hidden as well
    assert service["Requests served"].count is None
    assert service["Median wait for care"].quantity is None
    assert service["Day-parts of care used"].count == 6
    assert service["Hours of care used"].quantity == 29
    assert service["Day-parts due"].count == 10
    assert service["No-shows"].count is None  # 1
    assert service["Reserved place-day-parts"].count == 27
    assert service["Reserved place-day-parts booked"].count == 15
    assert service["Reserved place-day-parts booked"].share == pytest.approx(15 / 27)
    outcomes = [(str(f.label), f.count) for f in figures.outcomes]
    # 4 leavers, 2 of them for work or training, 1 leaver who had care, 3 followed up after
    # 3 months and 1 after 6: all small, all hidden; nobody followed up after 12 months
    assert outcomes[0] == ("Clients who left", None)
    assert dict(outcomes)["Left for work or training"] is None
    assert ("Followed up 12 months after leaving", 0) in outcomes
    assert all(c is None or c == 0 or c >= 5 for c in figure_counts(figures))


def test_unknown_network_is_404_and_bad_year_is_400(rw: ResearchWorld) -> None:
    client = HttpClient()
    assert client.get("/research/public/nowhere/").status_code == 404
    for year in ("abc", "1999", str(timezone.localdate().year + 1)):
        response = client.get(f"/research/public/noord/?year={year}")
        assert response.status_code == 400, year
    client.cookies["django_language"] = "en"
    html = client.get("/research/public/noord/?year=1999").content.decode()
    assert "Choose a year from 2000 to" in html


def test_public_page_is_cached_per_language(rw: ResearchWorld, settings: Any) -> None:
    settings.RESEARCH_PUBLIC_CACHE_SECONDS = 60
    from django.core.cache import cache

    cache.clear()
    client = HttpClient()
    client.get("/research/public/noord/?year=2026")
    keys = [k for k in cache._cache if "research:public" in str(k)]  # type: ignore[attr-defined]
    assert len(keys) == 1
    cache.clear()


# --- Property: random data, the page never shows a count from 1 to 4 -------------------


@dataclass(frozen=True)
class Spec:
    gender: str
    labour: str
    months: int | None
    isced: int | None
    age: int
    single: bool
    children: int
    migration: bool | None
    org: int
    screened: bool
    would: str
    main: str
    stopped: bool
    care_duty: bool
    requests: tuple[tuple[str, tuple[str, ...]], ...]
    exit: str | None = None
    answer: str | None = None
    regular: bool = False


STATUSES = ("confirmed", "attended", "absent", "no_show", "cancelled", "cancelled_late", "pending")
KINDS = ("course", "job_interview", "job_start", "orientation")

specs = st.builds(
    Spec,
    gender=st.sampled_from(["female", "female", "female", "male", "x", "unknown"]),
    labour=st.sampled_from(["unemployed", "inactive", "employed", "in_training"]),
    months=st.one_of(st.none(), st.integers(0, 30)),
    isced=st.one_of(st.none(), st.integers(0, 8)),
    age=st.integers(16, 60),
    single=st.booleans(),
    children=st.integers(0, 3),
    migration=st.one_of(st.none(), st.booleans()),
    org=st.integers(0, 2),
    screened=st.booleans(),
    would=st.sampled_from(["yes", "maybe", "no"]),
    main=st.sampled_from(["care", "health", "other"]),
    stopped=st.booleans(),
    care_duty=st.booleans(),
    requests=st.lists(
        st.tuples(
            st.sampled_from(KINDS), st.lists(st.sampled_from(STATUSES), max_size=3).map(tuple)
        ),
        max_size=2,
    ).map(tuple),
    exit=st.one_of(st.none(), st.sampled_from(["employed", "training", "moved", "other"])),
    answer=st.one_of(
        st.none(), st.sampled_from(["employed", "in_training", "seeking_work", "unreachable"])
    ),
    regular=st.booleans(),
)


def build(population: list[Spec]) -> Any:
    network = NetworkFactory(slug="random")
    orgs = [OrganisationFactory() for _ in range(3)]
    for org in orgs:
        PartnerFactory(network=network, organisation=org)
    entry = timezone.make_aware(dt.datetime(2026, 3, 2, 10))
    band = AgeBand.objects.create(network=network, name="0-12", min_months=0, max_months=144)
    care_site = CareSite.objects.create(site=SiteFactory(organisation=orgs[0]), network=network)
    day = dt.date(2026, 1, 5)
    for i, spec in enumerate(population):
        client = Client.objects.create(
            network=network,
            first_name="Random",
            last_name=f"Person{i}",
            birth_date=dt.date(2026 - spec.age, 6, 15),
            gender=spec.gender,
            postcode="9900",
            labour_status=spec.labour,
            months_unemployed=spec.months,
            income_source="none",
            education_level=spec.isced,
            single_adult_household=spec.single,
            children_in_household=spec.children,
            migration_background=spec.migration,
            intake_organisation=orgs[spec.org],
        )
        Client.objects.filter(pk=client.pk).update(created_at=entry)
        Consent.objects.create(
            client=client, text_version="1", language="nl", research_use=True, given_at=entry
        )
        if spec.screened:
            Screening.objects.create(
                client=client,
                taken_on=dt.date(2026, 3, 2),
                would_accept=spec.would,
                main_barrier=spec.main,
                stopped_job=spec.stopped,
                barrier_score=1,
            )
        if spec.exit:
            add_exit(client, orgs[spec.org], spec)
        if not spec.care_duty:
            continue
        child = CareRecipient.objects.create(
            client=client, first_name="Kind", birth_date=dt.date(2024, 1, 1)
        )
        for kind, statuses in spec.requests:
            activity = Activity.objects.create(
                client=client,
                kind=kind,
                title="t",
                first_date=day,
                start_time=dt.time(9),
                end_time=dt.time(12),
                organisation=orgs[spec.org],
            )
            request = CareRequest.objects.create(
                client=client,
                activity=activity,
                organisation=orgs[spec.org],
                network=network,
            )
            CareRequest.objects.filter(pk=request.pk).update(created_at=entry)
            for status in statuses:
                day += dt.timedelta(days=1)
                slot = CapacitySlot.objects.create(
                    care_site=care_site,
                    network=network,
                    date=day,
                    day_part="am",
                    age_band=band,
                    reserved_places=2,
                    places=2,
                    booked=1,
                )
                Booking.objects.create(
                    request=request,
                    recipient=child,
                    slot=slot,
                    care_site=care_site,
                    date=day,
                    day_part="am",
                    status=status,
                )
    return network


def add_exit(client: Client, org: Any, spec: Spec) -> None:
    """The client leaves on 1 May 2026; the follow-ups 3 and 6 months later (due in 2026)
    are answered when the spec says so; a regular childcare place from June."""
    left = Exit.objects.create(
        client=client, date=dt.date(2026, 5, 1), reason=spec.exit, organisation=org
    )
    for months in (3, 6):
        follow_up = FollowUp.objects.create(
            client=client,
            exit=left,
            anchor_date=left.date,
            months=months,
            due_on=dt.date(2026, 5 + months, 1),
            responsible_organisation=org,
            status="done" if spec.answer else "open",
        )
        if spec.answer:
            employed = spec.answer == "employed"
            Outcome.objects.create(
                client=client,
                follow_up=follow_up,
                observed_on=follow_up.due_on,
                status=spec.answer,
                contract_type="permanent" if employed else "",
                sector="retail" if employed else "",
                hours_per_week=Decimal(30) if employed else None,
                organisation=org,
            )
    if spec.regular:
        RegularCare.objects.create(
            client=client, place_from=dt.date(2026, 6, 1), provider_name="x", organisation=org
        )


@override_settings(RESEARCH_PUBLIC_CACHE_SECONDS=0)
class TestPublicPageOnRandomData(TestCase):
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(specs, max_size=40))
    def test_never_shows_a_count_from_one_to_four(self, population: list[Spec]) -> None:
        network = build(population)
        figures = public_figures(
            Filters(
                start=dt.date(2026, 1, 1),
                end=dt.date(2026, 12, 31),
                network_ids=(network.pk,),
                today=dt.date(2026, 12, 31),
            )
        )
        for count in figure_counts(figures):
            assert count is None or count == 0 or count >= 5, count
        response = HttpClient().get("/research/public/random/?year=2026")
        assert response.status_code == 200
        for count in shown_counts(response.content.decode()):
            assert not 1 <= count <= 4, count


def test_outcome_cells_are_protected_like_the_others(world: Any) -> None:
    def leaver(exit: str, answer: str | None) -> Spec:
        return Spec(
            gender="female",
            labour="unemployed",
            months=None,
            isced=None,
            age=30,
            single=False,
            children=1,
            migration=None,
            org=0,
            screened=False,
            would="yes",
            main="care",
            stopped=False,
            care_duty=False,
            requests=(),
            exit=exit,
            answer=answer,
        )

    # 7 leavers, 6 of them for work: the one who was not (7 - 6) must not be derivable
    population = [leaver("employed", "employed") for _ in range(6)] + [leaver("moved", None)]
    network = build(population)
    filters = Filters(
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        network_ids=(network.pk,),
        today=dt.date(2026, 12, 31),
    )
    figures = public_figures(filters)
    with translation.override("en"):
        shown = {str(f.label): f.count for f in figures.outcomes}
    assert not any(c is not None and 1 <= c <= 4 for c in shown.values())
    # leavers and those for work cannot both be shown (their difference is 1)
    assert shown["Clients who left"] is None or shown["Left for work or training"] is None
    # 6 followed up after 3 and 6 months, all employed: shown, no small remainder
    assert shown["Followed up 6 months after leaving"] == 6


def test_figures_dataclass_has_every_table() -> None:
    names = {f.name for f in fields(PublicFigures)}
    assert {"reach", "service", "outcomes", "esf", "by_kind", "by_referrer"} <= names
