"""The booking API's one-statement path (`care.direct`, PostgreSQL) against the full path.

The API books in one statement when it can and falls back to the full path
(`services.booking_create` inside the Idempotency-Key's claim) for everything unusual.
These tests hold the two to each other: the same answer, rows, audit event and job for the
same booking; and every case the statement must not decide itself — facts changed since the
proposal, a user outside the scope, a request no longer bookable, an old key — writes
nothing there and gets the full path's answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.db import connection, transaction

from tests.care.conftest import CareWorld
from tests.care.test_api import api_for, ask_over_api, book, first_option
from tests.conftest import require_or_skip
from zorgbrug.access.models import AuditEvent
from zorgbrug.care import api as care_api
from zorgbrug.care import direct, services
from zorgbrug.care.models import (
    AgeBand,
    Booking,
    CapacitySlot,
    CareRequest,
    IdempotencyRecord,
    NeededSlot,
)
from zorgbrug.clients.models import CareRecipient
from zorgbrug.jobs.models import Job

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres() -> None:
    require_or_skip(connection.vendor == "postgresql", "the one-statement booking needs PostgreSQL")


class _Undo(Exception):
    pass


def _state(request_id: int) -> dict[str, Any]:
    """What a booking left behind, without the values that differ by construction (ids
    from sequences, moments)."""
    bookings = list(
        Booking.objects.filter(request_id=request_id)
        .order_by("date", "day_part", "recipient_id")
        .values(
            "recipient_id",
            "slot_id",
            "care_site_id",
            "date",
            "day_part",
            "status",
            "uses_vacancy",
            "created_by_id",
            "cancelled_at",
            "arrived_at",
            "picked_up_at",
            "picked_up_by",
        )
    )
    event = (
        AuditEvent.objects.filter(detail__care_request=request_id, detail__has_key="bookings")
        .values(
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_label",
            "network_id",
            "organisation_id",
            "path",
            "detail",
        )
        .get()
    )
    job = (
        Job.objects.filter(kind="care.notify", params__request_id=request_id)
        .values("kind", "title", "params", "state", "language", "created_by_id")
        .get()
    )
    request = CareRequest.objects.values("status", "status_reason").get(pk=request_id)
    counters = dict(
        CapacitySlot.objects.filter(pk__in={b["slot_id"] for b in bookings}).values_list(
            "pk", "booked"
        )
    )
    record = IdempotencyRecord.objects.values("status_code", "body").get(key="parity")
    return {
        "bookings": bookings,
        "event": event,
        "job": job,
        "request": request,
        "counters": counters,
        "record": record,
    }


def _without_ids(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "bookings": [{**b, "id": None} for b in answer["bookings"]]}


def test_both_paths_answer_and_write_the_same(
    care: CareWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same booking made by each path, the first one undone: equal answers, rows,
    audit event, job, counters and stored answer (ids and moments aside)."""
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    seen: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    calls: list[str] = []
    real_book = direct.book

    def counted(**kwargs: Any) -> Any:
        outcome = real_book(**kwargs)
        calls.append(type(outcome).__name__)
        return outcome

    monkeypatch.setattr(direct, "book", counted)
    for path in ("direct", "full"):
        if path == "full":
            monkeypatch.setattr(direct, "book", lambda **kwargs: None)
        try:
            with transaction.atomic():
                response = book(api, request["id"], key, "parity")
                assert response.status_code == 201, response.json()
                seen[path] = (response.json(), _state(request["id"]))
                raise _Undo
        except _Undo:
            pass
    assert calls == ["Booked"]  # the first booking really went through the one statement
    (direct_answer, direct_state), (full_answer, full_state) = seen["direct"], seen["full"]
    assert _without_ids(direct_answer) == _without_ids(full_answer)
    assert len(direct_answer["bookings"]) == 18
    assert direct_state == {
        **full_state,
        "record": {
            "status_code": 201,
            # The stored answer is the answer given, with its own ids.
            "body": direct_answer,
        },
    }
    assert full_state["record"] == {"status_code": 201, "body": full_answer}
    assert direct_state["event"]["object_label"] == str(care.family)


def _direct_call(care: CareWorld, key: str, request_id: int, actor: Any = None) -> Any:
    prepared = care_api.prepared_from_key(request_id, key)
    assert prepared is not None
    return direct.book(
        actor=actor or care.world.referrer,
        request_id=request_id,
        prepared=prepared,
        key="k-direct",
        fingerprint="f",
    )


def _nothing_written() -> None:
    assert not Booking.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert not AuditEvent.objects.filter(detail__has_key="bookings").exists()
    assert not Job.objects.filter(kind="care.notify").exists()


def _younger(care: CareWorld, request_id: int) -> None:
    child = CareRecipient.objects.filter(care_requests=request_id).order_by("birth_date").first()
    assert child is not None
    CareRecipient.objects.filter(pk=child.pk).update(
        birth_date=child.birth_date + dt.timedelta(days=1)
    )


def _band_moved(care: CareWorld, request_id: int) -> None:
    AgeBand.objects.filter(pk=care.school.pk).update(max_months=150)


def _band_added(care: CareWorld, request_id: int) -> None:
    AgeBand.objects.create(network=care.world.network, name="Teens", min_months=144, max_months=216)


def _need_dropped(care: CareWorld, request_id: int) -> None:
    NeededSlot.objects.filter(pk=NeededSlot.objects.filter(request_id=request_id)[0].pk).delete()


def _child_dropped(care: CareWorld, request_id: int) -> None:
    request = CareRequest.objects.get(pk=request_id)
    request.recipients.remove(request.recipients.order_by("birth_date")[0])


@pytest.mark.parametrize(
    "change", [_younger, _band_moved, _band_added, _need_dropped, _child_dropped]
)
def test_facts_changed_since_the_proposal_write_nothing(
    care: CareWorld, change: Callable[[CareWorld, int], None]
) -> None:
    """The statement books only the request the proposal was made for: with any of its
    facts changed it writes nothing and leaves the answer to the full path."""
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    change(care, request["id"])
    assert _direct_call(care, key, request["id"]) is None
    _nothing_written()
    assert CapacitySlot.objects.filter(booked__gt=0).count() == 0
    assert CareRequest.objects.get(pk=request["id"]).status == "open"


def test_the_unchanged_request_books_directly(care: CareWorld) -> None:
    """The control for the test above: the same call without a change books."""
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    outcome = _direct_call(care, key, request["id"])
    assert isinstance(outcome, direct.Booked)
    assert Booking.objects.count() == 18
    assert IdempotencyRecord.objects.get(key="k-direct").body == json.loads(outcome.answer)


@pytest.mark.parametrize("who", ["other_referrer", "far_referrer", "provider", "researcher"])
def test_a_user_outside_the_scope_writes_nothing_and_gets_404(care: CareWorld, who: str) -> None:
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    user = getattr(care.world, who)
    assert _direct_call(care, key, request["id"], actor=user) is None
    _nothing_written()
    assert book(api_for(user), request["id"], key, "x").status_code == 404
    assert not Booking.objects.exists()


def test_a_booked_request_is_left_to_the_full_path(care: CareWorld) -> None:
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    assert book(api, request["id"], key).status_code == 201
    assert _direct_call(care, key, request["id"]) is None
    assert not IdempotencyRecord.objects.exists()
    again = book(api, request["id"], key)
    assert again.status_code == 400
    assert "cannot be booked again" in str(again.json())
    assert Booking.objects.count() == 18


def test_a_key_made_before_keys_carried_facts_books_on_the_full_path(care: CareWorld) -> None:
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    payload = signing.loads(key, salt=care_api.OPTION_SALT)
    old = signing.dumps(
        {k: v for k, v in payload.items() if k not in {"k", "a", "h"}},
        salt=care_api.OPTION_SALT,
        compress=True,
    )
    assert care_api.prepared_from_key(request["id"], old) is None
    assert book(api, request["id"], old, "old-key").status_code == 201
    assert Booking.objects.count() == 18
    assert IdempotencyRecord.objects.get(key="old-key").status_code == 201


def test_a_place_taken_meanwhile_is_answered_directly_and_stored(care: CareWorld) -> None:
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    CapacitySlot.objects.filter(care_site_id=care.near.pk).update(booked=2)
    prepared = care_api.prepared_from_key(request["id"], key)
    assert prepared is not None
    first_full = min(
        (
            CapacitySlot.objects.get(care_site_id=site, date=day, day_part=part, age_band_id=band)
            for _child, site, day, part, band in prepared.rows
            if site == care.near.pk
        ),
        key=lambda slot: slot.pk,
    )
    try:
        with transaction.atomic():
            outcome = _direct_call(care, key, request["id"])
            assert isinstance(outcome, direct.Refused)
            # Worded as the full path words it: the first counter (by id) found full.
            assert outcome.answer == {
                "detail": str(services.NoLongerAvailable(first_full).messages[0]),
                "code": "no_longer_available",
            }
            assert not Booking.objects.exists()
            stored = IdempotencyRecord.objects.get(key="k-direct")
            assert (stored.status_code, stored.body) == (409, outcome.answer)
            raise _Undo
    except _Undo:
        pass
    response = book(api_for(care.world.referrer, "fr"), request["id"], key, "gone")
    assert response.status_code == 409 and response.json()["code"] == "no_longer_available"
    assert "vient d'être prise" in response.json()["detail"]
    assert IdempotencyRecord.objects.get(key="gone").status_code == 409
    assert not Booking.objects.exists()


def test_a_lock_timeout_writes_nothing_and_falls_back(
    care: CareWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]

    def timeout(sql: str, params: Any) -> Any:
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(direct, "fetch_prepared", timeout)
    assert _direct_call(care, key, request["id"]) is None
    monkeypatch.undo()
    _nothing_written()


def _digest_in_the_database(request_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {services.FACTS_DIGEST_SQL} FROM care_carerequest r WHERE r.id = %s",  # noqa: S608
            [services.facts_secret(), request_id],
        )
        (digest,) = cursor.fetchone()
    return str(digest)


def test_an_option_key_reveals_no_birth_date_and_its_digest_is_the_databases(
    care: CareWorld,
) -> None:
    """The key is signed, not encrypted: it carries the children's ids and age bands and a
    digest keyed with the server's secret — and the statement's digest of the same facts,
    made from the database, is the same text."""
    api = api_for(care.world.referrer)
    request = ask_over_api(care, api)
    key = first_option(api, request["id"])["key"]
    payload = signing.loads(key, salt=care_api.OPTION_SALT)
    care_request = CareRequest.objects.get(pk=request["id"])
    births = [c.birth_date for c in care_request.recipients.all()]
    text = json.dumps(payload)
    for birth in births:
        assert birth.isoformat() not in text and str(birth.toordinal()) not in text
    facts = services.booking_facts(care_request)
    assert payload["h"] == facts.digest()
    assert _digest_in_the_database(care_request.pk) == facts.digest()
    # A request without children digests alike too (no children: an empty part).
    care_request.recipients.clear()
    empty = services.booking_facts(care_request)
    assert empty.canonical().startswith("|")
    assert _digest_in_the_database(care_request.pk) == empty.digest()
