"""Synthetic pathways and outcomes for the generated region (`generate_region --pathways`).

Every generated client gets a route from intake to work, training or neither, drawn with the
rates of comparable programmes (docs/pathways.md; the French AVIP evaluation in the domain
notes): about a third find a job, about a fifth enter training, and of those who found a
job more than four in ten have lost it six months later. Along the way: job interviews,
work trials and courses, the job start with its sector, contract and hours, the move to
regular childcare, an exit with a reason, and the follow-ups at 3, 6 and 12 months with
their outcomes — every follow-up due before the reference day answered (or "unreachable").

Deterministic: each client draws from its own random stream (the seed and its place in the
network), and dates are relative to the clients' own intake, which the client generator
draws relative to a fixed day. Idempotent: clients that already have a pathway are left
alone. Rows are bulk-created, as the client generator does.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Min
from django.utils import timezone

from zorgbrug.clients.models import CareRecipient, Client, ClientStatus, Consent
from zorgbrug.network.models import Network, Partner
from zorgbrug.pathways import rules
from zorgbrug.pathways import services as pathway_services
from zorgbrug.pathways.models import (
    Exit,
    FollowUp,
    FollowUpStatus,
    Outcome,
    PathwayActivity,
    RegularCare,
)

# The generated world stops on the client generator's reference day: steps and follow-ups
# after it have not happened yet.
REFERENCE_DAY = dt.date(2026, 1, 5)
FOLLOW_UP_MONTHS = (3, 6, 12)

# Where the pathway leads (AVIP: 34% a job, 19% training).
DESTINATIONS = [("job", 0.34), ("training", 0.19), ("seeking", 0.35), ("inactive", 0.12)]
SECTORS = [
    ("care", 0.20),
    ("cleaning", 0.18),
    ("logistics", 0.15),
    ("retail", 0.14),
    ("hospitality", 0.10),
    ("childcare", 0.06),
    ("industry", 0.06),
    ("office", 0.05),
    ("public", 0.03),
    ("other", 0.03),
]
CONTRACTS = [
    ("fixed_term", 0.30),
    ("temp_agency", 0.25),
    ("social_economy", 0.20),
    ("permanent", 0.15),
    ("self_employed", 0.03),
    ("other", 0.07),
]
HOURS = [(19, 0.15), (20, 0.15), (24, 0.15), (25, 0.1), (30, 0.2), (32, 0.1), (38, 0.15)]
# Still in work at each follow-up after a job start, given in work at the one before:
# 3 months 75%, 6 months 57% (so more than four in ten lost it), 12 months about 55%.
KEEP_WORK = {3: 0.75, 6: 0.76, 12: 0.93}
FIND_WORK = {3: 0.04, 6: 0.10, 12: 0.12}
UNREACHABLE = 0.08
EXIT_REASONS_OTHER = [
    ("no_contact", 0.30),
    ("no_longer_needed", 0.20),
    ("moved", 0.15),
    ("dropped_out", 0.15),
    ("health", 0.10),
    ("regular_care", 0.10),
]
EMPLOYERS = [
    "Woonzorgcentrum De Linde",
    "Schoonmaak Vlaanderen",
    "Meetjesland Logistics",
    "Supermarkt Centrum",
    "Brasserie De Markt",
    "Kinderdagverblijf De Zon",
    "Metaalbouw Noord",
    "Stadsbestuur",
]

T = TypeVar("T")


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


@dataclass
class _Drawn:
    activities: list[PathwayActivity] = field(default_factory=list)
    regular: list[RegularCare] = field(default_factory=list)
    exit: Exit | None = None
    # (anchor: the job start or the exit, months, due, outcome or None)
    follow_ups: list[tuple[Any, int, dt.date, Outcome | None]] = field(default_factory=list)


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _draw(
    rng: random.Random,
    client: Client,
    intake: dt.date,
    young_children: list[CareRecipient],
    providers: list[int],
) -> _Drawn:
    drawn = _Drawn()
    org = client.intake_organisation_id
    horizon = REFERENCE_DAY

    def step(kind: str, day: dt.date, **kw: Any) -> PathwayActivity | None:
        if day > horizon:
            return None
        activity = PathwayActivity(client=client, kind=kind, date=day, organisation_id=org, **kw)
        drawn.activities.append(activity)
        return activity

    destination = _pick(rng, DESTINATIONS)
    day = intake + _days(rng, 7, 60)
    if destination == "training" or rng.random() < 0.2:
        course_end = day + _days(rng, 30, 120)
        step(
            "course",
            day,
            title=rng.choice(["Nederlands NT2", "Opleiding logistiek", "Basisopleiding zorg"]),
            end_date=course_end,
        )
        day = course_end + _days(rng, 0, 30)
    if destination == "job" or rng.random() < 0.4:
        for _ in range(rng.randint(1, 4)):
            step("job_interview", day, employer=rng.choice(EMPLOYERS))
            day += _days(rng, 5, 40)
    start: PathwayActivity | None = None
    if destination == "job":
        if rng.random() < 0.25:
            step("work_trial", day, employer=rng.choice(EMPLOYERS), end_date=day + _days(rng, 1, 5))
            day += _days(rng, 7, 21)
        contract = _pick(rng, CONTRACTS)
        start = step(
            "job_start",
            day,
            employer=rng.choice(EMPLOYERS),
            sector=_pick(rng, SECTORS),
            contract_type=contract,
            hours_per_week=Decimal(_pick(rng, HOURS)),
            first_period_end=rules.add_months(day, rng.choice([1, 3, 6]))
            if contract in ("fixed_term", "temp_agency")
            else None,
            care_until=pathway_services.care_until_for(client.network_id, day),
        )
        if start is not None and young_children and rng.random() < 0.6:
            registered = day - _days(rng, 0, 30)
            found = rng.random() < 0.7
            place_from = day + _days(rng, 30, 120) if found else None
            if place_from is not None and place_from > horizon:
                place_from = None
            drawn.regular.append(
                RegularCare(
                    client=client,
                    registered_on=max(registered, intake),
                    desk="Loket Kinderopvang",
                    place_from=place_from,
                    provider_id=rng.choice(providers) if place_from and providers else None,
                    provider_name="" if not place_from or providers else "Kinderdagverblijf",
                    organisation_id=org,
                )
            )
    # The exit: work and training usually close the pathway; others now and then.
    exit_day: dt.date | None = None
    reason = ""
    if start is not None and rng.random() < 0.8:
        exit_day, reason = start.date + _days(rng, 0, 92), "employed"
    elif destination == "training" and rng.random() < 0.7:
        exit_day, reason = day + _days(rng, 0, 60), "training"
    elif destination in ("seeking", "inactive") and rng.random() < 0.25:
        exit_day, reason = day + _days(rng, 30, 240), _pick(rng, EXIT_REASONS_OTHER)
    if exit_day is not None and exit_day <= horizon:
        drawn.exit = Exit(client=client, date=exit_day, reason=reason, organisation_id=org)
    # Follow-ups with their outcomes, up to the reference day.
    if start is not None:
        anchor: Any = start
        anchor_day = start.date
        working = True
    elif drawn.exit is not None:
        anchor, anchor_day = drawn.exit, drawn.exit.date
        working = False
    else:
        return drawn
    for months in FOLLOW_UP_MONTHS:
        due = rules.add_months(anchor_day, months)
        if due > horizon:
            break
        working = rng.random() < KEEP_WORK[months] if working else rng.random() < FIND_WORK[months]
        observed = due + _days(rng, 0, 21)
        if observed > horizon:
            drawn.follow_ups.append((anchor, months, due, None))
            continue
        if rng.random() < UNREACHABLE:
            status = "unreachable"
        elif working:
            status = "employed"
        else:
            status = _pick(
                rng,
                [("seeking_work", 0.6), ("in_training", 0.15), ("inactive", 0.25)]
                if start is not None
                else [("seeking_work", 0.45), ("in_training", 0.3), ("inactive", 0.25)],
            )
        employed = status == "employed"
        same = start is not None and employed and rng.random() < 0.85
        outcome = Outcome(
            client=client,
            observed_on=observed,
            status=status,
            contract_type=(start.contract_type if same and start else _pick(rng, CONTRACTS))
            if employed
            else "",
            hours_per_week=(start.hours_per_week if same and start else Decimal(_pick(rng, HOURS)))
            if employed
            else None,
            sector=(start.sector if same and start else _pick(rng, SECTORS)) if employed else "",
            same_job=same if employed and start is not None else None,
            organisation_id=org,
        )
        drawn.follow_ups.append((anchor, months, due, outcome))
    return drawn


def generate_pathways(*, network: Network, seed: int) -> dict[str, int]:
    """Pathways for the network's clients that have none yet (see the module docstring)."""
    from zorgbrug.demo.generator import require_allowed

    require_allowed()
    has_pathway = set(
        PathwayActivity.objects.filter(client__network=network).values_list("client_id", flat=True)
    ) | set(Exit.objects.filter(client__network=network).values_list("client_id", flat=True))
    clients = list(Client.objects.filter(network=network).order_by("pk"))
    children: dict[int, list[CareRecipient]] = {}
    for child in CareRecipient.objects.filter(
        client__network=network, is_active=True, kind="child"
    ).order_by("pk"):
        children.setdefault(child.client_id, []).append(child)
    providers = list(
        Partner.objects.filter(network=network, is_care_provider=True)
        .order_by("organisation_id")
        .values_list("organisation_id", flat=True)[:50]
    )
    consent_days = {
        c: timezone.localdate(g)
        for c, g in Consent.objects.filter(client__network=network)
        .values("client_id")
        .annotate(first=Min("given_at"))
        .values_list("client_id", "first")
    }
    drawn: list[_Drawn] = []
    for number, client in enumerate(clients):
        if client.pk in has_pathway:
            continue
        intake = min(
            consent_days.get(client.pk, REFERENCE_DAY), timezone.localdate(client.created_at)
        )
        if intake >= REFERENCE_DAY:
            continue  # registered after the generated history ends
        rng = random.Random(f"pathway-{seed}-{number}")
        young = [
            c for c in children.get(client.pk, []) if (REFERENCE_DAY - c.birth_date).days < 12 * 365
        ]
        drawn.append(_draw(rng, client, intake, young, providers))
    PathwayActivity.objects.bulk_create([a for d in drawn for a in d.activities], batch_size=1000)
    RegularCare.objects.bulk_create([r for d in drawn for r in d.regular], batch_size=1000)
    exits = [d.exit for d in drawn if d.exit is not None]
    Exit.objects.bulk_create(exits, batch_size=1000)
    Client.objects.filter(pk__in=[e.client_id for e in exits]).update(status=ClientStatus.EXITED)
    follow_ups: list[FollowUp] = []
    outcomes: list[Outcome] = []
    for d in drawn:
        for anchor, months, due, outcome in d.follow_ups:
            is_start = isinstance(anchor, PathwayActivity)
            row = FollowUp(
                client_id=anchor.client_id,
                job_start=anchor if is_start else None,
                exit=None if is_start else anchor,
                anchor_date=anchor.date,
                months=months,
                due_on=due,
                status=FollowUpStatus.DONE if outcome else FollowUpStatus.OPEN,
                responsible_organisation_id=anchor.organisation_id,
                done_at=timezone.make_aware(dt.datetime.combine(outcome.observed_on, dt.time(11)))
                if outcome
                else None,
                created_by_run="generated",
            )
            follow_ups.append(row)
            if outcome is not None:
                outcome.follow_up = row
                outcomes.append(outcome)
    FollowUp.objects.bulk_create(follow_ups, batch_size=1000)
    Outcome.objects.bulk_create(outcomes, batch_size=1000)
    return {
        "pathway_clients": sum(1 for d in drawn if d.activities or d.exit),
        "pathway_activities": sum(len(d.activities) for d in drawn),
        "job_starts": sum(1 for d in drawn for a in d.activities if a.kind == "job_start"),
        "exits": len(exits),
        "follow_ups": len(follow_ups),
        "outcomes": len(outcomes),
    }
