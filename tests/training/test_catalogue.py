"""The module catalogue and sessions: who may add them, and bad input that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import OrganisationFactory, PartnerFactory, PostcodeFactory, SiteFactory
from tests.training.conftest import TrainingWorld
from tests.training.factories import session_kwargs
from zorgbrug.access.models import AuditEvent
from zorgbrug.care.calendar import public_holidays
from zorgbrug.training import services
from zorgbrug.training.models import Module, Session, text_in

pytestmark = pytest.mark.django_db


def test_text_falls_back_to_dutch() -> None:
    texts = {"nl": "ONKI-dag", "fr": "Journée ONKI"}
    assert text_in(texts, "fr") == "Journée ONKI"
    assert text_in(texts, "ar") == "ONKI-dag"
    assert text_in(texts, "en-gb") == "ONKI-dag"
    assert text_in({"en": "Only English"}, "tr") == "Only English"
    assert text_in({}, "nl") == ""


def test_trainer_adds_a_module_of_their_centre(training: TrainingWorld) -> None:
    module = services.module_create(
        actor=training.trainer,
        network=training.world.network,
        organisation=training.centre,
        kind="parenting_support",
        names={"nl": "Opvoedingsondersteuning", "ar": "دعم الأبوة", "tr": "Ebeveyn desteği"},
    )
    assert module.name_in("ar") == "دعم الأبوة"
    assert module.name_in("fr") == "Opvoedingsondersteuning"


def test_coordinator_adds_a_module_for_any_training_provider(training: TrainingWorld) -> None:
    module = services.module_create(
        actor=training.world.coordinator,
        network=training.world.network,
        organisation=training.other_centre,
        kind="childminder_course",
        names={"nl": "Opleiding onthaalouder"},
    )
    assert module.organisation == training.other_centre


def test_others_may_not_add_modules(training: TrainingWorld) -> None:
    for actor, org in [
        (training.trainer, training.other_centre),  # another centre's module
        (training.world.referrer, training.centre),
        (training.world.researcher, training.centre),
        (training.world.far_coordinator, training.centre),
    ]:
        with pytest.raises(PermissionDenied):
            services.module_create(
                actor=actor,
                network=training.world.network,
                organisation=org,
                kind="other",
                names={"nl": "X"},
            )


def test_module_bad_input_changes_nothing(training: TrainingWorld) -> None:
    before = (Module.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.module_create(
            actor=training.trainer,
            network=training.world.network,
            organisation=training.centre,
            kind="onki_day",
            names={"fr": "Journée"},
        )
    assert "names" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.module_create(
            actor=training.trainer,
            network=training.world.network,
            organisation=training.centre,
            kind="no_such_kind",
            names={"nl": "X"},
        )
    with pytest.raises(ValidationError):
        services.module_create(
            actor=training.trainer,
            network=training.world.network,
            organisation=training.centre,
            kind="other",
            names={"nl": "X", "xx": "?"},
        )
    # An organisation that is not a training provider of the network.
    with pytest.raises(ValidationError):
        services.module_create(
            actor=training.world.coordinator,
            network=training.world.network,
            organisation=training.world.org,
            kind="other",
            names={"nl": "X"},
        )
    assert (Module.objects.count(), AuditEvent.objects.count()) == before


def _plan(t: TrainingWorld, **kw: object) -> Session:
    data = session_kwargs()
    data.update(kw)
    date = data.pop("date", t.care.monday)
    return services.session_create(actor=t.trainer, module=t.module, date=date, **data)


def test_session_at_an_address_takes_the_place_name(training: TrainingWorld) -> None:
    session = _plan(training, address="Markt 1", postcode="9990")
    assert session.municipality == "Maldegem"
    assert session.trainer == training.trainer
    assert session.place == "Markt 1, 9990 Maldegem"


def test_session_bad_input_changes_nothing(training: TrainingWorld) -> None:
    PostcodeFactory(code="9900", name="Eeklo")
    stranger_site = SiteFactory(organisation=training.world.far_org)
    holiday = next(
        d
        for year in (timezone.localdate().year, timezone.localdate().year + 1)
        for d in sorted(public_holidays(year))
        if d > timezone.localdate() + dt.timedelta(days=1)
    )
    bad = [
        ({"date": timezone.localdate() - dt.timedelta(days=1)}, "date"),
        ({"date": holiday}, "date"),
        ({"start_time": dt.time(15), "end_time": dt.time(9)}, "end_time"),
        ({"seats": 0}, "seats"),
        ({"address": "", "postcode": "9900"}, "address"),
        ({"postcode": "0000"}, "postcode"),
        ({"site": stranger_site, "address": "", "postcode": ""}, "site"),
        ({"trainer": training.other_trainer}, "trainer"),
    ]
    before = (Session.objects.count(), AuditEvent.objects.count())
    for overrides, field in bad:
        with pytest.raises(ValidationError) as exc:
            _plan(training, **overrides)
        assert field in exc.value.message_dict, (overrides, exc.value.message_dict)
    assert (Session.objects.count(), AuditEvent.objects.count()) == before


def test_session_in_the_past_today_is_refused(training: TrainingWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        _plan(training, date=timezone.localdate(), start_time=dt.time(0, 0), end_time=dt.time(0, 1))
    assert "date" in exc.value.message_dict


def test_other_trainers_cannot_plan_or_change_sessions(training: TrainingWorld) -> None:
    with pytest.raises(PermissionDenied):
        services.session_create(
            actor=training.other_trainer,
            module=training.module,
            date=training.care.monday,
            **session_kwargs(),
        )
    with pytest.raises(PermissionDenied):
        services.session_update(actor=training.world.referrer, session=training.session, seats=3)


def test_cancelling_a_session_cancels_its_enrolments(training: TrainingWorld) -> None:
    enrolment = services.enrolment_create(
        actor=training.world.referrer, session=training.session, client=training.mother
    )
    assert services.session_cancel(actor=training.trainer, session=training.session) == 1
    enrolment.refresh_from_db()
    training.session.refresh_from_db()
    assert enrolment.status == "cancelled"
    assert enrolment.care_status == "to_cancel"  # the trainer cannot touch the client's care
    assert training.session.is_cancelled and training.session.taken == 0
    with pytest.raises(ValidationError):
        services.enrolment_create(
            actor=training.world.referrer, session=training.session, client=training.mother
        )


def test_a_new_training_provider_needs_the_role(training: TrainingWorld) -> None:
    centre = OrganisationFactory(name="Nieuw centrum", kind="training_centre")
    PartnerFactory(network=training.world.network, organisation=centre, is_referrer=True)
    with pytest.raises(ValidationError):
        services.module_create(
            actor=training.world.coordinator,
            network=training.world.network,
            organisation=centre,
            kind="other",
            names={"nl": "X"},
        )
