"""/api/v1/training/: the catalogue, sessions and enrolments through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.training.conftest import TrainingWorld, another_client
from zorgbrug.training.models import Enrolment, Module, Session

pytestmark = pytest.mark.django_db


def test_trainer_builds_the_catalogue_through_the_api(training: TrainingWorld) -> None:
    api = training.world.client_for(training.trainer)
    response = api.post(
        "/api/v1/training/modules/",
        {
            "network": training.world.network.pk,
            "organisation": training.centre.pk,
            "kind": "work_and_family",
            "names": {"nl": "Werk en gezin combineren", "en": "Combining work and family"},
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 201, response.json()
    module = response.json()
    assert module["name"] == "Combining work and family"
    response = api.post(
        "/api/v1/training/sessions/",
        {
            "module": module["id"],
            "date": training.care.monday.isoformat(),
            "start_time": "13:00",
            "end_time": "16:00",
            "seats": 10,
            "site": training.centre_site.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["free"] == 10
    response = api.patch(
        f"/api/v1/training/modules/{module['id']}/",
        {"is_active": False},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_referrer_enrols_through_the_api_and_cancels(training: TrainingWorld) -> None:
    api = training.world.client_for(training.world.referrer)
    yusuf = training.mother.care_recipients.get(first_name="Yusuf")
    response = api.post(
        "/api/v1/training/enrolments/",
        {"session": training.session.pk, "client": training.mother.pk, "care_for": [yusuf.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "enrolled" and body["care_status"] == "asked"
    enrolment = Enrolment.objects.get(pk=body["id"])
    assert enrolment.care_request is not None
    assert [r.first_name for r in enrolment.care_request.recipients.all()] == ["Yusuf"]
    assert body["care_request"] == enrolment.care_request_id
    response = api.post(
        f"/api/v1/training/enrolments/{body['id']}/cancel/",
        {"reason": "ziek"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["enrolment"]["status"] == "cancelled"
    assert response.json()["enrolment"]["care_status"] == "cancelled"


def test_api_bad_input_is_a_400_and_changes_nothing(training: TrainingWorld) -> None:
    api = training.world.client_for(training.trainer)
    before = (Module.objects.count(), Session.objects.count(), Enrolment.objects.count())
    response = api.post(
        "/api/v1/training/sessions/",
        {
            "module": training.module.pk,
            "date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "start_time": "09:00",
            "end_time": "12:00",
            "seats": 5,
            "address": "Markt 1",
            "postcode": "9900",
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["date"] == ["A session cannot be planned in the past."]
    response = api.post(
        "/api/v1/training/modules/",
        {
            "network": training.world.network.pk,
            "organisation": training.centre.pk,
            "kind": "other",
            "names": {"en": "No Dutch name"},
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "names" in response.json()
    referrer = training.world.client_for(training.world.referrer)
    response = referrer.patch(
        f"/api/v1/training/sessions/{training.session.pk}/",
        {"seats": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    # A full session, and no waiting list wanted.
    Session.objects.filter(pk=training.session.pk).update(seats=1, taken=1)
    other = another_client(training.world, 1)
    response = referrer.post(
        "/api/v1/training/enrolments/",
        {"session": training.session.pk, "client": other.pk, "waitlist": False},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "This session is full" in response.json()["session"][0]
    # A client the referrer does not follow is unknown.
    response = referrer.post(
        "/api/v1/training/enrolments/",
        {"session": training.session.pk, "client": 999999},
        content_type="application/json",
    )
    assert response.status_code == 400 and "client" in response.json()
    assert (Module.objects.count(), Session.objects.count(), Enrolment.objects.count()) == before


def test_trainer_registers_attendance_through_the_api(training: TrainingWorld) -> None:
    referrer = training.world.client_for(training.world.referrer)
    body = referrer.post(
        "/api/v1/training/enrolments/",
        {"session": training.session.pk, "client": training.mother.pk},
        content_type="application/json",
    ).json()
    trainer = training.world.client_for(training.trainer)
    url = f"/api/v1/training/enrolments/{body['id']}/attendance/"
    early = trainer.post(url, {"attendance": "present"}, content_type="application/json")
    assert early.status_code == 400
    Session.objects.filter(pk=training.session.pk).update(date=timezone.localdate())
    response = trainer.post(url, {"attendance": "present"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["attendance"] == "present"
    assert (
        referrer.post(url, {"attendance": "absent"}, content_type="application/json").status_code
        == 403
    )
