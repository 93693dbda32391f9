"""A deterministic synthetic region for benchmarks: same arguments, same data.

Later issues extend it (clients, capacity, bookings) by adding steps to `generate_region`.
"""

from __future__ import annotations

import os
import random
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from zorgbrug.demo.data import POSTCODES, kbo
from zorgbrug.network.models import Network, Organisation, OrganisationKind, Partner, Postcode, Site

KIND_MIX = [
    (OrganisationKind.CHILDCARE_PROVIDER, 0.55),
    (OrganisationKind.EMPLOYMENT_SERVICE, 0.05),
    (OrganisationKind.PUBLIC_WELFARE, 0.08),
    (OrganisationKind.WELFARE_CENTRE, 0.05),
    (OrganisationKind.LOCAL_EMPLOYMENT_AGENCY, 0.05),
    (OrganisationKind.TRAINING_CENTRE, 0.08),
    (OrganisationKind.EMPLOYER, 0.06),
    (OrganisationKind.TEMP_AGENCY, 0.04),
    (OrganisationKind.MUNICIPALITY, 0.04),
]
PROVIDER_KINDS = ["daycare", "daycare", "childminder", "childminder", "out_of_school", "occasional"]
STREETS = [
    "Kerkstraat",
    "Stationsstraat",
    "Dorpsstraat",
    "Molenstraat",
    "Schoolstraat",
    "Nieuwstraat",
    "Beekstraat",
    "Kapelstraat",
    "Veldstraat",
    "Marktplein",
]


def require_allowed() -> None:
    if not (settings.DEBUG or os.environ.get("ALLOW_SYNTHETIC_DATA") == "1"):
        raise ImproperlyConfigured(
            "Synthetic data is for development and benchmarks only: run with DEBUG=1 or "
            "ALLOW_SYNTHETIC_DATA=1."
        )


def _roles_for(kind: str) -> dict[str, bool]:
    return {
        "is_referrer": kind
        in {
            "employment_service",
            "public_welfare",
            "welfare_centre",
            "local_employment_agency",
            "employer",
            "temp_agency",
            "job_shop",
        },
        "is_care_provider": kind == "childcare_provider",
        "is_training_provider": kind == "training_centre",
        "is_funder": kind in {"municipality", "public_welfare"},
    }


@transaction.atomic
def generate_region(*, organisations: int, seed: int) -> dict[str, Any]:
    require_allowed()
    if organisations < 1:
        raise ValueError("organisations must be at least 1")
    rng = random.Random(seed)
    postcodes = list(
        Postcode.objects.order_by("code", "name").values_list(
            "code", "name", "latitude", "longitude"
        )
    )
    if not postcodes:
        postcodes = [(c, n, la, lo) for c, n, la, lo, _p in POSTCODES]
    slug = f"synthetic-{seed}"
    network, _ = Network.objects.get_or_create(
        slug=slug,
        defaults={"name": f"Synthetic region {seed}", "region": "generated for benchmarks"},
    )
    existing = Organisation.objects.filter(partnerships__network=network).count()
    kinds, weights = zip(*KIND_MIX, strict=True)
    new_orgs: list[Organisation] = []
    org_kinds: list[str] = []
    for i in range(existing, organisations):
        kind = str(rng.choices(kinds, weights)[0]) if i else "job_shop"
        provider_kind = rng.choice(PROVIDER_KINDS) if kind == "childcare_provider" else ""
        new_orgs.append(
            Organisation(
                name=f"{OrganisationKind(kind).label} {seed}-{i + 1}"
                if kind != "job_shop"
                else f"Job shop {seed}",
                kind=kind,
                provider_kind=provider_kind,
                kbo_number=kbo(70_000_000 + seed * 100_000 + i),
            )
        )
        org_kinds.append(kind)
    Organisation.objects.bulk_create(new_orgs, batch_size=1000)
    partners, sites = [], []
    for org, kind in zip(new_orgs, org_kinds, strict=True):
        roles = _roles_for(kind)
        partners.append(
            Partner(network=network, organisation=org, is_coordinator=kind == "job_shop", **roles)
        )
        for s in range(1 + (rng.random() < 0.2)):
            code, place, lat, lng = rng.choice(postcodes)
            jitter = Decimal(rng.randint(-900, 900)) / Decimal(100000)
            sites.append(
                Site(
                    organisation=org,
                    name=f"{org.name} – {place} {s + 1}",
                    street=f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                    postcode=code,
                    municipality=place,
                    latitude=Decimal(lat) + jitter,
                    longitude=Decimal(lng) - jitter,
                )
            )
    Partner.objects.bulk_create(partners, batch_size=1000)
    Site.objects.bulk_create(sites, batch_size=1000)
    return {
        "network": slug,
        "organisations": organisations,
        "created": len(new_orgs),
        "sites": len(sites),
    }
