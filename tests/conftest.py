"""Shared fixtures: a small world with two networks and people of every role.

`world` gives, for every feature, the actors its permission tests need (healthchecks'
`hc/test.py` habit): staff of an organisation, staff of another organisation in the same
network, staff of another network, a researcher, and the anonymous visitor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.factories import (
    ContactFactory,
    NetworkFactory,
    OrganisationFactory,
    PartnerFactory,
    PostcodeFactory,
    SiteFactory,
    staff,
)
from zorgbrug.access.models import User
from zorgbrug.network.models import Contact, Network, Organisation, Site

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _fast_and_inline(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.JOBS_BACKEND = "inline"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "nl"


@dataclass
class World:
    network: Network
    other_network: Network
    coordinator_org: Organisation
    org: Organisation  # a referring organisation in `network`
    provider_org: Organisation
    other_org: Organisation  # another referrer in the same network
    far_org: Organisation  # an organisation in `other_network`
    research_org: Organisation
    site: Site
    other_site: Site
    far_site: Site
    contact: Contact
    other_contact: Contact
    coordinator: User
    referrer: User
    provider: User
    trainer: User
    other_referrer: User
    far_coordinator: User
    far_referrer: User
    researcher: User

    def client_for(self, user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client


@pytest.fixture
def world(db: Any) -> World:
    PostcodeFactory(code="9900", name="Eeklo")
    PostcodeFactory(code="9990", name="Maldegem", latitude="51.209082", longitude="3.448661")
    network = NetworkFactory(name="Noord", slug="noord")
    other_network = NetworkFactory(name="Zuid", slug="zuid")

    coordinator_org = OrganisationFactory(name="Werkwinkel", kind="job_shop")
    PartnerFactory(network=network, organisation=coordinator_org, is_coordinator=True)
    org = OrganisationFactory(name="VDAB Noord")
    PartnerFactory(network=network, organisation=org)
    other_org = OrganisationFactory(name="OCMW Noord", kind="public_welfare")
    PartnerFactory(network=network, organisation=other_org)
    provider_org = OrganisationFactory(
        name="Kinderopvang Noord", kind="childcare_provider", provider_kind="daycare"
    )
    PartnerFactory(
        network=network, organisation=provider_org, is_referrer=False, is_care_provider=True
    )
    far_coord_org = OrganisationFactory(name="Agora Zuid", kind="training_centre")
    PartnerFactory(network=other_network, organisation=far_coord_org, is_coordinator=True)
    far_org = OrganisationFactory(name="OCMW Zuid", kind="public_welfare")
    PartnerFactory(network=other_network, organisation=far_org)
    research_org = OrganisationFactory(name="Evaluator", kind="other")
    PartnerFactory(network=network, organisation=research_org, is_referrer=False, is_funder=True)

    return World(
        network=network,
        other_network=other_network,
        coordinator_org=coordinator_org,
        org=org,
        provider_org=provider_org,
        other_org=other_org,
        far_org=far_org,
        research_org=research_org,
        site=SiteFactory(organisation=org, name="VDAB kantoor"),
        other_site=SiteFactory(organisation=other_org, name="OCMW kantoor"),
        far_site=SiteFactory(organisation=far_org, name="Zuid kantoor"),
        contact=ContactFactory(organisation=org),
        other_contact=ContactFactory(organisation=other_org),
        coordinator=staff(coordinator_org, "coordinator", email="coord@example.org"),
        referrer=staff(org, "referrer", email="ref@example.org"),
        provider=staff(provider_org, "provider", email="prov@example.org"),
        trainer=staff(org, "trainer", email="trainer@example.org"),
        other_referrer=staff(other_org, "referrer", email="other@example.org"),
        far_coordinator=staff(far_coord_org, "coordinator", email="farcoord@example.org"),
        far_referrer=staff(far_org, "referrer", email="far@example.org"),
        researcher=staff(research_org, "researcher", email="research@example.org"),
    )


def require_or_skip(available: bool, reason: str) -> None:
    """Skip locally when a service is missing; in CI a missing service is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} — required in CI")
    pytest.skip(reason)


@pytest.fixture
def job_wakeups(db: Any) -> Iterator[Callable[[], int]]:
    """Listens on the job relay's channel (PostgreSQL only): each call returns how many
    wake-ups were committed since the previous call."""
    from django.db import connection

    from zorgbrug.jobs.services import JOBS_CHANNEL

    require_or_skip(connection.vendor == "postgresql", "the job relay needs PostgreSQL")
    listener = connection.get_new_connection(connection.get_connection_params())
    listener.autocommit = True
    listener.execute(f"LISTEN {JOBS_CHANNEL}")
    try:
        yield lambda: sum(1 for _ in listener.notifies(timeout=0.5))
    finally:
        listener.close()
