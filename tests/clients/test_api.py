"""The client API under /api/v1/clients/: intake, caseload, record, people, consent, screening.

Personal tokens authenticate every call, as an integration would. Each allowed and refused
read of a client leaves an audit event; outsiders get 403/404 and empty lists.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.clients.conftest import CHILDREN, CONSENT, NEEDS, SCREENING, client_fields, insz
from tests.conftest import World
from tests.factories import MembershipFactory, OrganisationFactory, PartnerFactory
from zorgbrug.access.models import ApiToken, AuditEvent, User
from zorgbrug.clients import services
from zorgbrug.clients.consent_texts import VERSION
from zorgbrug.clients.models import (
    CareRecipient,
    Client,
    Consent,
    FollowingOrganisation,
    Screening,
)
from zorgbrug.network.models import Organisation

pytestmark = pytest.mark.django_db

BASE = "/api/v1/clients/"


def api_for(user: User | None, language: str = "nl") -> APIClient:
    """An API client that authenticates with a fresh personal token of `user`."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        key = ApiToken.generate_key()
        ApiToken.objects.create(
            user=user, name="test", prefix=key[:8], key_hash=ApiToken.hash_key(key)
        )
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _json(value: Any) -> Any:
    """Dates and decimals of the shared fixtures as JSON would carry them."""
    return json.loads(json.dumps(value, default=str))


def intake_payload(**client_overrides: Any) -> dict[str, Any]:
    screening = {k: v for k, v in SCREENING.items() if k != "occasion"}
    return _json(
        {
            "client": client_fields(**client_overrides),
            "consent": {k: v for k, v in CONSENT.items() if k != "text_version"},
            "care_recipients": CHILDREN,
            "screening": screening,
            "needs": [
                {
                    "recipient_index": 0,
                    "arrangement": "none",
                    "days": [0, 1, 2, 3, 4],
                    "hours_per_week": "30",
                },
                {"recipient_index": 1, "arrangement": "family", "days": [0, 1]},
            ],
        }
    )


def register(world: World, *, share: bool = True, **overrides: Any) -> Client:
    return services.client_register(
        actor=world.referrer,
        organisation=world.org,
        network=world.network,
        client=client_fields(**overrides),
        consent={**CONSENT, "share_with_partners": share},
        recipients=[dict(c) for c in CHILDREN],
        screening=dict(SCREENING),
        needs=[dict(n) for n in NEEDS],
    )


def counts() -> tuple[int, ...]:
    return (
        Client.objects.count(),
        CareRecipient.objects.count(),
        Consent.objects.count(),
        Screening.objects.count(),
        FollowingOrganisation.objects.count(),
        AuditEvent.objects.exclude(action__in=["view", "denied"]).count(),
    )


# --- Intake, caseload, record, update -------------------------------------------------


def test_intake_creates_the_whole_record(world: World) -> None:
    response = api_for(world.referrer).post(BASE, intake_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert client.phone == body["phone"] == "+32470123456"
    assert body["municipality"] == "Eeklo"
    assert body["network"] == "noord"
    assert body["intake_organisation"] == {"id": world.org.pk, "name": "VDAB Noord"}
    assert body["followed_by"] == [{"id": world.org.pk, "name": "VDAB Noord"}]
    assert [r["first_name"] for r in body["care_recipients"]] == ["Yusuf", "Lina"]
    consent = body["current_consent"]
    assert consent["text_version"] == VERSION and consent["language"] == "nl"
    assert consent["share_with_partners"] and consent["research_use"]
    assert consent["recorded_by_organisation"]["id"] == world.org.pk
    screening = client.screenings.get()
    assert screening.occasion == "intake"
    # 3 + 1 (two stops) + 2 (would accept) + 1 (Yusuf: nothing arranged) + 1 + 1 = 9
    assert screening.barrier_score == 9
    needs = {n.care_recipient.first_name: n for n in screening.needs.all()}
    assert needs["Yusuf"].days_needed == "1111100" and needs["Lina"].days_needed == "1100000"
    assert AuditEvent.objects.filter(action="create", object_id=str(client.pk)).exists()


def test_intake_without_screening(world: World) -> None:
    payload = intake_payload()
    del payload["screening"], payload["needs"]
    payload["care_recipients"] = []
    response = api_for(world.referrer).post(BASE, payload, format="json")
    assert response.status_code == 201, response.json()
    assert not Screening.objects.exists()


def test_needs_without_a_screening_are_refused(world: World) -> None:
    payload = intake_payload()
    payload["screening"] = None
    response = api_for(world.referrer).post(BASE, payload, format="json")
    assert response.status_code == 400
    assert "needs" in response.json()
    assert not Client.objects.exists()


def test_caseload_lists_searches_filters_and_paginates(world: World) -> None:
    amina = register(world)
    fatma = register(
        world,
        first_name="Fatma",
        last_name="Kaya",
        phone="+32 485 99 88 77",
        insz="85073003328",
        birth_date=dt.date(1985, 7, 30),
    )
    api = api_for(world.referrer)
    body = api.get(BASE).json()
    assert body["count"] == 2
    assert [c["last_name"] for c in body["results"]] == ["El Idrissi", "Kaya"]
    first = body["results"][0]
    assert first["care_recipients_count"] == 2
    assert first["intake_organisation"]["name"] == "VDAB Noord"
    assert "insz" not in first and "phone" not in first  # the list shows no more than needed
    for query, expected in [
        ("kaya", fatma),
        ("El Idr", amina),
        ("85.07.30-033.28", fatma),
        ("0485998877", fatma),
        ("+32470123456", amina),
    ]:
        results = api.get(BASE, {"q": query}).json()["results"]
        assert [c["id"] for c in results] == [expected.pk], query
    Client.objects.filter(pk=fatma.pk).update(status="exited")
    assert [c["id"] for c in api.get(BASE, {"status": "exited"}).json()["results"]] == [fatma.pk]
    assert [c["id"] for c in api.get(BASE, {"status": "active"}).json()["results"]] == [amina.pk]
    page = api.get(BASE, {"page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next"] and "page=2" in page["next"]
    assert api.get(BASE, {"status": "gone"}).status_code == 400
    assert api.get(BASE, {"organisation": world.other_org.pk}).status_code == 400


def test_retrieve_shows_the_record(world: World) -> None:
    client = register(world, insz=insz("900215"))
    response = api_for(world.referrer).get(f"{BASE}{client.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["insz"] == insz("900215")
    assert body["languages"] == ["ar", "nl"]
    assert body["labour_status"] == "unemployed" and body["education_level"] == 2
    assert len(body["care_recipients"]) == 2
    assert body["current_consent"]["is_active"] is True


def test_update_changes_only_what_is_sent(world: World) -> None:
    client = register(world)
    api = api_for(world.referrer)
    response = api.patch(
        f"{BASE}{client.pk}/",
        {"phone": "0485 11 22 33", "postcode": "9990", "months_unemployed": 20},
        format="json",
    )
    assert response.status_code == 200, response.json()
    client.refresh_from_db()
    assert client.phone == "+32485112233"
    assert client.municipality == "Maldegem" and client.months_unemployed == 20
    assert client.first_name == "Amina"
    event = AuditEvent.objects.get(action="update", object_id=str(client.pk))
    assert event.detail == {"fields": ["months_unemployed", "phone", "postcode"]}


# --- Bad input: 400, translated, nothing written --------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("insz", "85073003329"),  # wrong check digits
        ("insz", "1234"),
        ("phone", "0470 12"),
        ("phone", "hello"),
        ("postcode", "1"),
        ("postcode", "99999"),
        ("birth_date", "2090-01-01"),  # in the future
        ("birth_date", "1990-02-30"),  # no such day
        ("birth_date", "1850-01-01"),
        ("birth_date", "2020-01-01"),  # a child cannot be the client
    ],
)
def test_bad_client_fields_are_refused_and_nothing_is_written(
    world: World, field: str, value: str
) -> None:
    before = counts()
    payload = intake_payload()
    payload["client"][field] = value
    response = api_for(world.referrer).post(BASE, payload, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["client"] and list(errors["client"]) == [field], errors
    assert errors["client"][field][0]
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("insz", "85073003329"),
        ("phone", "0470 12"),
        ("postcode", "99999"),
        ("birth_date", "2090-01-01"),
        ("languages", ["dutch"]),
    ],
)
def test_bad_update_is_refused_and_changes_nothing(world: World, field: str, value: Any) -> None:
    client = register(world)
    before = Client.objects.filter(pk=client.pk).values().get()
    response = api_for(world.referrer).patch(f"{BASE}{client.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Client.objects.filter(pk=client.pk).values().get() == before


def test_bad_people_and_screening_are_refused_at_intake(world: World) -> None:
    before = counts()
    api = api_for(world.referrer)
    payload = intake_payload()
    payload["care_recipients"][1]["birth_date"] = "2090-05-01"
    response = api.post(BASE, payload, format="json")
    assert response.status_code == 400 and "care_recipients" in response.json()

    payload = intake_payload()
    payload["screening"]["would_accept"] = "no"  # … without a reason
    response = api.post(BASE, payload, format="json")
    assert response.status_code == 400
    assert "refusal_reason" in response.json()["screening"]

    payload = intake_payload()
    payload["needs"][0]["recipient_index"] = 5
    assert api.post(BASE, payload, format="json").status_code == 400

    payload = intake_payload()
    payload["consent"]["care_support"] = False
    response = api.post(BASE, payload, format="json")
    assert response.status_code == 400 and "care_support" in response.json()["consent"]

    payload = intake_payload()
    payload["consent"]["shared_with"] = [world.far_org.pk]
    response = api.post(BASE, payload, format="json")
    assert response.status_code == 400 and "shared_with" in response.json()["consent"]
    assert counts() == before


def test_messages_follow_the_language_of_the_request(world: World) -> None:
    payload = intake_payload(postcode="9999")
    messages = {}
    for language in ("nl", "fr", "en"):
        response = api_for(world.referrer, language).post(BASE, payload, format="json")
        assert response.status_code == 400
        messages[language] = response.json()["client"]["postcode"][0]
    assert messages["en"].startswith("Unknown postcode 9999")
    assert len(set(messages.values())) == 3, messages


def test_acting_organisation_must_be_named_when_there_are_several(world: World) -> None:
    second = cast(Organisation, OrganisationFactory(name="Tweede loket"))
    PartnerFactory(network=world.network, organisation=second)
    MembershipFactory(user=world.referrer, organisation=second, role="referrer")
    api = api_for(world.referrer)
    response = api.post(BASE, intake_payload(), format="json")
    assert response.status_code == 400 and "organisation" in response.json()
    response = api.post(
        BASE, {**intake_payload(), "organisation": world.other_org.pk}, format="json"
    )
    assert response.status_code == 400 and "organisation" in response.json()
    response = api.post(BASE, {**intake_payload(), "organisation": second.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["intake_organisation"]["name"] == "Tweede loket"


# --- Duplicates and following ---------------------------------------------------------


def test_duplicate_answers_409_with_minimal_information(world: World) -> None:
    existing = register(world)
    before = counts()
    response = api_for(world.other_referrer).post(BASE, intake_payload(), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate"
    (dup,) = body["duplicates"]
    assert dup["id"] == existing.pk
    assert dup["matched_on"] == "name_and_birth_date"
    assert dup["followed_by"] == ["VDAB Noord"]
    assert dup["can_link"] is True and dup["already_following"] is False
    assert f"/api/v1/clients/{existing.pk}/follow/" in dup["hint"]
    text = json.dumps(body)
    for secret in ("El Idrissi", "Yusuf", "+32470123456", "Kerkstraat"):
        assert secret not in text
    assert counts() == before


def test_same_insz_is_always_a_duplicate(world: World) -> None:
    register(world, insz=insz("900215"))
    payload = intake_payload(first_name="Someone", last_name="Else", insz=insz("900215"))
    payload["not_a_duplicate"] = True
    response = api_for(world.referrer).post(BASE, payload, format="json")
    assert response.status_code == 409
    dup = response.json()["duplicates"][0]
    assert dup["matched_on"] == "insz" and dup["already_following"] is True
    assert Client.objects.count() == 1


def test_another_person_with_the_same_name_and_birth_date(world: World) -> None:
    register(world)
    payload = {**intake_payload(), "not_a_duplicate": True}
    response = api_for(world.referrer).post(BASE, payload, format="json")
    assert response.status_code == 201
    assert Client.objects.count() == 2


def test_follow_the_existing_record_after_a_409(world: World) -> None:
    existing = register(world)
    api = api_for(world.other_referrer)
    assert api.get(f"{BASE}{existing.pk}/").status_code == 404
    response = api.post(f"{BASE}{existing.pk}/follow/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["last_name"] == "El Idrissi"
    assert api.get(f"{BASE}{existing.pk}/").status_code == 200
    assert [c["id"] for c in api.get(BASE).json()["results"]] == [existing.pk]


def test_follow_without_the_clients_consent_is_refused(world: World) -> None:
    existing = register(world, share=False)
    before = counts()
    response = api_for(world.other_referrer).post(f"{BASE}{existing.pk}/follow/", {})
    assert response.status_code == 403
    assert "El Idrissi" not in response.content.decode()
    assert counts() == before
    assert AuditEvent.objects.filter(
        action="denied", actor=world.other_referrer, object_id=str(existing.pk)
    ).exists()


def test_follow_an_unknown_client_is_404(world: World) -> None:
    assert api_for(world.referrer).post(f"{BASE}999999/follow/", {}).status_code == 404


# --- People, consents, screenings -----------------------------------------------------


def test_care_recipients_list_create_update(world: World) -> None:
    client = register(world)
    api = api_for(world.referrer)
    url = f"{BASE}{client.pk}/care-recipients/"
    assert [r["first_name"] for r in api.get(url).json()] == ["Yusuf", "Lina"]
    response = api.post(
        url,
        {
            "kind": "adult",
            "first_name": "Khadija",
            "birth_date": "1950-03-01",
            "adult_care_kind": "supervision",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    new_id = response.json()["id"]
    response = api.patch(f"{url}{new_id}/", {"allergies": "gluten"}, format="json")
    assert response.status_code == 200
    assert CareRecipient.objects.get(pk=new_id).allergies == "gluten"
    assert api.get(f"{url}{new_id}/").json()["kind"] == "adult"

    before = counts()
    bad = api.post(url, {"first_name": "Nog", "birth_date": "2090-01-01"}, format="json")
    assert bad.status_code == 400
    adult = api.post(
        url, {"kind": "adult", "first_name": "Opa", "birth_date": "1940-01-01"}, format="json"
    )
    assert adult.status_code == 400
    assert counts() == before


def test_a_person_of_another_client_is_404(world: World) -> None:
    mine = register(world)
    other = register(world, first_name="Fatma", last_name="Kaya")
    person = other.care_recipients.first()
    assert person is not None
    api = api_for(world.referrer)
    url = f"{BASE}{mine.pk}/care-recipients/{person.pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"first_name": "X"}, format="json").status_code == 404
    person.refresh_from_db()
    assert person.first_name != "X"


def test_consents_record_and_withdraw(world: World) -> None:
    client = register(world)
    api = api_for(world.referrer)
    url = f"{BASE}{client.pk}/consents/"
    (first,) = api.get(url).json()
    assert first["is_active"] and first["text_version"] == VERSION

    response = api.post(
        url,
        {
            "language": "fr",
            "share_with_partners": True,
            "shared_with": [world.other_org.pk],
            "research_use": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["shared_with"] == [{"id": world.other_org.pk, "name": "OCMW Noord"}]
    consents = api.get(url).json()
    assert [c["is_active"] for c in consents] == [True, False]
    assert consents[0]["language"] == "fr"

    bad = api.post(url, {"language": "nl", "shared_with": [world.far_org.pk]}, format="json")
    assert bad.status_code == 400 and "shared_with" in bad.json()

    api_for(world.other_referrer).post(f"{BASE}{client.pk}/follow/", {})
    assert client.followers.filter(until__isnull=True).count() == 2
    response = api.post(f"{url}withdraw/", {"what": "sharing"}, format="json")
    assert response.status_code == 200
    assert response.json()["current_consent"]["share_with_partners"] is False
    assert response.json()["status"] == "active"
    assert client.followers.filter(until__isnull=True).count() == 1

    assert api.post(f"{url}withdraw/", {"what": "nothing"}, format="json").status_code == 400
    response = api.post(f"{url}withdraw/", {"what": "everything"}, format="json")
    assert response.json() == {"status": "exited", "current_consent": None}
    again = api.post(f"{url}withdraw/", {"what": "everything"}, format="json")
    assert again.status_code == 400  # no active consent left


def test_screenings_list_and_create(world: World) -> None:
    client = register(world)
    api = api_for(world.referrer)
    url = f"{BASE}{client.pk}/screenings/"
    (intake,) = api.get(url).json()
    assert intake["occasion"] == "intake" and intake["barrier_score"] == 9
    assert {n["arrangement"] for n in intake["needs"]} == {"none", "family"}
    yusuf, lina = client.care_recipients.order_by("birth_date")
    response = api.post(
        url,
        {
            "stopped_job": False,
            "would_accept": "maybe",
            "main_barrier": "transport",
            "needs": [
                {"care_recipient": lina.pk, "arrangement": "regular_childcare", "days": [2]},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["occasion"] == "follow_up"
    assert body["taken_on"] == timezone.localdate().isoformat()
    assert body["needs"] == [
        {
            "care_recipient": lina.pk,
            "arrangement": "regular_childcare",
            "days": [2],
            "hours_per_week": "0.0",
        }
    ]
    assert body["barrier_score"] == 2  # maybe 1, single adult 1; Lina's care is arranged
    assert [s["occasion"] for s in api.get(url).json()] == ["follow_up", "intake"]

    other = register(world, first_name="Fatma", last_name="Kaya")
    before = counts()
    foreign = other.care_recipients.first()
    assert foreign is not None
    for payload in [
        {"would_accept": "no", "main_barrier": "care"},  # no reason
        {"would_accept": "yes", "main_barrier": "care", "taken_on": "2090-01-01"},
        {
            "would_accept": "yes",
            "main_barrier": "care",
            "needs": [{"care_recipient": foreign.pk, "arrangement": "none"}],
        },
        {
            "would_accept": "yes",
            "main_barrier": "care",
            "needs": [{"care_recipient": yusuf.pk, "arrangement": "none", "days": [7]}],
        },
    ]:
        response = api.post(url, payload, format="json")
        assert response.status_code == 400, payload
    assert counts() == before


# --- Leaks: outsiders see nothing, and every read and refusal is audited --------------

OUTSIDERS = [
    "other_referrer",  # another referring organisation in the same network
    "coordinator",  # the network's coordinator does not follow this client
    "provider",
    "trainer",  # a colleague at the referring organisation, without the referrer role
    "researcher",
    "far_coordinator",  # coordinator of another network
    "far_referrer",
]


def _endpoints(client: Client) -> list[tuple[str, str, dict[str, Any]]]:
    person = client.care_recipients.first()
    assert person is not None
    base = f"{BASE}{client.pk}/"
    return [
        ("get", base, {}),
        ("patch", base, {"first_name": "Hacked"}),
        ("get", f"{base}care-recipients/", {}),
        ("post", f"{base}care-recipients/", {"first_name": "X", "birth_date": "2020-01-01"}),
        ("get", f"{base}care-recipients/{person.pk}/", {}),
        ("patch", f"{base}care-recipients/{person.pk}/", {"first_name": "Hacked"}),
        ("get", f"{base}consents/", {}),
        ("post", f"{base}consents/", {"language": "nl", "research_use": True}),
        ("post", f"{base}consents/withdraw/", {"what": "everything"}),
        ("get", f"{base}screenings/", {}),
        ("post", f"{base}screenings/", {"would_accept": "yes", "main_barrier": "care"}),
        ("post", f"{base}follow/", {}),
    ]


@pytest.fixture
def private_client(world: World) -> Client:
    """A client who did not agree to sharing: no one else may follow them."""
    return register(world, share=False)


@pytest.mark.parametrize("actor_name", OUTSIDERS)
def test_outsiders_cannot_read_or_change_a_client(
    world: World, private_client: Client, actor_name: str
) -> None:
    actor = getattr(world, actor_name)
    api = api_for(actor)
    before = counts()
    snapshot = Client.objects.filter(pk=private_client.pk).values().get()
    for method, url, data in _endpoints(private_client):
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code in (403, 404), (method, url, response.status_code)
        text = response.content.decode()
        assert "El Idrissi" not in text and "Yusuf" not in text, (method, url)
        if response.status_code == 404:
            assert AuditEvent.objects.filter(
                action="denied", actor=actor, object_id=str(private_client.pk), path=url
            ).exists(), (method, url)
    assert AuditEvent.objects.filter(action="denied", actor=actor).exists()
    assert not AuditEvent.objects.filter(action="view", actor=actor).exists()
    assert counts() == before
    assert Client.objects.filter(pk=private_client.pk).values().get() == snapshot
    body = api.get(BASE).json()
    assert body["count"] == 0 and body["results"] == []
    for query in ("El Idrissi", "0470123456"):
        assert api.get(BASE, {"q": query}).json()["count"] == 0


def test_anonymous_gets_nothing(world: World, private_client: Client) -> None:
    api = api_for(None)
    calls = [("get", BASE, {}), ("post", BASE, intake_payload()), *_endpoints(private_client)]
    for method, url, data in calls:
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code in (401, 403), (method, url)
        assert "El Idrissi" not in response.content.decode()
    bad_token = APIClient(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad_token.get(f"{BASE}{private_client.pk}/").status_code == 401


@pytest.mark.parametrize("actor_name", ["provider", "trainer", "researcher"])
def test_roles_without_client_access_cannot_register(world: World, actor_name: str) -> None:
    response = api_for(getattr(world, actor_name)).post(BASE, intake_payload(), format="json")
    assert response.status_code == 403
    assert not Client.objects.exists()


def test_a_coordinator_of_another_network_cannot_register_here(world: World) -> None:
    payload = {**intake_payload(), "network": "noord"}
    response = api_for(world.far_coordinator).post(BASE, payload, format="json")
    assert response.status_code == 400 and "network" in response.json()
    assert not Client.objects.exists()


def test_every_allowed_read_is_audited(world: World, private_client: Client) -> None:
    api = api_for(world.referrer)
    pk = str(private_client.pk)
    reads = [
        f"{BASE}{pk}/",
        f"{BASE}{pk}/care-recipients/",
        f"{BASE}{pk}/consents/",
        f"{BASE}{pk}/screenings/",
    ]
    for url in reads:
        assert api.get(url).status_code == 200
        event = AuditEvent.objects.filter(action="view", object_id=pk, path=url).get()
        assert event.actor == world.referrer
        assert event.object_type == "clients.client"
        assert event.network_id == world.network.pk
        assert event.ip_address == "127.0.0.1"
    api.get(BASE, {"q": "El Idrissi"})
    listed = AuditEvent.objects.get(action="view", object_id=pk, path=BASE)
    assert listed.detail == {"read": "list", "page": 1, "search": True}
    assert listed.actor == world.referrer and listed.network_id == world.network.pk
    # Nothing listed, nothing logged.
    before = AuditEvent.objects.count()
    api.get(BASE, {"q": "nobody"})
    assert AuditEvent.objects.count() == before


def test_a_refusal_of_a_client_that_does_not_exist_is_audited_too(world: World) -> None:
    assert api_for(world.referrer).get(f"{BASE}424242/").status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id="424242").exists()


def test_list_query_count_does_not_grow_with_the_page_size(
    world: World, django_assert_max_num_queries: Any
) -> None:
    api = api_for(world.referrer)
    register(world, first_name="A0", last_name="Zed0")
    api.get(BASE)  # the token's last use is written once a minute at most
    with django_assert_max_num_queries(8) as few:
        assert api.get(BASE, {"page_size": 100}).json()["count"] == 1
    for i in range(1, 40):
        register(world, first_name=f"A{i}", last_name=f"Zed{i}", phone="")
    # token, memberships, partners, count, page, one INSERT of the audit events
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.get(BASE, {"page_size": 100}).json()
    assert len(body["results"]) == 40
    assert AuditEvent.objects.filter(action="view", path=BASE).count() == 1 + 1 + 40


def test_the_schema_documents_the_client_api(world: World) -> None:
    schema = api_for(world.referrer).get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/clients/",
        "/api/v1/clients/{id}/",
        "/api/v1/clients/{id}/follow/",
        "/api/v1/clients/{id}/care-recipients/",
        "/api/v1/clients/{id}/care-recipients/{recipient_id}/",
        "/api/v1/clients/{id}/consents/",
        "/api/v1/clients/{id}/consents/withdraw/",
        "/api/v1/clients/{id}/screenings/",
    ):
        assert path in schema["paths"], path
    assert "409" in schema["paths"]["/api/v1/clients/"]["post"]["responses"]
    assert "KindEnum" in schema["components"]["schemas"]  # the organisations' kind is unchanged
