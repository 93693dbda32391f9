"""Who sees which enrolments: trainers those of their organisation's sessions (a name, never
a screening or an income), referrers those of their clients, researchers nothing personal."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.training.conftest import TrainingWorld, another_client
from zorgbrug.access import scoping
from zorgbrug.clients.models import FollowingOrganisation
from zorgbrug.training import services
from zorgbrug.training.models import Enrolment

pytestmark = pytest.mark.django_db

# Words of the client record a trainer must never read: the income, the screening.
PRIVATE = [
    "social_integration",
    "leefloon",
    "Social integration income",
    "barrier",
    "screening",
    "0470",
    "Kerkstraat",
    "1990",
]


@pytest.fixture
def enrolled(training: TrainingWorld) -> Enrolment:
    return services.enrolment_create(
        actor=training.world.referrer, session=training.session, client=training.mother
    )


def _ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_scoping_of_enrolments(training: TrainingWorld, enrolled: Enrolment) -> None:
    w = training.world
    assert _ids(scoping.training_enrolments(training.trainer)) == {enrolled.pk}
    assert _ids(scoping.training_enrolments(w.referrer)) == {enrolled.pk}
    for outsider in (
        training.other_trainer,
        w.trainer,  # a trainer, but of an organisation that gives no training here
        w.other_referrer,
        w.provider,
        w.researcher,
        w.far_referrer,
        w.far_coordinator,
    ):
        assert not _ids(scoping.training_enrolments(outsider)), outsider
    # The catalogue is no secret inside the network, and invisible outside it.
    assert _ids(scoping.training_modules(w.researcher)) == {training.module.pk}
    assert not _ids(scoping.training_modules(w.far_referrer))
    assert not _ids(scoping.training_modules(training.world.researcher, manage=True))


def test_trainer_reads_a_name_and_nothing_else(
    training: TrainingWorld, enrolled: Enrolment
) -> None:
    trainer = training.world.client_for(training.trainer)
    html = trainer.get(reverse("training:session_detail", args=[training.session.pk])).content
    page = html.decode()
    assert "Amina" in page and "El Idrissi" in page
    for word in PRIVATE:
        assert word not in page, word
    api = trainer.get("/api/v1/training/enrolments/").json()
    assert api["count"] == 1
    row = api["results"][0]
    assert row["client"] == {
        "id": training.mother.pk,
        "first_name": "Amina",
        "last_name": "El Idrissi",
    }
    assert row["care_request"] is None  # the care request belongs to the referrer's side
    text = str(api)
    for word in PRIVATE:
        assert word not in text, word
    # The client record, its screenings and care requests stay closed to the trainer.
    assert trainer.get(reverse("clients:client_detail", args=[training.mother.pk])).status_code in (
        403,
        404,
    )
    assert trainer.get(f"/api/v1/clients/{training.mother.pk}/screenings/").status_code in (
        403,
        404,
    )
    assert (
        trainer.get(reverse("care:request_detail", args=[enrolled.care_request_id])).status_code
        == 404
    )
    assert (
        trainer.get(reverse("pathways:client_pathway", args=[training.mother.pk])).status_code
        == 404
    )


def test_referrers_see_only_their_clients(training: TrainingWorld, enrolled: Enrolment) -> None:
    w = training.world
    mine = another_client(w, 1, first_name="Eigen", last_name="Cliënt")
    other_client = another_client(w, 2, first_name="Vreemde", last_name="Persoon")
    FollowingOrganisation.objects.filter(client=other_client).update(organisation=w.other_org)
    services.enrolment_create(actor=w.referrer, session=training.session, client=mine)
    services.enrolment_create(actor=w.other_referrer, session=training.session, client=other_client)
    other = w.client_for(w.other_referrer)
    page = other.get(
        reverse("training:session_detail", args=[training.session.pk])
    ).content.decode()
    assert "Vreemde" in page and "El Idrissi" not in page and "Eigen" not in page
    api = other.get("/api/v1/training/enrolments/").json()
    assert [r["client"]["first_name"] for r in api["results"]] == ["Vreemde"]
    assert other.get(f"/api/v1/training/enrolments/{enrolled.pk}/").status_code == 404
    # The trainer sees all three, by name.
    trainer = w.client_for(training.trainer)
    names = {
        r["client"]["first_name"]
        for r in trainer.get("/api/v1/training/enrolments/").json()["results"]
    }
    assert names == {"Amina", "Eigen", "Vreemde"}
    # Another centre's trainer sees none of them.
    assert (
        w.client_for(training.other_trainer).get("/api/v1/training/enrolments/").json()["count"]
        == 0
    )


def test_researcher_sees_nothing_personal(training: TrainingWorld, enrolled: Enrolment) -> None:
    researcher = training.world.client_for(training.world.researcher)
    page = researcher.get(
        reverse("training:session_detail", args=[training.session.pk])
    ).content.decode()
    # The client's name; not "Amina" alone, which a Faker staff name on the page may hold.
    assert "Amina El Idrissi" not in page and "El Idrissi" not in page
    assert researcher.get("/api/v1/training/enrolments/").json()["count"] == 0
    assert researcher.get(f"/api/v1/training/enrolments/{enrolled.pk}/").status_code == 404
    assert researcher.get(reverse("training:certificate", args=[enrolled.pk])).status_code == 404
    assert researcher.get(reverse("pathways:worklist")).status_code == 403
    assert researcher.get("/api/v1/pathways/outcomes/").json()["count"] == 0


def test_outsiders_cannot_act_on_an_enrolment(training: TrainingWorld, enrolled: Enrolment) -> None:
    for user in (training.other_trainer, training.world.other_referrer, training.world.researcher):
        c = training.world.client_for(user)
        assert c.post(reverse("training:enrolment_cancel", args=[enrolled.pk])).status_code == 404
        assert (
            c.post(
                reverse("training:enrolment_attendance", args=[enrolled.pk]),
                {"attendance": "present"},
            ).status_code
            == 404
        )
        assert c.post(f"/api/v1/training/enrolments/{enrolled.pk}/cancel/").status_code == 404
    enrolled.refresh_from_db()
    assert enrolled.status == "enrolled" and enrolled.attendance == ""


def test_anonymous_is_sent_to_log_in(training: TrainingWorld) -> None:
    anonymous = training.world.client_for(None)
    assert anonymous.get(reverse("training:catalogue")).status_code == 302
    assert anonymous.get("/api/v1/training/modules/").status_code in (401, 403)
