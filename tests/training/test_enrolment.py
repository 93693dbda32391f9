"""Enrolment: seats and the waiting list, the care that follows, attendance, certificates."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from pypdf import PdfReader

from tests.training.conftest import TrainingWorld, another_client
from tests.training.factories import session_kwargs
from zorgbrug.access.models import AuditEvent
from zorgbrug.care import services as care_services
from zorgbrug.care.models import Activity, Booking, CareRequest, RequestStatus
from zorgbrug.clients.models import FollowingOrganisation
from zorgbrug.training import selectors, services
from zorgbrug.training.certificates import certificate_pdf
from zorgbrug.training.models import CareStatus, Enrolment, EnrolmentStatus, Session

pytestmark = pytest.mark.django_db


def _enrol(t: TrainingWorld, client: Any = None, session: Session | None = None, **kw: Any) -> Any:
    return services.enrolment_create(
        actor=t.world.referrer, session=session or t.session, client=client or t.mother, **kw
    )


def _snapshot() -> tuple[int, ...]:
    return (
        Enrolment.objects.count(),
        CareRequest.objects.count(),
        Activity.objects.count(),
        AuditEvent.objects.count(),
        *Session.objects.order_by("pk").values_list("taken", flat=True),
    )


def test_enrolling_a_mother_of_two_asks_care_for_both_children(training: TrainingWorld) -> None:
    enrolment = _enrol(training)
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.care_status == CareStatus.ASKED
    request = enrolment.care_request
    assert request is not None
    assert request.activity.kind == "training_session"
    assert request.activity.first_date == training.session.date
    assert sorted(r.first_name for r in request.recipients.all()) == ["Lina", "Yusuf"]
    assert {(n.date, n.day_part) for n in request.needs.all()} == {
        (training.session.date, "am"),
        (training.session.date, "pm"),
    }
    training.session.refresh_from_db()
    assert training.session.taken == 1


def test_one_care_request_per_session(training: TrainingWorld) -> None:
    second = services.session_create(
        actor=training.trainer,
        module=training.module,
        date=training.care.monday + dt.timedelta(days=1),
        **session_kwargs(),
    )
    first_enrolment = _enrol(training)
    second_enrolment = _enrol(training, session=second)
    assert first_enrolment.care_request_id != second_enrolment.care_request_id
    assert CareRequest.objects.filter(client=training.mother).count() == 2


def test_full_session_puts_the_next_on_the_waiting_list(training: TrainingWorld) -> None:
    services.session_update(actor=training.trainer, session=training.session, seats=1)
    _enrol(training)
    other = another_client(training.world, 1)
    waiting = _enrol(training, client=other)
    assert waiting.status == EnrolmentStatus.WAITLISTED
    assert waiting.care_status == CareStatus.NONE and waiting.care_request is None
    training.session.refresh_from_db()
    assert training.session.taken == 1


def test_enrolment_beyond_the_seats_is_refused_and_changes_nothing(
    training: TrainingWorld,
) -> None:
    services.session_update(actor=training.trainer, session=training.session, seats=1)
    _enrol(training)
    other = another_client(training.world, 1)
    before = _snapshot()
    with translation.override("nl"), pytest.raises(ValidationError) as exc:
        _enrol(training, client=other, waitlist=False)
    assert "session" in exc.value.message_dict
    with translation.override("en"), pytest.raises(ValidationError) as exc_en:
        _enrol(training, client=other, waitlist=False)
    assert "This session is full: all 1 seats are taken" in exc_en.value.message_dict["session"][0]
    assert _snapshot() == before


def test_seats_cannot_drop_below_the_enrolled(training: TrainingWorld) -> None:
    _enrol(training)
    _enrol(training, client=another_client(training.world, 1))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.session_update(actor=training.trainer, session=training.session, seats=1)
    assert "seats" in exc.value.message_dict
    training.session.refresh_from_db()
    assert training.session.seats == 12
    assert _snapshot() == before


def test_enrolment_in_a_past_session_is_refused(training: TrainingWorld) -> None:
    Session.objects.filter(pk=training.session.pk).update(
        date=timezone.localdate() - dt.timedelta(days=1)
    )
    training.session.refresh_from_db()
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        _enrol(training)
    assert "session" in exc.value.message_dict
    assert _snapshot() == before


def test_the_same_client_twice_is_refused(training: TrainingWorld) -> None:
    _enrol(training)
    before = _snapshot()
    with pytest.raises(ValidationError):
        _enrol(training)
    assert _snapshot() == before


def test_cancelling_frees_the_seat_for_the_first_on_the_waiting_list(
    training: TrainingWorld,
) -> None:
    services.session_update(actor=training.trainer, session=training.session, seats=1)
    first = _enrol(training)
    second = _enrol(training, client=another_client(training.world, 1))
    third = _enrol(training, client=another_client(training.world, 2))
    assert second.status == third.status == EnrolmentStatus.WAITLISTED
    promoted = services.enrolment_cancel(actor=training.world.referrer, enrolment=first)
    assert [e.pk for e in promoted] == [second.pk]
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == EnrolmentStatus.ENROLLED
    assert second.care_status == CareStatus.ASKED  # the referrer follows them: care asked
    assert third.status == EnrolmentStatus.WAITLISTED
    training.session.refresh_from_db()
    assert training.session.taken == 1


def test_more_seats_serve_the_waiting_list_in_order(training: TrainingWorld) -> None:
    services.session_update(actor=training.trainer, session=training.session, seats=1)
    _enrol(training)
    waiting = [_enrol(training, client=another_client(training.world, n)) for n in range(1, 4)]
    services.session_update(actor=training.trainer, session=training.session, seats=3)
    statuses = [Enrolment.objects.get(pk=e.pk).status for e in waiting]
    assert statuses == ["enrolled", "enrolled", "waitlisted"]


def test_cancelling_cancels_the_open_care_request(training: TrainingWorld) -> None:
    enrolment = _enrol(training)
    request = enrolment.care_request
    services.enrolment_cancel(actor=training.world.referrer, enrolment=enrolment)
    request.refresh_from_db()
    enrolment.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert enrolment.care_status == CareStatus.CANCELLED
    assert enrolment.status == EnrolmentStatus.CANCELLED


def test_cancelling_cancels_the_booked_care(training: TrainingWorld) -> None:
    enrolment = _enrol(training)
    request = enrolment.care_request
    plan = {(n.date, n.day_part): training.care.near.pk for n in request.needs.all()}
    care_services.booking_create(actor=training.world.referrer, request=request, plan=plan)
    assert Booking.objects.filter(request=request, status="confirmed").count() == 4
    services.enrolment_cancel(actor=training.world.referrer, enrolment=enrolment)
    assert not Booking.objects.filter(request=request, status="confirmed").exists()
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED


def test_a_trainer_enrols_and_the_referrer_asks_the_care(training: TrainingWorld) -> None:
    other = another_client(training.world, 1)
    # The trainer's centre follows this client (it refers too, in this story).
    FollowingOrganisation.objects.create(client=other, organisation=training.centre)
    enrolment = services.enrolment_create(
        actor=training.trainer, session=training.session, client=other
    )
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.care_status == CareStatus.TO_ASK
    assert not CareRequest.objects.filter(client=other).exists()
    with pytest.raises(PermissionDenied):
        services.enrolment_care_sync(actor=training.trainer, enrolment=enrolment)
    enrolment = services.enrolment_care_sync(actor=training.world.referrer, enrolment=enrolment)
    assert enrolment.care_status == CareStatus.ASKED
    assert CareRequest.objects.filter(client=other).count() == 1
    # The trainer cancels: the care is left to the referrer, who cancels it.
    services.enrolment_cancel(actor=training.trainer, enrolment=enrolment)
    enrolment.refresh_from_db()
    assert enrolment.care_status == CareStatus.TO_CANCEL
    services.enrolment_care_sync(actor=training.world.referrer, enrolment=enrolment)
    enrolment.refresh_from_db()
    assert enrolment.care_status == CareStatus.CANCELLED
    assert CareRequest.objects.get(client=other).status == RequestStatus.CANCELLED


def test_a_trainer_cannot_enrol_a_stranger(training: TrainingWorld) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.enrolment_create(
            actor=training.trainer, session=training.session, client=training.mother
        )
    with pytest.raises(PermissionDenied):
        services.enrolment_create(
            actor=training.world.other_referrer, session=training.session, client=training.mother
        )
    assert _snapshot() == before


def test_a_client_without_young_children_needs_no_care(training: TrainingWorld) -> None:
    training.mother.care_recipients.update(birth_date=dt.date(2008, 1, 1))
    enrolment = _enrol(training)
    assert enrolment.care_status == CareStatus.NONE
    assert not CareRequest.objects.exists()


def _on_the_day(t: TrainingWorld) -> None:
    Session.objects.filter(pk=t.session.pk).update(date=timezone.localdate())
    t.session.refresh_from_db()


def test_attendance_on_the_day_not_before(training: TrainingWorld) -> None:
    enrolment = _enrol(training)
    with pytest.raises(ValidationError):
        services.attendance_register(
            actor=training.trainer, enrolment=enrolment, attendance="present"
        )
    enrolment.refresh_from_db()
    assert enrolment.attendance == ""
    _on_the_day(training)
    enrolment = Enrolment.objects.get(pk=enrolment.pk)
    with pytest.raises(PermissionDenied):
        services.attendance_register(
            actor=training.other_trainer, enrolment=enrolment, attendance="present"
        )
    with pytest.raises(PermissionDenied):
        services.attendance_register(
            actor=training.world.referrer, enrolment=enrolment, attendance="present"
        )
    services.attendance_register(actor=training.trainer, enrolment=enrolment, attendance="present")
    enrolment.refresh_from_db()
    assert enrolment.attendance == "present"


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_certificate_has_the_name_and_the_module_in_the_clients_language(
    training: TrainingWorld,
) -> None:
    enrolment = _enrol(training)
    _on_the_day(training)
    services.attendance_register(actor=training.trainer, enrolment=enrolment, attendance="present")
    data = selectors.certificate_data(user=training.trainer, enrolment_pk=enrolment.pk)
    pdf, _name = certificate_pdf(data)
    text = _pdf_text(pdf)
    assert pdf.startswith(b"%PDF")
    assert "Amina El Idrissi" in text
    # Amina speaks Arabic first, then Dutch: the module has no Arabic name, so Dutch.
    assert "ONKI-dag" in text
    training.mother.languages = ["fr", "nl"]
    training.mother.save(update_fields=["languages"])
    data = selectors.certificate_data(user=training.world.referrer, enrolment_pk=enrolment.pk)
    text = _pdf_text(certificate_pdf(data)[0])
    assert "Journée ONKI" in text and "Amina El Idrissi" in text


def test_no_certificate_without_attendance(training: TrainingWorld) -> None:
    from django.http import Http404

    enrolment = _enrol(training)
    with pytest.raises(Http404):
        selectors.certificate_data(user=training.trainer, enrolment_pk=enrolment.pk)
