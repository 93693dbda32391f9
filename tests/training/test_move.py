"""Moving a training session to another date, hours or place: the enrolments stay, and
the care asked for the old date moves with it — at once when the one who moves it follows
the client, else through the referrer's worklist — and is never charged as late."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from tests.care.conftest import next_monday
from tests.training.conftest import TrainingWorld, another_client
from zorgbrug.access.models import AuditEvent
from zorgbrug.care import calendar as cal
from zorgbrug.care import services as care_services
from zorgbrug.care.models import Booking, BookingStatus, CareRequest, RequestStatus
from zorgbrug.clients.models import FollowingOrganisation
from zorgbrug.pathways import selectors as pathway_selectors
from zorgbrug.training import services
from zorgbrug.training.models import CareStatus, Enrolment, EnrolmentStatus, Session

pytestmark = pytest.mark.django_db


def _enrol(t: TrainingWorld, client: Any = None) -> Enrolment:
    return services.enrolment_create(
        actor=t.world.referrer, session=t.session, client=client or t.mother
    )


def _book(t: TrainingWorld, request: CareRequest) -> None:
    plan = {(n.date, n.day_part): t.care.near.pk for n in request.needs.all()}
    care_services.booking_create(actor=t.world.referrer, request=request, plan=plan)


def _new_day(t: TrainingWorld) -> dt.date:
    """The Tuesday after next: a weekday without a public holiday, still in the world's
    three holiday-free weeks."""
    day = t.care.monday + dt.timedelta(days=8)
    assert not cal.is_public_holiday(day)
    return day


def _move(t: TrainingWorld, actor: Any, **kw: Any) -> services.Moved:
    values: dict[str, Any] = {
        "date": _new_day(t),
        "start_time": dt.time(9, 0),
        "end_time": dt.time(15, 0),
    }
    values.update(kw)
    return services.session_move(actor=actor, session=t.session, **values)


def _state(t: TrainingWorld) -> tuple[Any, ...]:
    session = Session.objects.get(pk=t.session.pk)
    return (
        session.date,
        session.start_time,
        session.end_time,
        session.site_id,
        session.address,
        session.taken,
        sorted(Enrolment.objects.values_list("pk", "status", "care_status", "care_request_id")),
        sorted(CareRequest.objects.values_list("pk", "status")),
        sorted(Booking.objects.values_list("pk", "status")),
        AuditEvent.objects.count(),
    )


def test_a_trainer_moves_the_session_and_the_referrer_moves_the_care(
    training: TrainingWorld,
) -> None:
    enrolment = _enrol(training)
    old_request = enrolment.care_request
    assert old_request is not None
    _book(training, old_request)
    assert Booking.objects.filter(request=old_request, status=BookingStatus.CONFIRMED).count() == 4

    moved = _move(training, training.trainer, start_time=dt.time(13, 0), end_time=dt.time(16, 0))

    assert (moved.care_moved, moved.care_to_move) == (0, 1)
    session = Session.objects.get(pk=training.session.pk)
    assert (session.date, session.start_time, session.end_time) == (
        _new_day(training),
        dt.time(13, 0),
        dt.time(16, 0),
    )
    assert session.taken == 1  # the seat stays
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.care_status == CareStatus.TO_MOVE
    assert _new_day(training).strftime("%d/%m/%Y") in enrolment.care_note
    # The trainer does not follow the client: the care is left as it was, for the referrer,
    # whose worklist shows it.
    assert Booking.objects.filter(request=old_request, status=BookingStatus.CONFIRMED).count() == 4
    worklist = pathway_selectors.worklist(user=training.world.referrer)
    assert [e.pk for e in worklist["training_care"]] == [enrolment.pk]

    services.enrolment_care_sync(actor=training.world.referrer, enrolment=enrolment)

    enrolment.refresh_from_db()
    assert enrolment.care_status == CareStatus.ASKED
    old_request.refresh_from_db()
    assert old_request.status == RequestStatus.CANCELLED
    # Cancelled in time, whatever the day: the family did not cause it.
    assert set(Booking.objects.filter(request=old_request).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED
    }
    new_request = enrolment.care_request
    assert new_request is not None and new_request.pk != old_request.pk
    assert new_request.status == RequestStatus.OPEN
    assert sorted(r.first_name for r in new_request.recipients.all()) == ["Lina", "Yusuf"]
    assert new_request.activity.first_date == _new_day(training)
    assert new_request.activity.start_time == dt.time(13, 0)
    # 13:00–16:00 with the travel time: the afternoon only.
    assert {(n.date, n.day_part) for n in new_request.needs.all()} == {(_new_day(training), "pm")}
    assert pathway_selectors.worklist(user=training.world.referrer)["training_care"] == []


def test_someone_who_follows_the_client_moves_the_care_at_once(training: TrainingWorld) -> None:
    # The coordinator manages the network's modules and follows the mother too.
    FollowingOrganisation.objects.create(
        client=training.mother, organisation=training.world.coordinator_org
    )
    enrolment = _enrol(training)
    old_request = enrolment.care_request
    assert old_request is not None

    moved = _move(training, training.world.coordinator)

    assert (moved.care_moved, moved.care_to_move) == (1, 0)
    enrolment.refresh_from_db()
    assert enrolment.care_status == CareStatus.ASKED
    assert enrolment.care_request_id not in (None, old_request.pk)
    old_request.refresh_from_db()
    assert old_request.status == RequestStatus.CANCELLED
    event = AuditEvent.objects.filter(object_type="training.session").latest("pk")
    assert event.detail["care_moved"] == 1
    assert event.detail["moved_to"].startswith(_new_day(training).isoformat())


def test_moved_care_is_never_charged_as_late(
    training: TrainingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every cancellation falls inside the late window, as on the eve of the session.
    monkeypatch.setattr(care_services, "cancellation_is_late", lambda *a, **k: True)
    first = _enrol(training)
    assert first.care_request is not None
    _book(training, first.care_request)
    # A family's own cancellation on the eve is late …
    services.enrolment_cancel(actor=training.world.referrer, enrolment=first)
    assert set(
        Booking.objects.filter(request=first.care_request).values_list("status", flat=True)
    ) == {BookingStatus.CANCELLED_LATE}
    # … a session moved by the training provider is not.
    again = _enrol(training)
    moved_request = again.care_request
    assert moved_request is not None
    _book(training, moved_request)
    _move(training, training.trainer)
    again.refresh_from_db()
    services.enrolment_care_sync(actor=training.world.referrer, enrolment=again)
    assert set(Booking.objects.filter(request=moved_request).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED
    }


def test_moving_to_another_place(training: TrainingWorld) -> None:
    FollowingOrganisation.objects.create(
        client=training.mother, organisation=training.world.coordinator_org
    )
    enrolment = _enrol(training)
    assert training.session.site_id == training.centre_site.pk
    _move(
        training,
        training.world.coordinator,
        date=training.session.date,
        site=None,
        address="Stationsstraat 1",
        postcode="9900",
    )
    session = Session.objects.get(pk=training.session.pk)
    assert session.site_id is None
    assert (session.address, session.postcode, session.municipality) == (
        "Stationsstraat 1",
        "9900",
        "Eeklo",
    )
    enrolment.refresh_from_db()
    assert enrolment.care_request is not None
    assert enrolment.care_request.activity.location.startswith("Stationsstraat 1")


def test_the_waiting_list_and_care_free_enrolments_stay_as_they_are(
    training: TrainingWorld,
) -> None:
    Session.objects.filter(pk=training.session.pk).update(seats=1)
    training.session.refresh_from_db()
    enrolled = _enrol(training)
    waiting = _enrol(training, another_client(training.world, 2))
    assert waiting.status == EnrolmentStatus.WAITLISTED
    _move(training, training.trainer)
    waiting.refresh_from_db()
    assert waiting.status == EnrolmentStatus.WAITLISTED
    assert waiting.care_status == CareStatus.NONE
    enrolled.refresh_from_db()
    assert enrolled.care_status == CareStatus.TO_MOVE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": dt.date(2020, 3, 2)}, "date"),
        ({"start_time": dt.time(15, 0), "end_time": dt.time(9, 0)}, "end_time"),
        ({"site": None, "address": "", "postcode": "0000"}, "address"),
        ({"site": None, "address": "Kerkstraat 1", "postcode": "0000"}, "postcode"),
    ],
    ids=["in-the-past", "ends-before-it-starts", "no-place", "unknown-postcode"],
)
def test_bad_input_says_why_and_changes_nothing(
    training: TrainingWorld, change: dict[str, Any], field: str
) -> None:
    _enrol(training)
    before = _state(training)
    with pytest.raises(ValidationError) as refused:
        _move(training, training.trainer, **change)
    assert field in refused.value.message_dict
    assert _state(training) == before


def test_a_public_holiday_is_refused(training: TrainingWorld) -> None:
    day = next_monday()
    while not cal.is_public_holiday(day):
        day += dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        _move(training, training.trainer, date=day)
    assert "feestdag" in refused.value.message_dict["date"][0]  # Dutch, the default


def test_moving_nowhere_is_refused(training: TrainingWorld) -> None:
    before = _state(training)
    with pytest.raises(ValidationError):
        _move(training, training.trainer, date=training.session.date)
    assert _state(training) == before


def test_a_started_or_cancelled_session_cannot_be_moved(training: TrainingWorld) -> None:
    Session.objects.filter(pk=training.session.pk).update(
        date=timezone.localdate() - dt.timedelta(days=1)
    )
    training.session.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError, match="started"):
        _move(training, training.trainer)
    Session.objects.filter(pk=training.session.pk).update(
        date=_new_day(training), cancelled_at=timezone.now()
    )
    training.session.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError, match="cancelled"):
        _move(training, training.trainer, date=_new_day(training) + dt.timedelta(days=1))


def test_only_who_manages_the_module_moves_its_sessions(training: TrainingWorld) -> None:
    _enrol(training)
    before = _state(training)
    for user in (training.other_trainer, training.world.referrer, training.world.provider):
        with pytest.raises(PermissionDenied):
            _move(training, user)
    assert _state(training) == before


# --- The page and the API ------------------------------------------------------------------


def _form(t: TrainingWorld, **kw: str) -> dict[str, str]:
    data = {
        "form": "move",
        "move-date": _new_day(t).isoformat(),
        "move-start_time": "09:00",
        "move-end_time": "15:00",
        "move-site": str(t.centre_site.pk),
        "move-address": "",
        "move-postcode": "",
        "move-reason": "Lokaal niet vrij",
    }
    data.update({f"move-{k}": v for k, v in kw.items()})
    return data


def test_trainer_moves_the_session_from_its_page(training: TrainingWorld) -> None:
    enrolment = _enrol(training)
    trainer = training.world.client_for(training.trainer)
    url = reverse("training:session_detail", args=[training.session.pk])
    page = trainer.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="move-form"' in page.content.decode()

    refused = trainer.post(url, _form(training, end_time="08:00"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "The session must end after it starts." in refused.content.decode()
    assert Session.objects.get(pk=training.session.pk).date == training.care.monday

    done = trainer.post(url, _form(training), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert done.status_code == 200
    text = done.content.decode()
    assert f"The session now takes place on {_new_day(training):%d/%m/%Y}" in text
    assert "The referrer of 1 participant moves their care." in text
    assert Session.objects.get(pk=training.session.pk).date == _new_day(training)

    # The referrer sees the care to move on the session page, and moves it with one click.
    referrer = training.world.client_for(training.world.referrer)
    seen = referrer.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Move the care now" in seen
    assert 'data-testid="move-form"' not in seen  # the referrer does not manage the session
    referrer.post(reverse("training:enrolment_care", args=[enrolment.pk]))
    enrolment.refresh_from_db()
    assert enrolment.care_status == CareStatus.ASKED


def test_the_move_form_speaks_dutch_and_french(training: TrainingWorld) -> None:
    trainer = training.world.client_for(training.trainer)
    url = reverse("training:session_detail", args=[training.session.pk])
    assert "De sessie verplaatsen" in trainer.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Déplacer la session" in trainer.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_trainer_moves_the_session_through_the_api(training: TrainingWorld) -> None:
    _enrol(training)
    api = training.world.client_for(training.trainer)
    url = f"/api/v1/training/sessions/{training.session.pk}/move/"
    body = {"date": _new_day(training).isoformat(), "start_time": "10:00", "end_time": "12:00"}

    refused = api.post(url, {**body, "end_time": "09:00"}, content_type="application/json")
    assert refused.status_code == 400
    assert "end_time" in refused.json()

    moved = api.post(url, body, content_type="application/json")
    assert moved.status_code == 200, moved.json()
    data = moved.json()
    assert data["session"]["date"] == _new_day(training).isoformat()
    assert data["session"]["start_time"] == "10:00:00"
    assert data["session"]["site"] == training.centre_site.pk  # the place stays
    assert (data["care_moved"], data["care_to_move"]) == (0, 1)

    other = training.world.client_for(training.other_trainer)
    assert other.post(url, body, content_type="application/json").status_code in (403, 404)


def test_the_parent_hears_why_the_care_was_cancelled(
    training: TrainingWorld, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from zorgbrug.care.models import Notification

    FollowingOrganisation.objects.create(
        client=training.mother, organisation=training.world.coordinator_org
    )
    training.mother.email = "amina@example.org"
    training.mother.languages = ["tr", "nl"]
    training.mother.save()
    enrolment = _enrol(training)
    assert enrolment.care_request is not None
    _book(training, enrolment.care_request)
    with django_capture_on_commit_callbacks(execute=True):
        _move(training, training.world.coordinator)
    note = Notification.objects.get(kind="moved", channel="email")
    assert note.request_id == enrolment.care_request_id
    assert note.language == "tr" and note.status == "sent"
    assert note.subject == "Etkinliğiniz taşındı"
    assert "ücretsiz" in note.body  # cancelled free of charge, in Turkish
    assert not Notification.objects.filter(kind="cancellation").exists()


def test_a_busy_session_says_try_again_on_every_form(
    training: TrainingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another enrolment holding the session's lock gives "try again", never an error page."""

    def busy(**kwargs: Any) -> Any:
        raise services.Busy

    trainer = training.world.client_for(training.trainer)
    url = reverse("training:session_detail", args=[training.session.pk])
    for name in ("session_move", "session_update", "session_cancel"):
        monkeypatch.setattr(services, name, busy)
    answers = [
        trainer.post(url, _form(training), HTTP_ACCEPT_LANGUAGE="en"),
        trainer.post(url, {"form": "seats", "seats-seats": "20"}, HTTP_ACCEPT_LANGUAGE="en"),
        trainer.post(url, {"form": "cancel_session"}, HTTP_ACCEPT_LANGUAGE="en", follow=True),
    ]
    for answer in answers:
        assert "Someone else is enrolling right now. Try again." in answer.content.decode()
    assert [a.status_code for a in answers] == [400, 400, 200]
    assert Session.objects.get(pk=training.session.pk).date == training.care.monday
