"""The synthetic region's clients (`generate_region --clients N`): valid, plausible, repeatable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from tests.factories import staff
from zorgbrug.access.scoping import clients as scoped_clients
from zorgbrug.clients import identifiers
from zorgbrug.clients.models import CareRecipient, Client, FollowingOrganisation, Screening
from zorgbrug.clients.screening import NeedAnswer, barrier_score
from zorgbrug.demo.data import POSTCODES
from zorgbrug.demo.generator import generate_region
from zorgbrug.network.models import Membership, Network, Organisation, Partner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _synthetic_allowed(settings: Any) -> None:
    settings.DEBUG = True


def _snapshot(slug: str) -> list[tuple[Any, ...]]:
    rows = []
    for c in (
        Client.objects.filter(network__slug=slug)
        .prefetch_related("care_recipients", "consents", "screenings__needs", "followers")
        .select_related("intake_organisation")
        .order_by("pk")
    ):
        rows.append(
            (
                c.first_name,
                c.last_name,
                c.birth_date,
                c.gender,
                c.insz,
                c.phone,
                c.postcode,
                c.latitude,
                tuple(c.languages),
                c.labour_status,
                c.income_source,
                c.education_level,
                c.migration_background,
                c.intake_organisation.kbo_number,
                tuple((r.first_name, r.birth_date) for r in c.care_recipients.all()),
                tuple((x.share_with_partners, x.given_at) for x in c.consents.all()),
                tuple((s.barrier_score, s.needs.count()) for s in c.screenings.all()),
                len(c.followers.all()),
            )
        )
    return rows


def _forget_region(slug: str) -> None:
    Client.objects.filter(network__slug=slug).delete()
    Network.objects.filter(slug=slug).delete()
    Organisation.objects.filter(partnerships__isnull=True).delete()


def test_same_seed_same_clients_and_in_steps_too() -> None:
    result = generate_region(organisations=8, seed=4, clients=60)
    assert result["clients_created"] == 60
    first = _snapshot("synthetic-4")
    _forget_region("synthetic-4")
    generate_region(organisations=8, seed=4, clients=25)
    assert generate_region(organisations=8, seed=4, clients=60)["clients_created"] == 35
    assert _snapshot("synthetic-4") == first
    # The same numbers again add nothing; another seed gives other clients.
    assert generate_region(organisations=8, seed=4, clients=60)["clients_created"] == 0
    generate_region(organisations=8, seed=6, clients=60)
    assert _snapshot("synthetic-6") != first


def test_generated_clients_pass_the_intake_rules() -> None:
    generate_region(organisations=10, seed=2, clients=300)
    network = Network.objects.get(slug="synthetic-2")
    referrers = set(
        Partner.objects.filter(network=network, is_referrer=True).values_list(
            "organisation_id", flat=True
        )
    )
    region_postcodes = {code for code, *_rest in POSTCODES}
    clients = list(
        Client.objects.filter(network=network).prefetch_related(
            "care_recipients", "consents", "followers", "screenings__needs__care_recipient"
        )
    )
    assert len(clients) == 300
    for c in clients:
        identifiers.validate_birth_date(c.birth_date, min_age=18)
        if c.insz:
            assert identifiers.normalise_insz(c.insz, birth_date=c.birth_date) == c.insz
        if c.phone:
            assert identifiers.normalise_phone(c.phone) == c.phone
        assert c.postcode in region_postcodes and c.latitude is not None
        assert c.languages and all(len(x) == 2 and x.isalpha() for x in c.languages)
        assert c.single_adult_household == (c.adults_in_household == 1)
        children = list(c.care_recipients.all())
        assert 1 <= len(children) <= 3 and c.children_in_household >= len(children)
        for child in children:
            assert child.kind == "child"
            assert dt.timedelta(days=17 * 365) <= child.birth_date - c.birth_date
            assert child.birth_date <= dt.date.today()
        (consent,) = c.consents.all()
        assert consent.care_support and consent.withdrawn_at is None
        if c.migration_background is not None:
            assert consent.special_category
        followers = {f.organisation_id for f in c.followers.all()}
        assert c.intake_organisation_id in followers and followers <= referrers
        if len(followers) > 1:
            assert consent.share_with_partners
        for screening in c.screenings.all():
            needs = list(screening.needs.all())
            assert {n.care_recipient.client_id for n in needs} <= {c.pk}
            assert screening.barrier_score == barrier_score(
                stopped_job=screening.stopped_job,
                stopped_course=screening.stopped_course,
                stopped_interview=screening.stopped_interview,
                would_accept=screening.would_accept,
                single_adult_household=c.single_adult_household,
                main_barrier=screening.main_barrier,
                needs=[NeedAnswer(n.arrangement, True) for n in needs],
            )
            if screening.would_accept == "no":
                assert screening.refusal_reason
    assert len({c.insz for c in clients if c.insz}) == len([c for c in clients if c.insz])


def test_generated_caseloads_look_like_the_projects() -> None:
    generate_region(organisations=10, seed=8, clients=600)
    clients = Client.objects.filter(network__slug="synthetic-8")
    n = clients.count()

    def share(**lookup: Any) -> float:
        return clients.filter(**lookup).count() / n

    assert share(gender="female") > 0.75
    assert 0.4 < share(single_adult_household=True) < 0.7
    assert share(education_level__lte=2) > 0.4  # ISCED 0-2: no upper secondary
    recorded = clients.exclude(migration_background=None)
    assert recorded.filter(migration_background=True).count() / recorded.count() > 0.4
    assert share(labour_status__in=["unemployed", "inactive"]) > 0.7
    assert Screening.objects.filter(client__in=clients).count() / n > 0.8
    children = CareRecipient.objects.filter(client__in=clients)
    young = [c for c in children.values_list("birth_date", flat=True) if c.year >= 2020]
    assert len(young) / children.count() > 0.4  # most need childcare, not after-school care


def test_a_referrer_of_the_region_finds_the_clients_their_organisation_follows() -> None:
    generate_region(organisations=10, seed=3, clients=120)
    org_id, count = FollowingOrganisation.objects.filter(
        client__network__slug="synthetic-3"
    ).values_list("organisation_id").order_by().annotate(n=Count("pk")).order_by("-n").first() or (
        None,
        0,
    )
    assert org_id is not None and count > 0
    user = staff(Organisation.objects.get(pk=org_id), "referrer", email="gen@example.org")
    assert Membership.objects.filter(user=user).exists()
    assert scoped_clients(user).count() == count


def test_command_takes_clients_and_checks_the_number() -> None:
    call_command("generate_region", "--organisations", "5", "--seed", "9", "--clients", "20")
    assert Client.objects.filter(network__slug="synthetic-9").count() == 20
    with pytest.raises(CommandError):
        call_command("generate_region", "--organisations", "5", "--clients", "-1")
