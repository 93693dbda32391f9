"""Calendar feeds (ICS) of bookings, behind unguessable, revocable tokens.

Two kinds of feed (one `CalendarFeed` row each):
- per care site, for the provider's staff: every booked child by first name only, so that
  a phone calendar shows who comes when and nothing more;
- per client, for the referrer and the parent: the client's bookings with the site's name
  and address.

Whoever may see the data may create a feed and revoke it (provider staff and coordinators
for a site they manage, referrers for a client they follow). The feed itself is public:
its address is the secret, `/feeds/<token>.ics`; a revoked token answers 404 like an
unknown one. Cancelled bookings stay in the feed as STATUS:CANCELLED so that calendar
apps remove them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.care import calendar as cal
from zorgbrug.care.models import (
    HOLDING,
    Booking,
    BookingStatus,
    CalendarFeed,
    CareSite,
    DayPart,
)
from zorgbrug.care.notifications import language_for
from zorgbrug.clients.models import Client

# A feed shows a month back and everything ahead, at most this many events.
PAST_DAYS = 31
MAX_EVENTS = 5000
PRODID = "-//Zorgbrug//Care bookings//EN"
UID_DOMAIN = "zorgbrug"


# --- Who may see which feeds ----------------------------------------------------------


def feeds_visible(user: Any) -> QuerySet[CalendarFeed]:
    """Feeds of the sites the user manages and of the clients the user follows."""
    return CalendarFeed.objects.filter(
        Q(care_site__in=access.care_sites(user, manage=True).values("pk"))
        | Q(client__in=access.clients(user).values("pk"))
    )


@transaction.atomic
def feed_create(
    *, actor: Any, care_site: CareSite | None = None, client: Client | None = None
) -> CalendarFeed:
    """A new feed address for a site (staff who manage it) or a client (who follows them)."""
    if (care_site is None) == (client is None):
        raise ValidationError(_("Choose either a care site or a client for the calendar."))
    if care_site is not None:
        if not access.care_sites(actor, manage=True).filter(pk=care_site.pk).exists():
            raise PermissionDenied
        feed = CalendarFeed.objects.create(care_site=care_site, created_by=actor)
        audit.record(actor=actor, action="create", obj=care_site, detail={"calendar_feed": feed.pk})
        return feed
    assert client is not None
    if not access.clients(actor).filter(pk=client.pk).exists():
        raise PermissionDenied
    feed = CalendarFeed.objects.create(client=client, created_by=actor)
    audit.record(actor=actor, action="create", obj=client, detail={"calendar_feed": feed.pk})
    return feed


@transaction.atomic
def feed_revoke(*, actor: Any, feed: CalendarFeed) -> CalendarFeed:
    if not feeds_visible(actor).filter(pk=feed.pk).exists():
        raise PermissionDenied
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    owner: Any = feed.care_site if feed.care_site_id else feed.client
    audit.record(actor=actor, action="update", obj=owner, detail={"calendar_feed_revoked": feed.pk})
    return feed


def feed_path(feed: CalendarFeed) -> str:
    return reverse("care-feed", kwargs={"token": feed.token})


# --- The ICS document -----------------------------------------------------------------


def _window(day: dt.date, part: str) -> tuple[dt.datetime, dt.datetime]:
    """The day-part's hours in Brussels, as UTC instants (no VTIMEZONE needed)."""
    tz = timezone.get_default_timezone()
    window = cal.WINDOW_BY_PART[part]
    start = dt.datetime.combine(day, window.start, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day, window.end, tzinfo=tz).astimezone(dt.UTC)
    return start, end


def _status(booking: Booking) -> str:
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.CANCELLED_LATE):
        return "CANCELLED"
    if booking.status == BookingStatus.PENDING:
        return "TENTATIVE"
    return "CONFIRMED"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Brussels")
    return calendar


def _event(booking: Booking, summary: str, stamp: dt.datetime) -> Event:
    start, end = _window(booking.date, booking.day_part)
    event = Event()
    event.add("uid", f"booking-{booking.pk}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("status", _status(booking))
    return event


def _bookings(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    since = timezone.localdate() - dt.timedelta(days=PAST_DAYS)
    shown = (*HOLDING, BookingStatus.CANCELLED, BookingStatus.CANCELLED_LATE)
    return qs.filter(date__gte=since, status__in=shown).order_by("date", "day_part", "pk")


def site_calendar(care_site: CareSite) -> bytes:
    """The site's bookings for its staff: the child's first name, nothing else."""
    rows = (
        _bookings(Booking.objects.filter(care_site=care_site))
        .select_related("recipient")
        .only("pk", "date", "day_part", "status", "recipient__first_name")
    )
    stamp = timezone.now()
    calendar = _calendar(str(care_site.site.name))
    for booking in rows[:MAX_EVENTS]:
        part = DayPart(booking.day_part).label
        calendar.add_component(_event(booking, f"{booking.recipient.first_name} ({part})", stamp))
    return calendar.to_ical()


def client_calendar(client: Client) -> bytes:
    """The client's bookings, in the client's language, with each site's name and address."""
    rows = (
        _bookings(Booking.objects.filter(request__client=client))
        .select_related("recipient", "care_site__site")
        .only(
            "pk",
            "date",
            "day_part",
            "status",
            "recipient__first_name",
            "care_site__site__name",
            "care_site__site__street",
            "care_site__site__postcode",
            "care_site__site__municipality",
            "care_site__site__phone",
        )
    )
    stamp = timezone.now()
    with translation.override(language_for(client)):
        calendar = _calendar(_("Care bookings"))
        for booking in rows[:MAX_EVENTS]:
            site = booking.care_site.site
            address = ", ".join(
                part
                for part in (site.street, f"{site.postcode} {site.municipality}".strip())
                if part
            )
            event = _event(
                booking,
                _("Care for %(name)s at %(site)s")
                % {"name": booking.recipient.first_name, "site": site.name},
                stamp,
            )
            event.add("location", f"{site.name}, {address}" if address else site.name)
            if site.phone:
                event.add("description", _("Phone: %(phone)s") % {"phone": site.phone})
            calendar.add_component(event)
    return calendar.to_ical()


def feed_document(feed: CalendarFeed) -> bytes:
    site_id = feed.care_site_id
    if site_id is not None:
        return site_calendar(CareSite.objects.select_related("site").get(pk=site_id))
    return client_calendar(Client.objects.get(feeds=feed))


# --- The public address ---------------------------------------------------------------


@require_GET
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """/feeds/<token>.ics: the calendar, for whoever holds the address; 404 once revoked."""
    feed = CalendarFeed.objects.filter(token=token, revoked_at__isnull=True).first()
    if feed is None:
        raise Http404
    response = HttpResponse(feed_document(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="zorgbrug.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
