"""Capacity, proposals and booking: all-or-nothing, never overbooked, clear refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone, translation

from tests.care.conftest import CareWorld, reserve
from zorgbrug.access.models import AuditEvent
from zorgbrug.care import selectors, services
from zorgbrug.care.capacity import capacity_rebuild
from zorgbrug.care.models import (
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    Notification,
    RequestStatus,
)
from zorgbrug.clients.models import CareRecipient
from zorgbrug.jobs.models import Job

pytestmark = pytest.mark.django_db


def course(
    care: CareWorld,
    *,
    weeks: int = 3,
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(12),
    first: dt.date | None = None,
) -> Any:
    first = first or care.monday
    return services.activity_create(
        actor=care.world.referrer,
        client=care.family,
        organisation=care.world.org,
        kind="course",
        title="Logistiek assistent",
        postcode="9900",
        first_date=first,
        last_date=first + dt.timedelta(days=7 * weeks - 1),
        recurrence="FREQ=WEEKLY;BYDAY=MO,TU,TH",
        start_time=start,
        end_time=end,
        travel_minutes=30,
    )


def ask(care: CareWorld, activity: Any = None, recipients: Any = None) -> CareRequest:
    activity = activity or course(care)
    recipients = recipients or list(care.family.care_recipients.all())
    return services.care_request_create(
        actor=care.world.referrer, activity=activity, recipients=recipients
    )


def slot(care: CareWorld, site: Any, day: dt.date, part: str, band: Any) -> CapacitySlot:
    return CapacitySlot.objects.get(care_site=site, date=day, day_part=part, age_band=band)


def test_capacity_counters_follow_reservations_and_skip_holidays(care: CareWorld) -> None:
    s = slot(care, care.near, care.monday, "am", care.baby)
    assert (s.reserved_places, s.vacancy_places, s.places, s.booked) == (2, 0, 2, 0)
    assert not CapacitySlot.objects.filter(
        care_site=care.near, date__week_day__in=[1, 7]
    ).exists()  # weekends


def test_request_derives_needed_day_parts(care: CareWorld) -> None:
    request = ask(care)
    needs = list(request.needs.values_list("date", "day_part"))
    assert len(needs) == 9  # three weeks, three days, mornings only
    assert all(part == "am" for _d, part in needs)


def test_three_week_course_for_two_siblings_is_booked_at_one_site(
    care: CareWorld, mailoutbox: Any
) -> None:
    request = ask(care)
    proposal = selectors.options_for_request(request)
    assert proposal.options and not proposal.options[0].split
    best = proposal.options[0]
    assert best.sites == [care.near]  # nearest, speaks Arabic, takes both children
    bookings = services.booking_create(actor=care.world.referrer, request=request, plan=best.plan)
    assert len(bookings) == 18
    request.refresh_from_db()
    assert request.status == RequestStatus.BOOKED
    s = slot(care, care.near, care.monday, "am", care.school)
    assert s.booked == 2 and s.places == 2


def test_booking_writes_what_it_returns_with_short_notice_places_and_its_side_rows(
    care: CareWorld,
) -> None:
    """What booking_create returns is what it wrote (one statement on PostgreSQL, one per
    table on SQLite): the child beyond the reserved places takes the short-notice one; the
    audit event and the parent's messages job are written with the bookings."""
    request = ask(care)
    plan = selectors.options_for_request(request).options[0].plan
    first = min(plan)
    s = slot(care, care.near, first[0], first[1], care.school)
    CapacitySlot.objects.filter(pk=s.pk).update(reserved_places=1, vacancy_places=1, places=2)
    returned = services.booking_create(actor=care.world.referrer, request=request, plan=plan)

    stored = {
        b.pk: b
        for b in Booking.objects.filter(request=request).select_related("slot__care_site__site")
    }
    assert len(returned) == len(stored) == 18
    for b in returned:
        row = stored[b.pk]
        assert (b.recipient_id, b.slot_id, b.care_site_id, b.date, b.day_part) == (
            row.recipient_id,
            row.slot_id,
            row.care_site_id,
            row.date,
            row.day_part,
        )
        assert (b.status, b.uses_vacancy, b.created_by_id) == (
            row.status,
            row.uses_vacancy,
            care.world.referrer.pk,
        )
        assert b.care_site.site.name == row.slot.care_site.site.name
        assert abs(b.created_at - row.created_at) < dt.timedelta(seconds=1)
    on_first = sorted(
        (b for b in stored.values() if b.slot_id == s.pk), key=lambda b: b.recipient.birth_date
    )
    assert [b.uses_vacancy for b in on_first] == [False, True]  # the older child came first
    assert sum(b.uses_vacancy for b in stored.values()) == 1
    assert slot(care, care.near, first[0], first[1], care.school).booked == 2

    event = AuditEvent.objects.get(
        action="create", detail__care_request=request.pk, detail__has_key="bookings"
    )
    assert event.actor == care.world.referrer and event.object_id == str(care.family.pk)
    assert event.detail["bookings"] == 18 and event.detail["sites"] == [care.near.pk]
    job = Job.objects.get(kind="care.notify", params__request_id=request.pk)
    assert job.params["kind"] == "confirmation"


def test_booking_is_all_or_nothing(care: CareWorld) -> None:
    request = ask(care)
    plan = selectors.options_for_request(request).options[0].plan
    last = max(plan)
    s = slot(care, care.near, last[0], last[1], care.school)
    CapacitySlot.objects.filter(pk=s.pk).update(booked=2)  # someone took the last places
    with pytest.raises(services.NoLongerAvailable):
        services.booking_create(actor=care.world.referrer, request=request, plan=plan)
    assert not Booking.objects.exists()
    assert CapacitySlot.objects.exclude(pk=s.pk).filter(booked__gt=0).count() == 0


def test_full_site_is_not_proposed_and_refusal_is_explained(care: CareWorld) -> None:
    CapacitySlot.objects.filter(age_band=care.school).update(booked=F_places())
    request = ask(care)
    proposal = selectors.options_for_request(request)
    assert proposal.options == []
    assert any("No free place" in r or "Geen vrije plaats" in r for r in proposal.why_none)
    # The weekday is in the reader's language too (Python's strftime would say "Monday").
    with translation.override("nl"):
        dutch = " ".join(selectors.options_for_request(request).why_none)
    with translation.override("fr"):
        french = " ".join(selectors.options_for_request(request).why_none)
    assert "maandag" in dutch.lower() and "lundi" in french.lower()
    assert "monday" not in (dutch + french).lower()


def F_places() -> Any:
    from django.db.models import F

    return F("places")


def test_split_over_two_sites_when_none_covers_all(care: CareWorld) -> None:
    baby = CareRecipient.objects.create(
        client=care.family,
        first_name="Mila",
        birth_date=timezone.localdate() - dt.timedelta(days=300),
    )
    request = ask(care, recipients=[baby])
    # The nearest site is full on Tuesdays: the baby goes to Maldegem on Tuesdays.
    tuesdays = [d for d, p in request.needs.values_list("date", "day_part") if d.weekday() == 1]
    CapacitySlot.objects.filter(care_site=care.near, age_band=care.baby, date__in=tuesdays).update(
        booked=F_places()
    )
    CapacitySlot.objects.filter(care_site=care.far, age_band=care.baby).exclude(
        date__in=tuesdays
    ).update(booked=F_places())
    proposal = selectors.options_for_request(request)
    assert proposal.options and proposal.options[0].split
    services.booking_create(
        actor=care.world.referrer, request=request, plan=proposal.options[0].plan
    )
    sites = set(Booking.objects.values_list("care_site_id", flat=True))
    assert sites == {care.near.pk, care.far.pk}


def test_child_outside_every_age_band_is_explained(care: CareWorld) -> None:
    teen = CareRecipient.objects.create(
        client=care.family, first_name="Omar", birth_date=dt.date(2012, 1, 1)
    )
    request = ask(care, recipients=[teen])
    proposal = selectors.options_for_request(request)
    assert proposal.options == [] and "Omar" in proposal.why_none[0]
    with pytest.raises(ValidationError):
        services.booking_create(
            actor=care.world.referrer,
            request=request,
            plan=dict.fromkeys(proposal.needs, care.near.pk),
        )
    assert not Booking.objects.exists()


def test_request_outside_opening_hours_finds_nothing(care: CareWorld) -> None:
    evening = course(care, start=dt.time(19), end=dt.time(21, 30))
    with pytest.raises(ValidationError):
        ask(care, activity=evening)  # no day-part covers the evening
    assert not CareRequest.objects.exists()


def test_closed_day_is_not_bookable(care: CareWorld) -> None:
    services.closure_add(
        actor=care.provider,
        care_site=care.near,
        first_day=care.monday,
        last_day=care.monday,
        reason="Pedagogische studiedag",
    )
    assert slot(care, care.near, care.monday, "am", care.school).places == 0
    request = ask(care)
    options = selectors.options_for_request(request).options
    assert all(care.near not in o.sites or o.split for o in options)


def test_past_activity_is_refused(care: CareWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        course(care, first=timezone.localdate() - dt.timedelta(days=7))
    assert "first_date" in exc.value.message_dict


def test_client_the_user_may_not_see_is_refused(care: CareWorld) -> None:
    activity = course(care)
    with pytest.raises(PermissionDenied):
        services.care_request_create(
            actor=care.world.other_referrer,
            activity=activity,
            recipients=list(care.family.care_recipients.all()),
        )
    request = ask(care, activity=activity)
    plan = selectors.options_for_request(request).options[0].plan
    with pytest.raises(PermissionDenied):
        services.booking_create(actor=care.world.other_referrer, request=request, plan=plan)
    assert not Booking.objects.exists()


def test_booking_twice_is_refused(care: CareWorld) -> None:
    request = ask(care)
    plan = selectors.options_for_request(request).options[0].plan
    services.booking_create(actor=care.world.referrer, request=request, plan=plan)
    with pytest.raises(ValidationError):
        services.booking_create(actor=care.world.referrer, request=request, plan=plan)
    assert Booking.objects.count() == 18


def test_cancel_in_time_frees_places_and_serves_the_waiting_list(
    care: CareWorld, django_capture_on_commit_callbacks: Any
) -> None:
    first = ask(care)
    plan = selectors.options_for_request(first).options[0].plan
    services.booking_create(actor=care.world.referrer, request=first, plan=plan)
    # Fill the other school sites so that a second family can only wait.
    CapacitySlot.objects.filter(care_site=care.ibo).update(booked=F_places())
    second = ask(care)
    assert selectors.options_for_request(second).options == []
    services.request_waitlist(actor=care.world.referrer, request=second)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.booking_cancel(actor=care.world.referrer, request=first)
    assert cancelled == 18
    assert set(Booking.objects.filter(request=first).values_list("status", flat=True)) == {
        BookingStatus.CANCELLED
    }
    second.refresh_from_db()
    assert second.status == RequestStatus.BOOKED
    assert slot(care, care.near, care.monday, "am", care.school).booked == 2


def test_late_cancellation_is_marked(care: CareWorld) -> None:
    request = ask(care)
    services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    first_day = request.needs.order_by("date").first()
    assert first_day is not None
    just_before = dt.datetime.combine(
        first_day.date, dt.time(6), tzinfo=timezone.get_current_timezone()
    )
    assert services.cancellation_is_late(first_day.date, "am", just_before)
    assert not services.cancellation_is_late(
        first_day.date, "am", just_before - dt.timedelta(days=2)
    )


def test_provider_confirmation_flow(care: CareWorld) -> None:
    care.near.needs_confirmation = True
    care.near.save()
    request = ask(care)
    services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_PROVIDER
    with pytest.raises(PermissionDenied):
        services.provider_decide(
            actor=care.other_provider, request=request, care_site=care.near, accept=True
        )
    services.provider_decide(
        actor=care.provider, request=request, care_site=care.near, accept=False, reason="volzet"
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and "volzet" in request.status_reason
    assert slot(care, care.near, care.monday, "am", care.school).booked == 0


def test_capacity_cannot_drop_below_bookings(care: CareWorld) -> None:
    request = ask(care)
    services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    with pytest.raises(ValidationError):
        services.closure_add(
            actor=care.provider, care_site=care.near, first_day=care.monday, last_day=care.monday
        )
    from zorgbrug.care.models import ReservedCapacity

    ReservedCapacity.objects.filter(care_site=care.near, age_band=care.school).delete()
    with pytest.raises(ValidationError):
        capacity_rebuild(care_site=care.near, first=care.monday, last=care.monday)


def test_vacancy_adds_a_place_for_one_day(care: CareWorld) -> None:
    services.vacancy_publish(
        actor=care.other_provider,
        care_site=care.far,
        age_band=care.baby,
        date=care.monday,
        day_part="am",
        places=2,
    )
    s = slot(care, care.far, care.monday, "am", care.baby)
    assert (s.reserved_places, s.vacancy_places, s.places) == (3, 2, 5)
    with pytest.raises(PermissionDenied):
        services.vacancy_publish(
            actor=care.world.referrer,
            care_site=care.far,
            age_band=care.baby,
            date=care.monday,
            day_part="am",
            places=1,
        )
    with pytest.raises(PermissionDenied):  # another organisation's site
        services.vacancy_publish(
            actor=care.provider,
            care_site=care.far,
            age_band=care.baby,
            date=care.monday,
            day_part="am",
            places=1,
        )
    with pytest.raises(ValidationError):  # the site takes no school children
        services.vacancy_publish(
            actor=care.other_provider,
            care_site=care.far,
            age_band=care.school,
            date=care.monday,
            day_part="am",
            places=1,
        )


def test_attendance_only_on_the_day_and_by_the_site(care: CareWorld) -> None:
    request = ask(care)
    services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    booking = Booking.objects.order_by("date").first()
    assert booking is not None
    with pytest.raises(ValidationError):
        services.attendance_register(actor=care.provider, booking=booking, status="attended")
    Booking.objects.filter(pk=booking.pk).update(date=timezone.localdate())
    booking.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.attendance_register(actor=care.other_provider, booking=booking, status="attended")
    services.attendance_register(
        actor=care.provider,
        booking=booking,
        status="attended",
        arrived_at=dt.time(8, 40),
        picked_up_at=dt.time(12, 20),
        picked_up_by="mama",
    )
    booking.refresh_from_db()
    assert booking.status == "attended" and booking.picked_up_by == "mama"


def test_confirmation_is_sent_in_the_parents_language(
    care: CareWorld, mailoutbox: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from zorgbrug.care.sms import LocmemBackend

    settings.SMS_BACKEND = "zorgbrug.care.sms.LocmemBackend"
    LocmemBackend.outbox.clear()
    care.family.email = "amina@example.org"
    care.family.languages = ["ar", "nl"]
    care.family.save()
    request = ask(care)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(
            actor=care.world.referrer,
            request=request,
            plan=selectors.options_for_request(request).options[0].plan,
        )
    assert len(mailoutbox) == 1
    note = Notification.objects.get(channel="email")
    assert note.language == "ar" and note.status == "sent"
    assert LocmemBackend.outbox and LocmemBackend.outbox[0][0] == "+32470123456"


def test_reminders_are_sent_once(care: CareWorld, mailoutbox: Any) -> None:
    from zorgbrug.care.notifications import reminders_send

    care.family.email = "amina@example.org"
    care.family.save()
    request = ask(care)
    services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    day = request.needs.order_by("date").first().date  # type: ignore[union-attr]
    first = reminders_send(day=day)
    assert first == 2  # e-mail and SMS
    assert reminders_send(day=day) == 0
    assert Notification.objects.filter(kind="reminder").count() == 2


def test_a_reserved_place_plus_a_vacancy(care: CareWorld) -> None:
    reserve(care.far, care.baby, 1, weekdays=range(0, 1), parts=("am",))
    s = slot(care, care.far, care.monday, "am", care.baby)
    assert s.places == 4


def test_send_reminders_command_is_idempotent(care: CareWorld, mailoutbox: Any) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    care.family.email = "amina@example.org"
    care.family.save()
    request = ask(care)
    services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    day = request.needs.order_by("date").first().date  # type: ignore[union-attr]
    out = StringIO()
    call_command("send_reminders", "--day", day.isoformat(), stdout=out)
    call_command("send_reminders", "--day", day.isoformat(), stdout=out)
    assert "2 reminder(s) sent." in out.getvalue() and "0 reminder(s) sent." in out.getvalue()
    assert len(mailoutbox) == 1
    with pytest.raises(CommandError):
        call_command("send_reminders", "--day", "tomorrow")


@pytest.mark.django_db(transaction=True)
def test_with_the_job_relay_a_booking_wakes_it_from_its_own_statement(
    care: CareWorld,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    job_wakeups: Callable[[], int],
) -> None:
    """Celery on PostgreSQL: the parent's messages job commits with the booking and wakes
    the relay (jobs.relay) once; the web process publishes nothing; a refused booking
    wakes nobody."""
    settings.JOBS_BACKEND = "celery"

    def must_not_publish(job_id: Any) -> None:
        raise AssertionError("the web process published a job")

    monkeypatch.setattr("zorgbrug.jobs.services.publish", must_not_publish)
    request = ask(care)
    plan = selectors.options_for_request(request).options[0].plan
    last = max(plan)
    full = CapacitySlot.objects.filter(pk=slot(care, care.near, last[0], last[1], care.school).pk)
    full.update(booked=2)  # someone took the last places
    with pytest.raises(services.NoLongerAvailable):
        services.booking_create(actor=care.world.referrer, request=request, plan=plan)
    assert job_wakeups() == 0
    full.update(booked=0)
    services.booking_create(actor=care.world.referrer, request=request, plan=plan)
    assert job_wakeups() == 1
    job = Job.objects.get(kind="care.notify", params__request_id=request.pk)
    assert job.state == "pending" and job.dispatched_at is None  # the relay's to hand over


def test_a_child_already_placed_then_is_said_and_never_booked_twice(care: CareWorld) -> None:
    """A child holds one place per day-part: a second request for the same mornings says
    why no site can take it, and booking it anyway is refused with a clear message."""
    # Room for both requests, so that only the children's own places stand in the way.
    CapacitySlot.objects.filter(care_site=care.near).update(
        places=F("places") + 2, reserved_places=F("reserved_places") + 2
    )
    first = ask(care)
    plan = selectors.options_for_request(first).options[0].plan
    services.booking_create(actor=care.world.referrer, request=first, plan=plan)
    second = ask(care, activity=course(care, weeks=1))  # the same mornings, one week

    proposal = selectors.options_for_request(second)
    assert proposal.options == []
    assert len(proposal.why_none) == 6  # two children, three mornings
    assert all("through another request" in reason for reason in proposal.why_none) or all(
        "andere aanvraag" in reason for reason in proposal.why_none
    )
    names = " ".join(proposal.why_none)
    assert "Yusuf" in names and "Lina" in names

    before = (Booking.objects.count(), list(CapacitySlot.objects.values_list("pk", "booked")))
    second_plan = {need: plan[need] for need in second.needs.values_list("date", "day_part")}
    with pytest.raises(ValidationError) as refused:
        services.booking_create(actor=care.world.referrer, request=second, plan=second_plan)
    assert refused.value.messages == [str(services.CHILD_ALREADY_PLACED)]
    assert (Booking.objects.count(), list(CapacitySlot.objects.values_list("pk", "booked"))) == (
        before
    )
    second.refresh_from_db()
    assert second.status == RequestStatus.OPEN
