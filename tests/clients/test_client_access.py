"""Who may read a client record, through pages and API; every read and refusal is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.conftest import World
from zorgbrug.access.models import AuditEvent
from zorgbrug.clients.models import Client

pytestmark = pytest.mark.django_db

CLIENT_PAGES = [
    "clients:client_detail",
    "clients:client_edit",
    "clients:recipient_add",
    "clients:screening_new",
]


@pytest.mark.parametrize(
    "actor_name",
    [
        "other_referrer",
        "far_referrer",
        "far_coordinator",
        "provider",
        "researcher",
        "trainer",
        "coordinator",
    ],
)
@pytest.mark.parametrize("page", CLIENT_PAGES)
def test_outsiders_cannot_read_a_client_page(
    world: World, client_record: Client, actor_name: str, page: str
) -> None:
    actor = getattr(world, actor_name)
    response = world.client_for(actor).get(reverse(page, args=[client_record.pk]))
    assert response.status_code in (403, 404)
    assert client_record.last_name not in response.content.decode()
    if response.status_code == 404:
        assert AuditEvent.objects.filter(
            action="denied", actor=actor, object_id=str(client_record.pk)
        ).exists()


@pytest.mark.parametrize("actor_name", ["provider", "researcher", "trainer"])
def test_caseload_refused_to_roles_without_client_access(
    world: World, client_record: Client, actor_name: str
) -> None:
    response = world.client_for(getattr(world, actor_name)).get(reverse("clients:caseload"))
    assert response.status_code == 403


def test_other_referrer_sees_an_empty_caseload(world: World, client_record: Client) -> None:
    html = world.client_for(world.other_referrer).get(reverse("clients:caseload")).content.decode()
    assert client_record.last_name not in html


def test_referrer_reads_and_the_read_is_audited(world: World, client_record: Client) -> None:
    response = world.client_for(world.referrer).get(
        reverse("clients:client_detail", args=[client_record.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "El Idrissi" in html and "Yusuf" in html
    event = AuditEvent.objects.get(
        action="view", actor=world.referrer, object_id=str(client_record.pk)
    )
    assert event.object_type == "clients.client"
    assert event.path == reverse("clients:client_detail", args=[client_record.pk])
    assert event.network_id == world.network.pk


def test_colleague_trainer_at_same_organisation_is_refused(
    world: World, client_record: Client
) -> None:
    # The trainer belongs to the referring organisation, but has no referrer role.
    response = world.client_for(world.trainer).get(
        reverse("clients:client_detail", args=[client_record.pk])
    )
    assert response.status_code == 404


def test_coordinator_reads_the_audit_trail_of_the_network(
    world: World, client_record: Client
) -> None:
    world.client_for(world.referrer).get(reverse("clients:client_detail", args=[client_record.pk]))
    world.client_for(world.other_referrer).get(
        reverse("clients:client_detail", args=[client_record.pk])
    )
    html = (
        world.client_for(world.coordinator)
        .get(reverse("network:network_audit", args=["noord"]))
        .content.decode()
    )
    assert "ref@example.org" in html and "other@example.org" in html
    far = world.client_for(world.far_coordinator).get(
        reverse("network:network_audit", args=["noord"])
    )
    assert far.status_code == 404


def test_anonymous_is_sent_to_login(client_record: Client) -> None:
    response = HttpClient().get(reverse("clients:client_detail", args=[client_record.pk]))
    assert response.status_code == 302


def test_caseload_search_by_name_insz_and_phone(world: World, client_record: Client) -> None:
    from tests.clients.conftest import register

    other = register(
        world,
        first_name="Fatma",
        last_name="Kaya",
        phone="+32 485 99 88 77",
        insz="85073003328",
        birth_date=__import__("datetime").date(1985, 7, 30),
    )
    client = world.client_for(world.referrer)
    url = reverse("clients:caseload")
    for query, expected, not_expected in [
        ("kaya", other, client_record),
        ("El Idr", client_record, other),
        ("85.07.30-033.28", other, client_record),
        ("0485998877", other, client_record),
        ("+32470123456", client_record, other),
    ]:
        html = client.get(url, {"q": query}).content.decode()
        assert expected.last_name in html, query
        assert not_expected.last_name not in html, query


def test_caseload_query_count_does_not_grow_with_page_size(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from tests.clients.conftest import register

    client = world.client_for(world.referrer)
    url = reverse("clients:caseload")
    register(world, first_name="A0", last_name="Zed0")
    client.get(url)
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    for i in range(1, 30):
        register(world, first_name=f"A{i}", last_name=f"Zed{i}", phone="")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("/clients/") >= 25


def test_intake_page_registers_a_client(world: World) -> None:
    client = world.client_for(world.referrer)
    data = {
        "organisation": world.org.pk,
        "consent-language": "nl",
        "consent-care_support": "on",
        "consent-share_with_partners": "on",
        "client-first_name": "Sara",
        "client-last_name": "Peeters",
        "client-birth_date": "1992-04-03",
        "client-gender": "female",
        "client-phone": "0470 11 22 33",
        "client-postcode": "9900",
        "client-labour_status": "unemployed",
        "client-income_source": "unemployment_benefit",
        "client-adults_in_household": "1",
        "client-children_in_household": "1",
        "client-languages": "nl",
        "client-migration_background": "unknown",
        "recipients-TOTAL_FORMS": "3",
        "recipients-INITIAL_FORMS": "0",
        "recipients-MIN_NUM_FORMS": "0",
        "recipients-MAX_NUM_FORMS": "12",
        "recipients-0-kind": "child",
        "recipients-0-first_name": "Noor",
        "recipients-0-birth_date": "2022-01-10",
        "recipients-0-arrangement": "none",
        "recipients-0-days": ["0", "1"],
        "recipients-0-hours_per_week": "16",
        "recipients-1-kind": "child",
        "recipients-2-kind": "child",
        "with_screening": "1",
        "screening-occasion": "intake",
        "screening-taken_on": "2026-11-20",
        "screening-stopped_interview": "on",
        "screening-would_accept": "yes",
        "screening-main_barrier": "care",
    }
    response = client.post(reverse("clients:intake"), data)
    ctx = response.context
    assert response.status_code == 302, [
        (name, ctx[name].errors) for name in ("client_form", "consent_form", "screening_form")
    ] + [ctx["recipients"].errors, ctx["recipients"].non_form_errors(), ctx["duplicates"]]
    created = Client.objects.get(last_name="Peeters")
    assert created.care_recipients.get().first_name == "Noor"
    need = created.screenings.get().needs.get()
    assert need.days_needed == "1100000" and need.hours_per_week == 16
    bad = dict(data, **{"client-phone": "123", "client-last_name": "Janssens"})
    response = client.post(reverse("clients:intake"), bad)
    assert response.status_code == 400
    assert not Client.objects.filter(last_name="Janssens").exists()


def test_caseload_filter_on_open_care_request(world: World, client_record: Client) -> None:
    import datetime as dt

    from tests.clients.conftest import register
    from zorgbrug.care.models import Activity, CareRequest

    other = register(world, first_name="Sanne", last_name="Waitinglist", phone="")
    activity = Activity.objects.create(
        client=other,
        kind="course",
        title="Cursus",
        first_date=dt.date(2030, 1, 7),
        start_time=dt.time(9),
        end_time=dt.time(12),
        organisation=world.org,
    )
    CareRequest.objects.create(
        client=other,
        activity=activity,
        organisation=world.org,
        network=world.network,
        status="waitlisted",
    )
    html = (
        world.client_for(world.referrer)
        .get(reverse("clients:caseload"), {"open_request": "1"})
        .content.decode()
    )
    assert "Waitinglist" in html and client_record.last_name not in html
