"""factory_boy factories for every domain's models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from zorgbrug.access.models import User
from zorgbrug.demo.data import kbo
from zorgbrug.network.models import (
    Contact,
    Membership,
    Network,
    Organisation,
    Partner,
    Postcode,
    Site,
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="nl_BE")
    language = "nl"
    password = factory.django.Password("test-password-123")


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")
    region = "Test region"


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "employment_service"
    kbo_number = factory.Sequence(lambda n: kbo(90_000_000 + n))


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    network = factory.SubFactory(NetworkFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    is_referrer = True


class PostcodeFactory(DjangoModelFactory):
    class Meta:
        model = Postcode
        django_get_or_create = ("code", "name")

    code = "9900"
    name = "Eeklo"
    latitude = Decimal("51.185272")
    longitude = Decimal("3.563890")


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    street = "Kerkstraat 1"
    postcode = "9900"
    municipality = "Eeklo"
    latitude = Decimal("51.185272")
    longitude = Decimal("3.563890")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name", locale="nl_BE")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "referrer"


def staff(organisation: Organisation, role: str, **kwargs: Any) -> User:
    """A user with one active role at an organisation."""
    user = cast(User, UserFactory(**kwargs))
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user
