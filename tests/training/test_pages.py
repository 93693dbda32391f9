"""Training pages: a trainer plans, a referrer enrols, the trainer registers attendance; bad
input answers 400 with the message and writes nothing; list pages use a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.training.conftest import TrainingWorld, another_client
from zorgbrug.training import services
from zorgbrug.training.models import Enrolment, Module, Session

pytestmark = pytest.mark.django_db


def test_trainer_adds_a_module_and_plans_a_session(training: TrainingWorld) -> None:
    trainer = training.world.client_for(training.trainer)
    assert trainer.get(reverse("training:catalogue")).status_code == 200
    response = trainer.post(
        reverse("training:module_create"),
        {
            "provider": f"{training.world.network.pk}-{training.centre.pk}",
            "kind": "logistics_assistant",
            "name_nl": "Logistiek assistent",
            "name_tr": "Lojistik asistanı",
        },
    )
    assert response.status_code == 302
    module = Module.objects.get(kind="logistics_assistant")
    assert module.names == {"nl": "Logistiek assistent", "tr": "Lojistik asistanı"}
    response = trainer.post(
        reverse("training:module_detail", args=[module.pk]),
        {
            "form": "session",
            "session-date": training.care.monday.isoformat(),
            "session-start_time": "09:00",
            "session-end_time": "12:00",
            "session-site": str(training.centre_site.pk),
            "session-trainer": str(training.trainer.pk),
            "session-seats": "8",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = Session.objects.get(module=module)
    assert session.seats == 8 and session.site == training.centre_site


def test_session_in_the_past_answers_400_and_writes_nothing(training: TrainingWorld) -> None:
    trainer = training.world.client_for(training.trainer)
    before = Session.objects.count()
    response = trainer.post(
        reverse("training:module_detail", args=[training.module.pk]),
        {
            "form": "session",
            "session-date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
            "session-start_time": "09:00",
            "session-end_time": "12:00",
            "session-address": "Markt 1",
            "session-postcode": "9900",
            "session-seats": "8",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "A session cannot be planned in the past." in response.content.decode()
    assert Session.objects.count() == before


def test_referrer_enrols_from_the_session_page(training: TrainingWorld) -> None:
    referrer = training.world.client_for(training.world.referrer)
    url = reverse("training:session_detail", args=[training.session.pk])
    page = referrer.get(url).content.decode()
    assert "El Idrissi, Amina" in page  # a candidate of the form
    response = referrer.post(
        url, {"form": "enrol", "enrol-client": str(training.mother.pk), "enrol-waitlist": "on"}
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get()
    assert enrolment.care_status == "asked"
    page = referrer.get(url).content.decode()
    assert 'data-care="asked"' in page
    assert reverse("care:request_detail", args=[enrolment.care_request_id]) in page


def test_enrolment_beyond_the_seats_answers_400(training: TrainingWorld) -> None:
    services.session_update(actor=training.trainer, session=training.session, seats=1)
    services.enrolment_create(
        actor=training.world.referrer, session=training.session, client=training.mother
    )
    other = another_client(training.world, 1)
    referrer = training.world.client_for(training.world.referrer)
    before = Enrolment.objects.count()
    response = referrer.post(
        reverse("training:session_detail", args=[training.session.pk]),
        {"form": "enrol", "enrol-client": str(other.pk)},  # no waiting list
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert Enrolment.objects.count() == before
    assert 'lang="fr"' in response.content.decode()


def test_trainer_registers_attendance_with_htmx(training: TrainingWorld) -> None:
    enrolment = services.enrolment_create(
        actor=training.world.referrer, session=training.session, client=training.mother
    )
    Session.objects.filter(pk=training.session.pk).update(date=timezone.localdate())
    trainer = training.world.client_for(training.trainer)
    response = trainer.post(
        reverse("training:enrolment_attendance", args=[enrolment.pk]),
        {"attendance": "present"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-attendance="present"' in response.content.decode()
    pdf = trainer.get(reverse("training:certificate", args=[enrolment.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def _enrol_many(t: TrainingWorld, n: int) -> None:
    start = Enrolment.objects.count()
    for i in range(start, start + n):
        services.enrolment_create(
            actor=t.world.referrer, session=t.session, client=another_client(t.world, 100 + i)
        )


@pytest.mark.parametrize(
    "who", ["trainer", "referrer"], ids=["trainer's session page", "referrer's session page"]
)
def test_session_page_query_count_is_constant(
    training: TrainingWorld, django_assert_max_num_queries: Any, who: str
) -> None:
    user = training.trainer if who == "trainer" else training.world.referrer
    client = training.world.client_for(user)
    url = reverse("training:session_detail", args=[training.session.pk])
    _enrol_many(training, 1)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _enrol_many(training, 6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('data-testid="enrolment-row"') == 7


def test_catalogue_and_api_lists_query_count_is_constant(
    training: TrainingWorld, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = training.world.client_for(training.trainer)
    urls = [
        reverse("training:catalogue"),
        "/api/v1/training/modules/",
        "/api/v1/training/sessions/",
        "/api/v1/training/enrolments/",
    ]
    _enrol_many(training, 1)
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts[url] = len(ctx.captured_queries)
    for i in range(5):
        module = services.module_create(
            actor=training.trainer,
            network=training.world.network,
            organisation=training.centre,
            kind="other",
            names={"nl": f"Module {i}"},
        )
        services.session_create(
            actor=training.trainer,
            module=module,
            date=training.care.monday,
            start_time=dt.time(9),
            end_time=dt.time(12),
            seats=5,
            address="Markt 1",
            postcode="9900",
        )
    _enrol_many(training, 5)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_trainer_edits_the_module_and_others_cannot(training: TrainingWorld) -> None:
    url = reverse("training:module_edit", args=[training.module.pk])
    trainer = training.world.client_for(training.trainer)
    page = trainer.get(url).content.decode()
    assert 'value="Journée ONKI"' in page
    response = trainer.post(
        url, {"kind": "onki_day", "name_nl": "ONKI-dag", "name_tr": "ONKI günü"}
    )
    assert response.status_code == 302
    training.module.refresh_from_db()
    assert training.module.names == {"nl": "ONKI-dag", "tr": "ONKI günü"}
    response = trainer.post(url, {"kind": "onki_day", "name_nl": ""})
    assert response.status_code == 400
    training.module.refresh_from_db()
    assert training.module.names["nl"] == "ONKI-dag"
    for user in (training.other_trainer, training.world.referrer):
        assert training.world.client_for(user).post(url, {"kind": "other"}).status_code == 403


def test_trainer_cancels_a_session_from_its_page(training: TrainingWorld) -> None:
    services.enrolment_create(
        actor=training.world.referrer, session=training.session, client=training.mother
    )
    trainer = training.world.client_for(training.trainer)
    url = reverse("training:session_detail", args=[training.session.pk])
    response = trainer.post(url, {"form": "cancel_session", "reason": "Trainer ziek"})
    assert response.status_code == 302
    training.session.refresh_from_db()
    assert training.session.is_cancelled
    # The referrer finds the care to cancel on the worklist, and cancels it there.
    referrer = training.world.client_for(training.world.referrer)
    page = referrer.get(reverse("pathways:worklist")).content.decode()
    assert 'data-testid="training-care"' in page
    enrolment = Enrolment.objects.get()
    response = referrer.post(
        reverse("training:enrolment_care", args=[enrolment.pk]), {"next": "worklist"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("pathways:worklist")
    enrolment.refresh_from_db()
    assert enrolment.care_status == "cancelled"
    assert enrolment.care_request is not None and enrolment.care_request.status == "cancelled"
