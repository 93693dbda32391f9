"""Messages to the parent about their bookings: e-mail and SMS, in their language, logged.

Each message is a Notification row (the delivery log). Reminders carry the day they remind
of, and a unique constraint makes a second run of the reminder job send nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zorgbrug.care.models import HOLDING, Booking, CareRequest, Notification
from zorgbrug.care.sms import get_backend

log = logging.getLogger(__name__)
PARENT_LANGUAGES = {"nl", "fr", "en", "ar", "tr"}


def language_for(client: Any) -> str:
    for code in client.languages or []:
        if code in PARENT_LANGUAGES:
            return str(code)
    return settings.LANGUAGE_CODE


def _subject(kind: str) -> str:
    return {
        "confirmation": _("Care is arranged"),
        "change": _("Your care booking has changed"),
        "cancellation": _("Care cancelled"),
        "moved": _("Your activity has moved"),
        "reminder": _("Reminder: care tomorrow"),
    }[kind]


def notify_request(*, request_id: int, kind: str, about: dt.date | None = None) -> int:
    """Send the parent an e-mail and/or SMS about a request; returns messages sent."""
    request = CareRequest.objects.select_related("client", "activity").filter(pk=request_id).first()
    if request is None:
        return 0
    client = request.client
    language = language_for(client)
    bookings = list(
        Booking.objects.filter(request=request)
        .select_related("care_site__site", "recipient")
        .order_by("date", "day_part", "recipient__first_name")
    )
    if kind == "reminder":
        bookings = [b for b in bookings if b.date == about and b.status in HOLDING]
        if not bookings:
            return 0
    sent = 0
    with translation.override(language):
        context = {
            "client": client,
            "request": request,
            "bookings": bookings,
            "kind": kind,
            "about": about,
        }
        subject = _subject(kind)
        body = str(render_to_string("care/email/booking.txt", context))
        sms = str(render_to_string("care/sms/booking.txt", context)).strip()
    channels: list[tuple[str, str, str]] = []
    if client.email:
        channels.append((Notification.Channel.EMAIL, client.email, body))
    if client.phone:
        channels.append((Notification.Channel.SMS, client.phone, sms))
    for channel, to, text in channels:
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    request=request,
                    kind=kind,
                    channel=channel,
                    recipient=to,
                    language=language,
                    subject=subject,
                    body=text,
                    about_date=about if kind == "reminder" else None,
                )
        except IntegrityError:
            continue  # this reminder went out already
        try:
            if channel == Notification.Channel.EMAIL:
                send_mail(subject, text, None, [to])
            else:
                get_backend().send(to, text)
        except Exception as exc:  # a failed delivery is logged, not fatal
            log.warning("notification %s failed: %s", note.pk, exc)
            Notification.objects.filter(pk=note.pk).update(status="failed", error=str(exc)[:300])
            continue
        Notification.objects.filter(pk=note.pk).update(status="sent", sent_at=timezone.now())
        sent += 1
    return sent


def reminders_send(*, day: dt.date | None = None) -> int:
    """Remind parents of tomorrow's care. Safe to run as often as you like."""
    day = day or timezone.localdate() + dt.timedelta(days=1)
    request_ids = (
        Booking.objects.filter(date=day, status__in=HOLDING)
        .values_list("request_id", flat=True)
        .distinct()
    )
    return sum(notify_request(request_id=rid, kind="reminder", about=day) for rid in request_ids)
