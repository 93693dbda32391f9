"""Intake: the client record with consent, care recipients and screening; bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.clients.conftest import CONSENT, client_fields, insz, register
from tests.conftest import World
from zorgbrug.access.models import AuditEvent
from zorgbrug.clients import identifiers, services
from zorgbrug.clients.models import CareRecipient, Client, Consent, Screening, ScreeningNeed
from zorgbrug.clients.screening import NeedAnswer, barrier_score, days_mask

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Client.objects.count(),
        CareRecipient.objects.count(),
        Consent.objects.count(),
        Screening.objects.count(),
        ScreeningNeed.objects.count(),
    )


def test_intake_creates_everything_and_audits(world: World) -> None:
    client = register(world)
    assert client.phone == "+32470123456"
    assert client.municipality == "Eeklo" and client.latitude is not None
    assert client.search_name == "amina el idrissi"
    assert [r.first_name for r in client.care_recipients.order_by("birth_date")] == [
        "Yusuf",
        "Lina",
    ]
    screening = client.screenings.get()
    # 3 + 1 (two kinds stopped) + 2 (would accept) + 1 (one child without arrangement)
    # + 1 (single adult) + 1 (care is the main barrier) = 9
    assert screening.barrier_score == 9
    assert screening.needs.count() == 2
    assert client.followers.get().organisation == world.org
    assert AuditEvent.objects.filter(
        object_type="clients.client",
        object_id=str(client.pk),
        action="create",
        actor=world.referrer,
    ).exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("85.07.30-033.28", "85073003328"),
        (insz("050312", "001", born_2000=True), insz("050312", "001", born_2000=True)),
        (insz("854730", "033"), insz("854730", "033")),  # BIS, sex known (month + 40)
        (insz("852730", "033"), insz("852730", "033")),  # BIS, sex unknown (month + 20)
        (insz("850000", "033"), insz("850000", "033")),  # date unknown: month and day 00
    ],
)
def test_valid_insz_numbers(value: str, expected: str) -> None:
    assert identifiers.normalise_insz(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("85073003329", "insz_checksum"),
        ("85133003370", "insz_date"),  # month 13, valid check digits
        ("1234", "insz_format"),
    ],
)
def test_invalid_insz_numbers_are_refused_in_each_language(value: str, code: str) -> None:
    seen = set()
    for language in ("nl", "fr", "en"):
        with translation.override(language):
            with pytest.raises(ValidationError) as exc:
                identifiers.normalise_insz(value)
            assert exc.value.error_list[0].code == code
            seen.add(exc.value.messages[0])
    assert len(seen) == 3  # three languages, three different messages


def test_insz_must_match_birth_date() -> None:
    with pytest.raises(ValidationError) as exc:
        identifiers.normalise_insz("85073003328", birth_date=dt.date(1985, 7, 31))
    assert exc.value.error_list[0].code == "insz_birth_date"


@pytest.mark.parametrize("phone", ["0470 12 34", "+32 12", "not a phone", "0000000000"])
def test_invalid_phone_numbers_are_refused(phone: str) -> None:
    with pytest.raises(ValidationError):
        identifiers.normalise_phone(phone)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0470/12.34.56", "+32470123456"),
        ("+31 6 12345678", "+31612345678"),
        ("09 376 10 00", "+3293761000"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, e164: str) -> None:
    assert identifiers.normalise_phone(raw) == e164


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"insz": "85073003329", "birth_date": dt.date(1985, 7, 30)}, "insz"),
        ({"birth_date": dt.date(2030, 1, 1)}, "birth_date"),
        ({"birth_date": dt.date(1880, 1, 1)}, "birth_date"),
        ({"phone": "12345"}, "phone"),
        ({"postcode": "9999"}, "postcode"),
        ({"languages": ["arabic"]}, "languages"),
        ({"migration_background": True}, "migration_background"),
        ({"single_adult_household": True, "adults_in_household": 2}, "single_adult_household"),
    ],
)
def test_bad_intake_is_refused_and_changes_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    before = _counts()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        register(world, **overrides)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert _counts() == before
    assert AuditEvent.objects.count() == audit_before


def test_child_with_impossible_birth_date_is_refused(world: World) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.client_register(
            actor=world.referrer,
            organisation=world.org,
            network=world.network,
            client=client_fields(),
            consent=dict(CONSENT),
            recipients=[{"kind": "child", "first_name": "X", "birth_date": dt.date(2099, 1, 1)}],
        )
    assert "care_recipients" in exc.value.message_dict
    assert _counts() == before


def test_screening_in_the_future_is_refused(world: World) -> None:
    before = _counts()
    with pytest.raises(ValidationError):
        services.client_register(
            actor=world.referrer,
            organisation=world.org,
            network=world.network,
            client=client_fields(),
            consent=dict(CONSENT),
            recipients=[],
            screening={
                "taken_on": dt.date.today() + dt.timedelta(days=3),
                "would_accept": "yes",
                "main_barrier": "care",
            },
        )
    assert _counts() == before


def test_no_record_without_consent_to_care_support(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.client_register(
            actor=world.referrer,
            organisation=world.org,
            network=world.network,
            client=client_fields(),
            consent={**CONSENT, "care_support": False},
        )
    assert "care_support" in exc.value.message_dict
    assert not Client.objects.exists()


def test_migration_background_only_with_explicit_consent(world: World) -> None:
    client = services.client_register(
        actor=world.referrer,
        organisation=world.org,
        network=world.network,
        client=client_fields(migration_background=True),
        consent={**CONSENT, "special_category": True},
    )
    assert client.migration_background is True


@pytest.mark.parametrize("actor_name", ["provider", "researcher", "trainer"])
def test_only_referrers_and_coordinators_make_intakes(world: World, actor_name: str) -> None:
    actor = getattr(world, actor_name)
    org = actor.memberships.get().organisation
    with pytest.raises(PermissionDenied):
        register(world, actor=actor, organisation=org)


def test_referrer_cannot_register_for_another_organisation(world: World) -> None:
    with pytest.raises(PermissionDenied):
        register(world, organisation=world.other_org)


# --- Duplicates and sharing -----------------------------------------------------------


def test_duplicate_on_insz_is_detected_and_linkable_with_consent(world: World) -> None:
    first = register(world, insz="85073003328", birth_date=dt.date(1985, 7, 30))
    with pytest.raises(services.DuplicateClient) as exc:
        register(
            world,
            actor=world.other_referrer,
            organisation=world.other_org,
            insz="85.07.30-033.28",
            birth_date=dt.date(1985, 7, 30),
            first_name="Amina",
            last_name="Idrissi",
        )
    [dup] = exc.value.duplicates
    assert dup.client_id == first.pk and dup.matched_on == "insz" and dup.can_link
    assert dup.followed_by == (world.org.name,)
    services.client_follow(
        actor=world.other_referrer, organisation=world.other_org, client_id=first.pk
    )
    assert Client.objects.count() == 1
    from zorgbrug.access import scoping

    assert list(scoping.clients(world.other_referrer)) == [first]


def test_duplicate_on_name_and_birth_date_ignores_accents_and_case(world: World) -> None:
    register(world, first_name="Ayşe", last_name="Yılmaz")
    with pytest.raises(services.DuplicateClient):
        register(
            world,
            actor=world.other_referrer,
            organisation=world.other_org,
            first_name="ayse",
            last_name="YILMAZ",
        )
    # The referrer may say it is another person with the same name and birth date.
    services.client_register(
        actor=world.other_referrer,
        organisation=world.other_org,
        network=world.network,
        client=client_fields(first_name="ayse", last_name="YILMAZ"),
        consent=dict(CONSENT),
        allow_duplicate=True,
    )
    assert Client.objects.count() == 2


def test_link_refused_without_sharing_consent(world: World) -> None:
    first = services.client_register(
        actor=world.referrer,
        organisation=world.org,
        network=world.network,
        client=client_fields(),
        consent={**CONSENT, "share_with_partners": False},
    )
    with pytest.raises(ValidationError):
        services.client_follow(
            actor=world.other_referrer, organisation=world.other_org, client_id=first.pk
        )
    assert first.followers.count() == 1
    assert AuditEvent.objects.filter(action="denied", object_id=str(first.pk)).exists()


def test_link_only_to_named_partners(world: World) -> None:
    first = services.client_register(
        actor=world.referrer,
        organisation=world.org,
        network=world.network,
        client=client_fields(),
        consent={**CONSENT, "shared_with": [world.coordinator_org]},
    )
    with pytest.raises(ValidationError):
        services.client_follow(
            actor=world.other_referrer, organisation=world.other_org, client_id=first.pk
        )
    services.client_follow(
        actor=world.coordinator, organisation=world.coordinator_org, client_id=first.pk
    )


def test_withdrawing_sharing_stops_other_organisations(world: World, client_record: Client) -> None:
    from zorgbrug.access import scoping

    services.client_follow(
        actor=world.other_referrer, organisation=world.other_org, client_id=client_record.pk
    )
    services.consent_withdraw(
        actor=world.referrer, client=client_record, organisation=world.org, sharing=True
    )
    assert not scoping.clients(world.other_referrer).exists()
    assert scoping.clients(world.referrer).filter(pk=client_record.pk).exists()
    current = client_record.consents.get(withdrawn_at__isnull=True)
    assert not current.share_with_partners and current.research_use
    with pytest.raises(ValidationError):
        services.client_follow(
            actor=world.other_referrer, organisation=world.other_org, client_id=client_record.pk
        )


def test_withdrawing_research_keeps_sharing(world: World, client_record: Client) -> None:
    services.consent_withdraw(
        actor=world.referrer, client=client_record, organisation=world.org, research=True
    )
    current = client_record.consents.get(withdrawn_at__isnull=True)
    assert current.share_with_partners and not current.research_use
    assert client_record.consents.count() == 2  # the history stays


def test_withdrawing_everything_closes_the_record(world: World, client_record: Client) -> None:
    services.consent_withdraw(
        actor=world.referrer, client=client_record, organisation=world.org, everything=True
    )
    client_record.refresh_from_db()
    assert client_record.status == "exited"
    assert not client_record.consents.filter(withdrawn_at__isnull=True).exists()


# --- The barrier score ----------------------------------------------------------------


def test_barrier_score_bounds() -> None:
    worst = barrier_score(
        stopped_job=True,
        stopped_course=True,
        stopped_interview=True,
        would_accept="yes",
        single_adult_household=True,
        main_barrier="care",
        needs=[NeedAnswer("none", True)] * 4,
    )
    assert worst == 10
    none = barrier_score(
        stopped_job=False,
        stopped_course=False,
        stopped_interview=False,
        would_accept="no",
        single_adult_household=False,
        main_barrier="health",
        needs=[NeedAnswer("regular_childcare", True)],
    )
    assert none == 0
    assert days_mask([0, 2, 4]) == "1010100"
