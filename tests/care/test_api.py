"""The care API under /api/v1/: capacity, activities, requests, proposals, booking.

Personal tokens authenticate every call, as an integration would. The whole flow runs over
the API; bad input gets a clear 4xx and books nothing; an Idempotency-Key makes a retried
booking book once (also when two identical calls race, on PostgreSQL); people outside the
data's scope see nothing of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from tests.care.conftest import CareWorld
from tests.conftest import require_or_skip
from zorgbrug.access.models import AuditEvent, User
from zorgbrug.access.services import api_token_issue
from zorgbrug.care import api as care_api
from zorgbrug.care import direct, selectors, services
from zorgbrug.care.models import (
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    IdempotencyRecord,
)
from zorgbrug.clients.models import CareRecipient

pytestmark = pytest.mark.django_db

API = "/api/v1"


def api_for(user: User | None, language: str = "en", *, key: str | None = None) -> APIClient:
    """An API client that authenticates with a personal token of `user` (or `key`)."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None and key is None:
        _token, key = api_token_issue(user=user, name="test")
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, (response.status_code, getattr(response, "data", None))
    return response.json()


def course_payload(care: CareWorld, **overrides: Any) -> dict[str, Any]:
    """Three weeks of a course on Mondays, Tuesdays and Thursdays, 9:00–12:00."""
    first = care.monday
    data: dict[str, Any] = {
        "client": care.family.pk,
        "kind": "course",
        "title": "Logistiek assistent",
        "postcode": "9900",
        "first_date": first.isoformat(),
        "last_date": (first + dt.timedelta(days=20)).isoformat(),
        "recurrence": "FREQ=WEEKLY;BYDAY=MO,TU,TH",
        "start_time": "09:00",
        "end_time": "12:00",
        "travel_minutes": 30,
    }
    data.update(overrides)
    return data


def ask_over_api(
    care: CareWorld, api: APIClient, recipients: list[int] | None = None, **activity: Any
) -> dict[str, Any]:
    created = ok(
        api.post(f"{API}/activities/", course_payload(care, **activity), format="json"), 201
    )
    if recipients is None:
        recipients = list(care.family.care_recipients.values_list("pk", flat=True))
    return ok(
        api.post(
            f"{API}/care-requests/",
            {"activity": created["id"], "recipients": recipients},
            format="json",
        ),
        201,
    )


def book(api: APIClient, request_id: int, key: str, idempotency_key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    return api.post(
        f"{API}/care-requests/{request_id}/book/", {"option": key}, format="json", **headers
    )


def first_option(api: APIClient, request_id: int) -> dict[str, Any]:
    proposal = ok(api.get(f"{API}/care-requests/{request_id}/proposals/"))
    assert proposal["options"], proposal["why_none"]
    option: dict[str, Any] = proposal["options"][0]
    return option


@pytest.fixture
def referrer_api(care: CareWorld) -> APIClient:
    return api_for(care.world.referrer)


# --- The whole flow -------------------------------------------------------------------


def test_whole_flow_over_the_api(care: CareWorld, referrer_api: APIClient) -> None:
    bands = ok(referrer_api.get(f"{API}/age-bands/"))
    assert {b["name"] for b in bands} == {"0–2,5", "2,5–12"}
    sites = ok(referrer_api.get(f"{API}/care-sites/"))["results"]
    assert {s["name"] for s in sites} == {"Kriebeltje", "Speelboom Maldegem", "IBO Regenboog"}
    assert not any(s["can_manage"] for s in sites)
    free = ok(
        referrer_api.get(
            f"{API}/care-sites/{care.near.pk}/capacity/",
            {"date_from": care.monday.isoformat(), "date_until": care.monday.isoformat()},
        )
    )
    assert {(r["day_part"], r["free"]) for r in free} == {("am", 2), ("pm", 2)}

    request = ask_over_api(care, referrer_api)
    assert request["status"] == "open" and len(request["needs"]) == 9
    assert request["activity"]["title"] == "Logistiek assistent"
    proposal = ok(referrer_api.get(f"{API}/care-requests/{request['id']}/proposals/"))
    proposal_shape = care_api.ProposalOutput(data=proposal)  # as documented in the schema
    assert proposal_shape.is_valid(), proposal_shape.errors
    best = proposal["options"][0]
    assert best["rank"] == 1 and not best["split"] and proposal["why_none"] == []
    assert best["sites"] == [{"id": care.near.pk, "name": "Kriebeltje"}]
    assert len(best["plan"]) == 9 and best["distance_km"] is not None

    booked = ok(book(referrer_api, request["id"], best["key"], "first-try"), 201)
    assert booked["status"] == "booked" and len(booked["bookings"]) == 18
    shape = care_api.BookOutput(data=booked)  # the answer matches its documented schema
    assert shape.is_valid(), shape.errors
    assert {b["care_site"]["name"] for b in booked["bookings"]} == {"Kriebeltje"}
    assert Booking.objects.filter(request_id=request["id"]).count() == 18
    assert (
        CapacitySlot.objects.get(
            care_site=care.near, date=care.monday, day_part="am", age_band=care.school
        ).booked
        == 2
    )
    detail = ok(referrer_api.get(f"{API}/care-requests/{request['id']}/"))
    assert detail["status"] == "booked"
    assert len(ok(referrer_api.get(f"{API}/care-requests/{request['id']}/bookings/"))) == 18

    # The provider sees the children on the day list and registers attendance on the day.
    provider_api = api_for(care.provider)
    Booking.objects.filter(request_id=request["id"], date=care.monday).update(
        date=timezone.localdate()
    )
    day = ok(provider_api.get(f"{API}/care-sites/{care.near.pk}/day-list/"))
    assert {row["first_name"] for row in day} == {"Yusuf", "Lina"}
    assert "last_name" not in day[0] and "insz" not in day[0]
    lina = next(row for row in day if row["first_name"] == "Lina")
    assert lina["allergies"] == "pinda's"
    attended = ok(
        provider_api.post(
            f"{API}/bookings/{lina['id']}/attendance/",
            {"status": "attended", "arrived_at": "08:40", "picked_up_at": "12:20"},
            format="json",
        )
    )
    assert attended["status"] == "attended" and attended["picked_up_at"] == "12:20:00"
    # The provider sees the request, but not what the parent does.
    provider_view = ok(provider_api.get(f"{API}/care-requests/{request['id']}/"))
    assert provider_view["activity"] is None

    # The referrer cancels one future booking; the place frees up.
    later = Booking.objects.filter(request_id=request["id"]).order_by("-date").first()
    assert later is not None
    cancelled = ok(
        referrer_api.post(
            f"{API}/care-requests/{request['id']}/cancel/",
            {"bookings": [later.pk], "reason": "cursus verplaatst"},
            format="json",
        )
    )
    assert cancelled["cancelled"] == 1 and cancelled["request"]["status"] == "booked"
    later.refresh_from_db()
    assert later.status == BookingStatus.CANCELLED


def test_provider_accepts_or_refuses_over_the_api(care: CareWorld, referrer_api: APIClient) -> None:
    care.near.needs_confirmation = True
    care.near.save()
    request = ask_over_api(care, referrer_api)
    booked = ok(
        book(referrer_api, request["id"], first_option(referrer_api, request["id"])["key"]), 201
    )
    assert booked["status"] == "waiting_provider"
    assert {b["status"] for b in booked["bookings"]} == {"pending"}
    url = f"{API}/care-requests/{request['id']}/decide/"
    other = api_for(care.other_provider)
    assert other.post(
        url, {"care_site": care.near.pk, "accept": True}, format="json"
    ).status_code in (
        403,
        404,
    )
    decided = ok(
        api_for(care.provider).post(url, {"care_site": care.near.pk, "accept": True}, format="json")
    )
    assert decided["status"] == "booked"


def test_provider_manages_capacity_over_the_api(care: CareWorld) -> None:
    api = api_for(care.other_provider)
    base = f"{API}/care-sites/{care.far.pk}"
    site = ok(api.get(f"{base}/"))
    assert site["can_manage"] and site["age_bands"] == [care.baby.pk]
    saturday = care.monday + dt.timedelta(days=5)

    vacancy = ok(
        api.post(
            f"{base}/vacancies/",
            {
                "age_band": care.baby.pk,
                "date": care.monday.isoformat(),
                "day_part": "am",
                "places": 2,
            },
            format="json",
        ),
        201,
    )
    slot = CapacitySlot.objects.get(
        care_site=care.far, date=care.monday, day_part="am", age_band=care.baby
    )
    assert (slot.reserved_places, slot.vacancy_places) == (3, 2)
    assert [v["id"] for v in ok(api.get(f"{base}/vacancies/"))] == [vacancy["id"]]
    ok(api.post(f"{base}/vacancies/{vacancy['id']}/withdraw/"))
    slot.refresh_from_db()
    assert slot.vacancy_places == 0

    reservation = ok(
        api.post(
            f"{base}/reservations/",
            {
                "age_band": care.baby.pk,
                "weekday": 2,
                "day_part": "pm",
                "places": 1,
                "valid_from": care.monday.isoformat(),
                "valid_until": (care.monday + dt.timedelta(days=30)).isoformat(),
                "price": "11.00",
            },
            format="json",
        ),
        201,
    )
    changed = ok(
        api.patch(f"{base}/reservations/{reservation['id']}/", {"places": 2}, format="json")
    )
    assert changed["places"] == 2
    wednesday = care.monday + dt.timedelta(days=2)
    assert (
        CapacitySlot.objects.get(
            care_site=care.far, date=wednesday, day_part="pm", age_band=care.baby
        ).places
        == 5
    )

    closure = ok(
        api.post(
            f"{base}/closures/",
            {"first_day": care.monday.isoformat(), "last_day": care.monday.isoformat()},
            format="json",
        ),
        201,
    )
    assert ok(api.get(f"{base}/closures/")) == [closure]
    assert CapacitySlot.objects.get(pk=slot.pk).places == 0

    # Bad input is refused with the service's message and changes nothing.
    bad = api.post(
        f"{base}/vacancies/",
        {"age_band": care.school.pk, "date": saturday.isoformat(), "day_part": "am", "places": 1},
        format="json",
    )
    assert bad.status_code == 400 and "age_band" in bad.json()
    bad = api.post(
        f"{base}/closures/",
        {"first_day": care.monday.isoformat(), "last_day": "2000-01-01"},
        format="json",
    )
    assert bad.status_code == 400
    assert ok(api.get(f"{base}/closures/")) == [closure]

    # Someone else's site: visible, not manageable.
    for user in (care.provider, care.world.referrer, care.world.researcher):
        other = api_for(user)
        refused = other.post(
            f"{base}/vacancies/",
            {
                "age_band": care.baby.pk,
                "date": care.monday.isoformat(),
                "day_part": "pm",
                "places": 1,
            },
            format="json",
        )
        assert refused.status_code == 403, user
    assert ok(api.get(f"{base}/vacancies/")) == []


def test_proposals_counted_in_the_database_match_row_by_row(
    care: CareWorld, referrer_api: APIClient, monkeypatch: Any
) -> None:
    """The search's shortcut (full-cover sites counted by the database) ranks exactly as
    the row-by-row coverage it skips, whatever is booked."""
    request = CareRequest.objects.get(pk=ask_over_api(care, referrer_api)["id"])
    needs = list(request.needs.values_list("date", flat=True))

    def ranked(shortcut: bool) -> list[tuple[Any, ...]]:
        if not shortcut:
            monkeypatch.setattr(selectors, "_sites_covering_all", lambda *a, **k: [])
        proposal = selectors.options_for_request(request)
        monkeypatch.undo()
        return [
            (o.key, sorted(o.plan.items()), o.distance_km, o.language_match, o.reasons)
            for o in proposal.options
        ] + [tuple(proposal.why_none)]

    scenarios = [
        {},  # every site free
        {"site": care.near, "dates": needs[:1]},  # the nearest is full on one day
        {"site": care.ibo, "dates": needs[1::3]},  # and the other one on Tuesdays
    ]
    for scenario in scenarios:
        if scenario:
            CapacitySlot.objects.filter(
                care_site=scenario["site"], date__in=scenario["dates"], age_band=care.school
            ).update(booked=F("places"))
        assert ranked(True) == ranked(False), scenario


# --- Bad input: a clear 4xx and nothing booked ------------------------------------------


def _nothing_booked() -> None:
    assert not Booking.objects.exists()
    assert not CapacitySlot.objects.filter(booked__gt=0).exists()


def test_request_outside_opening_hours_is_refused(care: CareWorld, referrer_api: APIClient) -> None:
    activity = ok(
        referrer_api.post(
            f"{API}/activities/",
            course_payload(care, start_time="19:00", end_time="21:30"),
            format="json",
        ),
        201,
    )
    response = referrer_api.post(
        f"{API}/care-requests/",
        {"activity": activity["id"], "recipients": [care.family.care_recipients.first().pk]},  # type: ignore[union-attr]
        format="json",
    )
    assert response.status_code == 400
    assert "activity" in response.json()
    assert not CareRequest.objects.exists()


def test_weekend_request_gets_no_option_and_a_reason(
    care: CareWorld, referrer_api: APIClient
) -> None:
    saturday = care.monday + dt.timedelta(days=5)
    request = ask_over_api(
        care, referrer_api, first_date=saturday.isoformat(), last_date=None, recurrence=""
    )
    proposal = ok(referrer_api.get(f"{API}/care-requests/{request['id']}/proposals/"))
    assert proposal["options"] == [] and proposal["why_none"]
    assert any("waiting list" in reason for reason in proposal["why_none"])
    # A key made for a weekday plan cannot be used for this request.
    other = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, other["id"])["key"]
    response = book(referrer_api, request["id"], key)
    assert response.status_code == 400 and "option" in response.json()
    _nothing_booked()


def test_child_outside_every_age_band_is_refused(care: CareWorld, referrer_api: APIClient) -> None:
    teen = CareRecipient.objects.create(
        client=care.family, first_name="Omar", birth_date=dt.date(2012, 1, 1)
    )
    request = ask_over_api(care, referrer_api, recipients=[teen.pk])
    proposal = ok(referrer_api.get(f"{API}/care-requests/{request['id']}/proposals/"))
    assert proposal["options"] == [] and "Omar" in proposal["why_none"][0]
    # Even a genuine key for this request (a plan at a site) cannot book him.
    care_request = CareRequest.objects.get(pk=request["id"])
    forged = _key_for(care_request, care.near.pk)
    response = book(referrer_api, request["id"], forged)
    assert response.status_code == 400
    assert "Omar" in json.dumps(response.json(), ensure_ascii=False)
    _nothing_booked()


def _key_for(care_request: CareRequest, site_id: int) -> str:
    """A validly signed key for a plan that puts every day-part at one site."""
    needs = [(n.date, n.day_part) for n in care_request.needs.all()]
    site = care_request.network.care_sites.get(pk=site_id)
    option = selectors.Option([site], dict.fromkeys(needs, site_id), None, False, False)
    return care_api.option_key(care_request, option)


def test_closed_day_cannot_be_booked(care: CareWorld, referrer_api: APIClient) -> None:
    ok(
        api_for(care.provider).post(
            f"{API}/care-sites/{care.near.pk}/closures/",
            {
                "first_day": care.monday.isoformat(),
                "last_day": care.monday.isoformat(),
                "reason": "Pedagogische studiedag",
            },
            format="json",
        ),
        201,
    )
    request = ask_over_api(care, referrer_api)
    proposal = ok(referrer_api.get(f"{API}/care-requests/{request['id']}/proposals/"))
    for option in proposal["options"]:
        assert not any(
            p["care_site"] == care.near.pk and p["date"] == care.monday.isoformat()
            for p in option["plan"]
        )
    # Booking the closed site anyway (a key made before the closure, say) is a 409.
    forged = _key_for(CareRequest.objects.get(pk=request["id"]), care.near.pk)
    response = book(referrer_api, request["id"], forged)
    assert response.status_code == 409
    assert response.json()["code"] == "no_longer_available"
    assert "Kriebeltje" in response.json()["detail"]
    _nothing_booked()


def test_the_past_is_refused(care: CareWorld, referrer_api: APIClient) -> None:
    last_week = timezone.localdate() - dt.timedelta(days=7)
    response = referrer_api.post(
        f"{API}/activities/",
        course_payload(care, first_date=last_week.isoformat(), last_date=None, recurrence=""),
        format="json",
    )
    assert response.status_code == 400 and "first_date" in response.json()
    # A request made earlier whose first day has started meanwhile cannot be booked.
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    CareRequest.objects.get(pk=request["id"]).needs.filter(date=care.monday).update(
        date=timezone.localdate() - dt.timedelta(days=1)
    )
    response = book(referrer_api, request["id"], key)
    assert response.status_code == 400
    _nothing_booked()


def test_a_client_the_user_may_not_see_is_refused(care: CareWorld, referrer_api: APIClient) -> None:
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    outsider = api_for(care.world.other_referrer)
    response = outsider.post(f"{API}/activities/", course_payload(care), format="json")
    assert response.status_code == 400 and "client" in response.json()
    assert AuditEvent.objects.filter(
        action="denied", object_id=str(care.family.pk), actor=care.world.other_referrer
    ).exists()
    activity_id = CareRequest.objects.get(pk=request["id"]).activity_id
    response = outsider.post(
        f"{API}/care-requests/",
        {"activity": activity_id, "recipients": [care.family.care_recipients.first().pk]},  # type: ignore[union-attr]
        format="json",
    )
    assert response.status_code == 400 and "activity" in response.json()
    assert outsider.get(f"{API}/care-requests/{request['id']}/proposals/").status_code == 404
    assert book(outsider, request["id"], key).status_code == 404
    assert book(outsider, request["id"], key, "sneaky").status_code == 404
    assert CareRequest.objects.count() == 1
    _nothing_booked()


def test_foreign_and_forged_option_keys_are_refused(
    care: CareWorld, referrer_api: APIClient, monkeypatch: Any
) -> None:
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    for bad in ("nonsense", key[:-2] + "xx"):
        response = book(referrer_api, request["id"], bad)
        assert response.status_code == 400 and "option" in response.json()
    monkeypatch.setattr(care_api, "OPTION_MAX_AGE", dt.timedelta(seconds=-1))
    response = book(referrer_api, request["id"], key)
    assert response.status_code == 400 and "expired" in response.json()["option"][0]
    _nothing_booked()


def test_a_place_taken_meanwhile_is_a_409(care: CareWorld, referrer_api: APIClient) -> None:
    request = ask_over_api(care, referrer_api)
    option = first_option(referrer_api, request["id"])
    last = option["plan"][-1]
    CapacitySlot.objects.filter(
        care_site_id=last["care_site"], date=last["date"], day_part=last["day_part"]
    ).update(booked=2)
    response = book(referrer_api, request["id"], option["key"])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no_longer_available"
    assert dt.date.fromisoformat(last["date"]).strftime("%d/%m/%Y") in body["detail"]
    assert not Booking.objects.exists()


def test_busy_is_a_503_with_retry_after(
    care: CareWorld, referrer_api: APIClient, monkeypatch: Any
) -> None:
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]

    def busy(**kwargs: Any) -> Any:
        raise services.Busy

    # A lock held too long: the one-statement path gives up (None, nothing written) and
    # the full path meets the same lock.
    monkeypatch.setattr(direct, "book", lambda **kwargs: None)
    monkeypatch.setattr(services, "booking_create", busy)
    response = book(referrer_api, request["id"], key, "retry-me")
    assert response.status_code == 503
    assert response["Retry-After"] == "1" and response.json()["code"] == "busy"
    assert response.json()["detail"]
    # Nothing was stored for the key: the retry really books.
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert book(referrer_api, request["id"], key, "retry-me").status_code == 201
    assert Booking.objects.count() == 18


# --- Idempotency ----------------------------------------------------------------------


def test_a_retry_with_the_same_key_books_once(care: CareWorld, referrer_api: APIClient) -> None:
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    first = book(referrer_api, request["id"], key, "abc-123")
    again = book(referrer_api, request["id"], key, "abc-123")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Booking.objects.count() == 18
    # Without the key the same call is a new attempt: the request is booked already.
    assert book(referrer_api, request["id"], key).status_code == 400
    assert Booking.objects.count() == 18
    # The same key with another body is a 422; keys are per user.
    other = ask_over_api(care, referrer_api)
    assert book(referrer_api, other["id"], key, "abc-123").status_code == 422
    coordinator = api_for(care.world.coordinator)
    assert book(coordinator, request["id"], key, "abc-123").status_code == 404


def test_a_refusal_is_stored_and_replayed(care: CareWorld, referrer_api: APIClient) -> None:
    request = ask_over_api(care, referrer_api)
    option = first_option(referrer_api, request["id"])
    CapacitySlot.objects.filter(care_site_id=care.near.pk).update(booked=2)
    assert book(referrer_api, request["id"], option["key"], "k1").status_code == 409
    CapacitySlot.objects.filter(care_site_id=care.near.pk).update(booked=0)
    replay = book(referrer_api, request["id"], option["key"], "k1")
    assert replay.status_code == 409 and replay["Idempotent-Replayed"] == "true"
    assert not Booking.objects.exists()
    assert book(referrer_api, request["id"], option["key"], "k2").status_code == 201


def test_a_claim_left_without_an_answer_is_taken_over(
    care: CareWorld, referrer_api: APIClient
) -> None:
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    url = f"/api/v1/care-requests/{request['id']}/book/"
    body = json.dumps({"option": key}, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"POST {url}\n{body}".encode()).hexdigest()
    IdempotencyRecord.objects.create(
        user=care.world.referrer, key="left-over", fingerprint=fingerprint
    )
    assert book(referrer_api, request["id"], key, "left-over").status_code == 201
    assert Booking.objects.count() == 18
    assert IdempotencyRecord.objects.get(key="left-over").status_code == 201
    assert book(referrer_api, request["id"], key, "left-over")["Idempotent-Replayed"] == "true"


def _race(token_key: str, request_id: int, key: str, idempotency_key: str) -> list[Any]:
    """Two identical booking calls released at the same moment, each on its own connection."""
    responses: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def call() -> None:
        try:
            client = api_for(None, key=token_key)
            start.wait()
            responses.append(book(client, request_id, key, idempotency_key))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return responses


def _slow(monkeypatch: Any, seconds: float, path: str) -> list[int]:
    """Make the booking hold its transaction open a while, counting the bookings made.

    "full": the full path (`booking_create` inside the key's claim); the one-statement
    path is switched off. "direct": the one statement, kept uncommitted for a while after
    it ran, as a slow statement would be — with its locks and its stored key."""
    calls: list[int] = []
    if path == "full":
        real = services.booking_create

        def slow_booking(**kwargs: Any) -> Any:
            calls.append(1)
            result = real(**kwargs)
            threading.Event().wait(seconds)  # the twin arrives while we still hold the claim
            return result

        monkeypatch.setattr(direct, "book", lambda **kwargs: None)
        monkeypatch.setattr(services, "booking_create", slow_booking)
        return calls
    real_fetch = direct.fetch_prepared

    def slow_statement(sql: str, params: Any) -> Any:
        if "subject AS" not in sql:
            return real_fetch(sql, params)
        with transaction.atomic():
            rows = real_fetch(sql, params)
            if rows[0][4] is not None:  # it booked (the answer)
                calls.append(1)
                threading.Event().wait(seconds)
        return rows

    monkeypatch.setattr(direct, "fetch_prepared", slow_statement)
    return calls


@pytest.mark.postgres
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["full", "direct"])
def test_two_identical_calls_racing_book_once(care: CareWorld, monkeypatch: Any, path: str) -> None:
    require_or_skip(
        connection.vendor == "postgresql", "the idempotency race needs PostgreSQL (DATABASE_URL)"
    )
    _token, token_key = api_token_issue(user=care.world.referrer, name="race")
    referrer_api = api_for(None, key=token_key)
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    calls = _slow(monkeypatch, 0.3, path)
    responses = _race(token_key, request["id"], key, "same-click")
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert len(calls) == 1
    assert Booking.objects.filter(request_id=request["id"]).count() == 18
    assert IdempotencyRecord.objects.get(key="same-click").status_code == 201


@pytest.mark.postgres
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["full", "direct"])
def test_a_twin_that_waits_too_long_gets_409_in_progress(
    care: CareWorld, monkeypatch: Any, path: str
) -> None:
    require_or_skip(
        connection.vendor == "postgresql", "the idempotency race needs PostgreSQL (DATABASE_URL)"
    )
    _token, token_key = api_token_issue(user=care.world.referrer, name="race")
    referrer_api = api_for(None, key=token_key)
    request = ask_over_api(care, referrer_api)
    key = first_option(referrer_api, request["id"])["key"]
    calls = _slow(monkeypatch, 1.0, path)
    monkeypatch.setattr(care_api, "IDEMPOTENCY_WAIT_SECONDS", 0.2)
    # The one statement waits for the twin's locks at most this long, then gives way to
    # the full path, which waits for the twin's key.
    monkeypatch.setattr(services, "LOCK_TIMEOUT_MS", 200)
    responses = _race(token_key, request["id"], key, "impatient")
    assert sorted(r.status_code for r in responses) == [201, 409]
    waited = next(r for r in responses if r.status_code == 409)
    assert waited.json()["code"] == "in_progress" and waited["Retry-After"] == "1"
    assert len(calls) == 1
    assert Booking.objects.filter(request_id=request["id"]).count() == 18
    # Once the first call is done, the retry gets its answer.
    again = book(referrer_api, request["id"], key, "impatient")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"


# --- Leaks ----------------------------------------------------------------------------


@pytest.fixture
def booked(care: CareWorld, referrer_api: APIClient) -> dict[str, Any]:
    request = ask_over_api(care, referrer_api)
    ok(book(referrer_api, request["id"], first_option(referrer_api, request["id"])["key"]), 201)
    return request


def _urls(care: CareWorld, request_id: int) -> dict[str, str]:
    booking = Booking.objects.filter(request_id=request_id).first()
    assert booking is not None
    return {
        "request": f"{API}/care-requests/{request_id}/",
        "proposals": f"{API}/care-requests/{request_id}/proposals/",
        "bookings": f"{API}/care-requests/{request_id}/bookings/",
        "book": f"{API}/care-requests/{request_id}/book/",
        "cancel": f"{API}/care-requests/{request_id}/cancel/",
        "attendance": f"{API}/bookings/{booking.pk}/attendance/",
        "day_list": f"{API}/care-sites/{care.near.pk}/day-list/",
    }


def test_anonymous_gets_nothing(care: CareWorld, booked: dict[str, Any]) -> None:
    anonymous = api_for(None)
    lists = ["age-bands/", "care-sites/", "activities/", "care-requests/", "calendar-feeds/"]
    for path in lists:
        assert anonymous.get(f"{API}/{path}").status_code == 401, path
    for name, url in _urls(care, booked["id"]).items():
        response = (
            anonymous.post(url, {}, format="json")
            if name
            in {
                "book",
                "cancel",
                "attendance",
            }
            else anonymous.get(url)
        )
        assert response.status_code == 401, name
    assert anonymous.get(f"{API}/care-sites/{care.near.pk}/capacity/").status_code == 401


def _sees_no_personal_care_data(api: APIClient, care: CareWorld, request_id: int) -> None:
    assert ok(api.get(f"{API}/care-requests/"))["results"] == []
    assert ok(api.get(f"{API}/activities/"))["results"] == []
    assert ok(api.get(f"{API}/calendar-feeds/")) == []
    urls = _urls(care, request_id)
    for name in ("request", "proposals", "bookings"):
        assert api.get(urls[name]).status_code == 404, name
    assert api.post(urls["cancel"], {}, format="json").status_code == 404
    assert api.post(urls["attendance"], {"status": "attended"}, format="json").status_code == 404
    assert api.get(urls["day_list"]).status_code in (403, 404)


def test_other_referrers_see_nothing_of_the_family(care: CareWorld, booked: dict[str, Any]) -> None:
    for user in (care.world.other_referrer, care.world.far_referrer):
        _sees_no_personal_care_data(api_for(user), care, booked["id"])
    # Another network does not even see the sites.
    far = api_for(care.world.far_referrer)
    assert ok(far.get(f"{API}/care-sites/"))["results"] == []
    assert far.get(f"{API}/care-sites/{care.near.pk}/").status_code == 404
    assert ok(far.get(f"{API}/age-bands/")) == []


def test_researchers_see_sites_but_no_person(care: CareWorld, booked: dict[str, Any]) -> None:
    api = api_for(care.world.researcher)
    _sees_no_personal_care_data(api, care, booked["id"])
    assert len(ok(api.get(f"{API}/care-sites/"))["results"]) == 3  # not personal data
    response = api.post(f"{API}/calendar-feeds/", {"care_site": care.near.pk}, format="json")
    assert response.status_code == 400


def test_providers_of_other_organisations_see_nothing_of_the_booking(
    care: CareWorld, booked: dict[str, Any]
) -> None:
    api = api_for(care.other_provider)
    _sees_no_personal_care_data(api, care, booked["id"])
    # Its own day list is empty; it sees the near site's free capacity (not personal).
    assert ok(api.get(f"{API}/care-sites/{care.far.pk}/day-list/", {"date": care.monday})) == []
    assert ok(api.get(f"{API}/care-sites/{care.near.pk}/capacity/"))


def test_coordinators_manage_every_site_of_their_network(
    care: CareWorld, booked: dict[str, Any]
) -> None:
    api = api_for(care.world.coordinator)
    sites = ok(api.get(f"{API}/care-sites/"))["results"]
    assert all(s["can_manage"] for s in sites)
    day = ok(api.get(f"{API}/care-sites/{care.near.pk}/day-list/", {"date": care.monday}))
    assert {row["first_name"] for row in day} == {"Yusuf", "Lina"}
    ok(
        api.post(
            f"{API}/care-sites/{care.far.pk}/vacancies/",
            {
                "age_band": care.baby.pk,
                "date": care.monday.isoformat(),
                "day_part": "pm",
                "places": 1,
            },
            format="json",
        ),
        201,
    )
    far = api_for(care.world.far_coordinator)
    assert far.get(f"{API}/care-sites/{care.near.pk}/day-list/").status_code == 404
    assert (
        far.post(f"{API}/care-sites/{care.far.pk}/vacancies/", {}, format="json").status_code == 404
    )


def test_the_own_provider_sees_only_what_the_day_needs(
    care: CareWorld, booked: dict[str, Any]
) -> None:
    api = api_for(care.provider)
    rows = ok(api.get(f"{API}/care-requests/"))["results"]
    assert [r["id"] for r in rows] == [booked["id"]]
    assert rows[0]["activity"] is None
    assert api.get(f"{API}/care-requests/{booked['id']}/proposals/").status_code == 404
    assert api.post(f"{API}/care-requests/{booked['id']}/cancel/", {}).status_code == 404
    bookings = ok(api.get(f"{API}/care-requests/{booked['id']}/bookings/"))
    assert len(bookings) == 18
    assert ok(api.get(f"{API}/activities/"))["results"] == []


def test_the_schema_documents_the_booking_api(client: Any) -> None:
    schema = json.loads(client.get("/api/schema/?format=json").content)
    book_op = schema["paths"]["/api/v1/care-requests/{id}/book/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in book_op["parameters"])
    assert {"201", "409", "422", "503"} <= set(book_op["responses"])
    for path in (
        "/api/v1/care-sites/{id}/capacity/",
        "/api/v1/care-requests/{id}/proposals/",
        "/api/v1/care-sites/{id}/vacancies/",
        "/api/v1/activities/",
        "/api/v1/calendar-feeds/",
    ):
        assert path in schema["paths"], path


@pytest.mark.parametrize("with_key", [False, True])
def test_a_child_already_booked_at_that_time_is_a_conflict_that_books_nothing(
    care: CareWorld, referrer_api: APIClient, with_key: bool
) -> None:
    """Two requests for the same child on the same morning: the second booking hits the
    database's one-booking-per-child-and-day-part rule. All of it rolls back — counters,
    request status and (with a key) the claim, so that nothing half-done is remembered."""
    day = care.monday.isoformat()
    lina = list(care.family.care_recipients.filter(first_name="Lina").values_list("pk", flat=True))
    first = ask_over_api(care, referrer_api, lina, first_date=day, last_date=day, recurrence="")
    second = ask_over_api(care, referrer_api, lina, first_date=day, last_date=day, recurrence="")
    key = first_option(referrer_api, second["id"])["key"]  # proposed before the first books
    ok(book(referrer_api, first["id"], first_option(referrer_api, first["id"])["key"]), 201)
    booked = dict(CapacitySlot.objects.values_list("pk", "booked"))
    answer = book(referrer_api, second["id"], key, "k-conflict" if with_key else None)
    assert answer.status_code == 409 and answer.json()["code"] == "child_already_placed"
    assert (
        "another request" in answer.json()["detail"]
        or "andere aanvraag" in (answer.json()["detail"])
    )
    assert dict(CapacitySlot.objects.values_list("pk", "booked")) == booked
    assert not Booking.objects.filter(request_id=second["id"]).exists()
    assert CareRequest.objects.get(pk=second["id"]).status == "open"
    assert not IdempotencyRecord.objects.filter(key="k-conflict").exists()
    # Asked again, the proposals say why no site can take it.
    why = ok(referrer_api.get(f"{API}/care-requests/{second['id']}/proposals/"))["why_none"]
    assert len(why) == 1 and "Lina" in why[0]
