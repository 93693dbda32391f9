"""factory_boy factories of the training domain, and a helper that plans a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory

from zorgbrug.training.models import Enrolment, Module, Session


class ModuleFactory(DjangoModelFactory):
    class Meta:
        model = Module

    kind = "onki_day"
    names = factory.LazyFunction(lambda: {"nl": "ONKI-dag", "fr": "Journée ONKI"})
    descriptions = factory.LazyFunction(
        lambda: {"nl": "Een dag over opvoeden en werk.", "en": "A day on parenting and work."}
    )


class SessionFactory(DjangoModelFactory):
    """A session written straight to the database (no date check): for fixtures."""

    class Meta:
        model = Session

    module = factory.SubFactory(ModuleFactory)
    date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=14))
    start_time = dt.time(9, 0)
    end_time = dt.time(15, 0)
    address = "Industrielaan 9"
    postcode = "9900"
    municipality = "Eeklo"
    seats = 12


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(SessionFactory)
    status = "enrolled"


def session_kwargs(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "start_time": dt.time(9, 0),
        "end_time": dt.time(15, 0),
        "seats": 12,
        "address": "Industrielaan 9",
        "postcode": "9900",
    }
    data.update(overrides)
    return data
