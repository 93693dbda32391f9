"""The synthetic region's pathways: deterministic, idempotent, with realistic rates."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from zorgbrug.clients.models import Client
from zorgbrug.demo.generator import generate_region
from zorgbrug.demo.pathway_generator import REFERENCE_DAY, generate_pathways
from zorgbrug.network.models import Network
from zorgbrug.pathways.models import Exit, FollowUp, Outcome, PathwayActivity, RegularCare

pytestmark = pytest.mark.django_db

CLIENTS = 1200


def _snapshot() -> list[Any]:
    return [
        sorted(
            PathwayActivity.objects.values_list(
                "client__search_name", "kind", "date", "sector", "contract_type", "hours_per_week"
            )
        ),
        sorted(Exit.objects.values_list("client__search_name", "date", "reason")),
        sorted(FollowUp.objects.values_list("client__search_name", "months", "due_on", "status")),
        sorted(Outcome.objects.values_list("client__search_name", "observed_on", "status")),
        sorted(
            RegularCare.objects.values_list("client__search_name", "registered_on", "place_from")
        ),
    ]


def test_pathways_are_realistic_deterministic_and_idempotent(settings: Any) -> None:
    settings.DEBUG = True
    result = generate_region(organisations=30, seed=11, clients=CLIENTS, pathways=True)
    assert result["pathway_clients"] > CLIENTS * 0.6
    network = Network.objects.get(slug="synthetic-11")

    # Among clients with a year of history, about a third found a job, and about a fifth
    # went into training (an exit to training or a training outcome).
    settled = set(
        Client.objects.filter(
            network=network,
            consents__given_at__date__lt=REFERENCE_DAY - dt.timedelta(days=365),
        ).values_list("pk", flat=True)
    )
    with_job = set(
        PathwayActivity.objects.filter(client__in=settled, kind="job_start").values_list(
            "client_id", flat=True
        )
    )
    assert 0.25 < len(with_job) / len(settled) < 0.45
    training = set(
        Exit.objects.filter(client__in=settled, reason="training").values_list(
            "client_id", flat=True
        )
    )
    assert 0.08 < len(training) / len(settled) < 0.3

    # Of those who found a job, more than four in ten no longer have it six months later.
    six = Outcome.objects.filter(follow_up__months=6, follow_up__job_start__isnull=False).exclude(
        status="unreachable"
    )
    lost = six.exclude(status="employed").count() / six.count()
    assert 0.3 < lost < 0.55
    # Every job start is complete and has its last day of care.
    assert not PathwayActivity.objects.filter(kind="job_start", care_until__isnull=True).exists()
    # Follow-ups due before the reference day were answered; none is due after it.
    assert not FollowUp.objects.filter(due_on__gt=REFERENCE_DAY).exists()
    assert FollowUp.objects.filter(status="done").count() == Outcome.objects.count()

    first = _snapshot()
    assert generate_pathways(network=network, seed=11)["pathway_clients"] == 0  # idempotent
    assert _snapshot() == first
    for model in (Outcome, FollowUp, Exit, RegularCare, PathwayActivity):
        model.objects.all().delete()
    generate_pathways(network=network, seed=11)
    assert _snapshot() == first  # deterministic


def test_command_has_a_pathways_option(settings: Any) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command(
        "generate_region",
        "--organisations",
        "20",
        "--seed",
        "12",
        "--clients",
        "50",
        "--pathways",
        stdout=out,
    )
    assert "pathway_clients" in out.getvalue()
    assert PathwayActivity.objects.exists()
