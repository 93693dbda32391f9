"""A training world on top of the care world: a training centre with a trainer, another
centre with its own trainer, an ONKI-day module with a session on a Monday to come, and the
care world's mother of two (Amina, with Yusuf and Lina) followed by the world's referrer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.care.conftest import CareWorld, care  # noqa: F401  (the fixture, for these tests)
from tests.clients.conftest import register
from tests.conftest import World
from tests.factories import OrganisationFactory, PartnerFactory, SiteFactory, staff
from tests.training.factories import session_kwargs
from zorgbrug.access.models import User
from zorgbrug.clients.models import Client
from zorgbrug.network.models import Organisation, Site
from zorgbrug.training import services
from zorgbrug.training.models import Module, Session


@dataclass
class TrainingWorld:
    care: CareWorld
    world: World
    centre: Organisation
    centre_site: Site
    trainer: User
    other_centre: Organisation
    other_trainer: User
    module: Module
    session: Session
    mother: Client  # Amina: Yusuf and Lina, both of an age the network takes


@pytest.fixture
def training(care: CareWorld) -> TrainingWorld:  # noqa: F811
    world = care.world
    centre = OrganisationFactory(name="Vormingscentrum Noord", kind="training_centre")
    PartnerFactory(
        network=world.network, organisation=centre, is_referrer=False, is_training_provider=True
    )
    other_centre = OrganisationFactory(name="Leerpunt Noord", kind="training_centre")
    PartnerFactory(
        network=world.network,
        organisation=other_centre,
        is_referrer=False,
        is_training_provider=True,
    )
    centre_site = SiteFactory(
        organisation=centre, name="Leslokaal", street="Industrielaan 9", postcode="9900"
    )
    trainer = staff(centre, "trainer", email="joris@example.org", full_name="Joris Martens")
    module = services.module_create(
        actor=trainer,
        network=world.network,
        organisation=centre,
        kind="onki_day",
        names={"nl": "ONKI-dag", "fr": "Journée ONKI", "en": "ONKI day"},
        descriptions={"nl": "Opvoeden en werken: een dag samen."},
    )
    session = services.session_create(
        actor=trainer, module=module, date=care.monday, **session_kwargs(site=centre_site)
    )
    return TrainingWorld(
        care=care,
        world=world,
        centre=centre,
        centre_site=centre_site,
        trainer=trainer,
        other_centre=other_centre,
        other_trainer=staff(other_centre, "trainer", email="lies@example.org"),
        module=module,
        session=session,
        mother=care.family,
    )


def another_client(world: World, n: int, **overrides: Any) -> Client:
    """A client of the world's referrer with the same two children as the mother."""
    fields: dict[str, Any] = {"first_name": f"Client{n}", "last_name": f"Test{n}", "phone": ""}
    fields.update(overrides)
    return register(world, **fields)
