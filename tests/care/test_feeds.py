"""Calendar feeds: per site (first names only) and per client (site and address), revocable.

The feed address is the secret: whoever may see the data creates and revokes it through the
API; /feeds/<token>.ics serves text/calendar that icalendar parses, and 404 once revoked.
A feed never shows data of another site or another client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from tests.care.conftest import CareWorld
from tests.care.test_api import API, api_for, ask_over_api, book, first_option, ok
from tests.clients.conftest import register
from zorgbrug.access.models import AuditEvent
from zorgbrug.care import feeds
from zorgbrug.care.models import Booking, CalendarFeed

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(care: CareWorld) -> dict[str, Any]:
    """The family booked at Kriebeltje, and another family of another referrer at IBO."""
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    ok(book(api, request["id"], first_option(api, request["id"])["key"]), 201)
    other_family = register(
        care.world,
        actor=care.world.other_referrer,
        organisation=care.world.other_org,
        first_name="Sara",
        last_name="Peeters",
        insz="",
        phone="0470 99 88 77",
    )
    other_family.care_recipients.filter(first_name="Yusuf").update(first_name="Noor")
    other_api = api_for(care.world.other_referrer)
    other_request = ask_over_api(
        care,
        other_api,
        recipients=list(other_family.care_recipients.values_list("pk", flat=True)),
        client=other_family.pk,
    )
    option = next(
        o
        for o in ok(other_api.get(f"{API}/care-requests/{other_request['id']}/proposals/"))[
            "options"
        ]
        if o["sites"][0]["id"] == care.ibo.pk
    )
    ok(book(other_api, other_request["id"], option["key"]), 201)
    return {"family": request, "other": other_request, "other_client": other_family}


def _fetch(url: str) -> Any:
    response = Client().get(url)
    return response


def _events(body: bytes) -> list[Any]:
    calendar = Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


def test_site_feed_shows_first_names_only(care: CareWorld, booked: dict[str, Any]) -> None:
    api = api_for(care.provider)
    feed = ok(api.post(f"{API}/calendar-feeds/", {"care_site": care.near.pk}, format="json"), 201)
    assert feed["url"].startswith("http://testserver/feeds/") and feed["url"].endswith(".ics")
    response = _fetch(feed["url"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert len(events) == 18  # nine mornings, two children
    summaries = {str(e.get("summary")) for e in events}
    assert {s.split(" ")[0] for s in summaries} == {"Yusuf", "Lina"}
    text = response.content.decode()
    for secret in ("El Idrissi", "Amina", "pinda", "0470", "Kerkstraat", "Noor", "Sara"):
        assert secret not in text, secret
    first = min(events, key=lambda e: e.decoded("dtstart"))
    start = first.decoded("dtstart")
    assert start.tzinfo is not None and start.date() == care.monday
    assert str(first.get("status")) == "CONFIRMED"
    assert len({str(e.get("uid")) for e in events}) == 18


def test_client_feed_shows_sites_and_addresses(care: CareWorld, booked: dict[str, Any]) -> None:
    care.near.site.street = "Stationsstraat 12"
    care.near.site.municipality = "Eeklo"
    care.near.site.save()
    api = api_for(care.world.referrer)
    feed = ok(api.post(f"{API}/calendar-feeds/", {"client": care.family.pk}, format="json"), 201)
    events = _events(_fetch(feed["url"]).content)
    assert len(events) == 18
    assert {str(e.get("location")) for e in events} == {"Kriebeltje, Stationsstraat 12, 9900 Eeklo"}
    assert all("Kriebeltje" in str(e.get("summary")) for e in events)
    text = _fetch(feed["url"]).content.decode()
    assert "Noor" not in text and "IBO" not in text  # the other family's booking

    # A cancelled booking stays in the feed, as cancelled, so that calendars drop it.
    later = Booking.objects.filter(request_id=booked["family"]["id"]).order_by("-date").first()
    assert later is not None
    ok(
        api.post(
            f"{API}/care-requests/{booked['family']['id']}/cancel/",
            {"bookings": [later.pk]},
            format="json",
        )
    )
    events = _events(_fetch(feed["url"]).content)
    cancelled = [e for e in events if str(e.get("uid")) == f"booking-{later.pk}@zorgbrug"]
    assert [str(e.get("status")) for e in cancelled] == ["CANCELLED"]


def test_revoked_feed_is_gone(care: CareWorld, booked: dict[str, Any]) -> None:
    api = api_for(care.world.referrer)
    feed = ok(api.post(f"{API}/calendar-feeds/", {"client": care.family.pk}, format="json"), 201)
    assert _fetch(feed["url"]).status_code == 200
    listed = ok(api.get(f"{API}/calendar-feeds/"))
    assert [f["id"] for f in listed] == [feed["id"]]
    # Someone who may not see the client can neither see nor revoke the feed.
    outsider = api_for(care.world.other_referrer)
    assert outsider.post(f"{API}/calendar-feeds/{feed['id']}/revoke/").status_code == 404
    assert _fetch(feed["url"]).status_code == 200
    revoked = ok(api.post(f"{API}/calendar-feeds/{feed['id']}/revoke/"))
    assert revoked["url"] is None and revoked["revoked_at"]
    assert _fetch(feed["url"]).status_code == 404
    assert AuditEvent.objects.filter(detail__calendar_feed_revoked=feed["id"]).exists()
    # A new feed gets a new address; the old one stays dead.
    again = ok(api.post(f"{API}/calendar-feeds/", {"client": care.family.pk}, format="json"), 201)
    assert again["url"] != feed["url"]
    assert _fetch(again["url"]).status_code == 200
    assert _fetch(feed["url"]).status_code == 404


def test_only_those_who_see_the_data_create_feeds(care: CareWorld, booked: dict[str, Any]) -> None:
    # Another referrer cannot make a feed of the family; another provider not of Kriebeltje.
    outsider = api_for(care.world.other_referrer)
    response = outsider.post(f"{API}/calendar-feeds/", {"client": care.family.pk}, format="json")
    assert response.status_code == 400
    other_provider = api_for(care.other_provider)
    response = other_provider.post(
        f"{API}/calendar-feeds/", {"care_site": care.near.pk}, format="json"
    )
    assert response.status_code == 400
    for user in (care.world.researcher, care.world.far_referrer, care.provider):
        response = api_for(user).post(
            f"{API}/calendar-feeds/", {"client": care.family.pk}, format="json"
        )
        assert response.status_code == 400, user
    assert (
        api_for(care.world.referrer).post(f"{API}/calendar-feeds/", {}, format="json").status_code
        == 400
    )
    assert not CalendarFeed.objects.exists()
    assert api_for(None).get(f"{API}/calendar-feeds/").status_code == 401


def test_feeds_of_other_sites_and_clients_stay_apart(
    care: CareWorld, booked: dict[str, Any]
) -> None:
    near = feeds.feed_create(actor=care.provider, care_site=care.near)
    ibo = feeds.feed_create(actor=care.provider, care_site=care.ibo)
    other_client = feeds.feed_create(actor=care.world.other_referrer, client=booked["other_client"])
    near_text = _fetch(feeds.feed_path(near)).content.decode()
    ibo_text = _fetch(feeds.feed_path(ibo)).content.decode()
    other_text = _fetch(feeds.feed_path(other_client)).content.decode()
    assert "Noor" not in near_text and "Yusuf" in near_text
    assert "Noor" in ibo_text and "Yusuf" not in ibo_text
    assert "Yusuf" not in other_text and "IBO Regenboog" in other_text
    # Lists show only one's own feeds.
    provider_list = ok(api_for(care.provider).get(f"{API}/calendar-feeds/"))
    assert {f["id"] for f in provider_list} == {near.pk, ibo.pk}
    referrer_list = ok(api_for(care.world.referrer).get(f"{API}/calendar-feeds/"))
    assert referrer_list == []


def test_unknown_tokens_are_404(care: CareWorld) -> None:
    assert _fetch("/feeds/" + "x" * 32 + ".ics").status_code == 404
    assert _fetch("/feeds/short.ics").status_code == 404
    feed = feeds.feed_create(actor=care.provider, care_site=care.near)
    assert len(feed.token) >= 32
    assert Client().post(feeds.feed_path(feed)).status_code == 405
    assert _fetch(feeds.feed_path(feed)).status_code == 200
    assert _events(_fetch(feeds.feed_path(feed)).content) == []


def test_feed_window_keeps_a_month_of_history(care: CareWorld, booked: dict[str, Any]) -> None:
    feed = feeds.feed_create(actor=care.provider, care_site=care.near)
    Booking.objects.filter(date=care.monday).update(date=care.monday - dt.timedelta(days=400))
    events = _events(_fetch(feeds.feed_path(feed)).content)
    assert len(events) == 16
