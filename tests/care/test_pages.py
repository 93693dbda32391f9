"""Care pages: a referrer asks and books; a provider sees the day list and registers
attendance; outsiders are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.care.conftest import CareWorld
from zorgbrug.care.models import Booking, CareRequest, CareSite, RequestStatus

pytestmark = pytest.mark.django_db


def _ask(care: CareWorld, **overrides: Any) -> Any:
    client = care.world.client_for(care.world.referrer)
    data = {
        "kind": "course",
        "title": "Logistiek assistent",
        "postcode": "9900",
        "first_date": care.monday.isoformat(),
        "repeat_days": ["0", "1", "3"],
        "last_date": (care.monday + dt.timedelta(days=20)).isoformat(),
        "start_time": "09:00",
        "end_time": "12:00",
        "travel_minutes": "30",
        "recipients": [str(r.pk) for r in care.family.care_recipients.all()],
        "urgency": "normal",
        "preference": "home",
    }
    data.update(overrides)
    return client, client.post(reverse("care:ask_care", args=[care.family.pk]), data)


def test_referrer_asks_care_and_books_the_first_proposal(care: CareWorld) -> None:
    client, response = _ask(care)
    assert response.status_code == 302
    request = CareRequest.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="option"' in page and "Kriebeltje" in page
    key = str(care.near.pk)
    response = client.post(reverse("care:request_book", args=[request.pk]), {"option": key})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.BOOKED
    assert Booking.objects.count() == 18
    care_html = client.get(reverse("care:client_care", args=[care.family.pk])).content.decode()
    assert "Logistiek assistent" in care_html


def test_ask_care_bad_input_changes_nothing(care: CareWorld) -> None:
    _client, response = _ask(
        care, first_date=(timezone.localdate() - dt.timedelta(days=3)).isoformat()
    )
    assert response.status_code == 400
    _client, response = _ask(care, start_time="19:00", end_time="21:00")
    assert response.status_code == 400
    _client, response = _ask(care, postcode="9999")
    assert response.status_code == 400
    assert not CareRequest.objects.exists()


def test_outsiders_cannot_ask_or_see_requests(care: CareWorld) -> None:
    _ask(care)
    request = CareRequest.objects.get()
    for user in (
        care.world.other_referrer,
        care.world.researcher,
        care.other_provider,
        care.world.far_coordinator,
    ):
        c = care.world.client_for(user)
        assert c.get(reverse("care:ask_care", args=[care.family.pk])).status_code == 404
        assert c.get(reverse("care:request_detail", args=[request.pk])).status_code == 404
        assert (
            c.post(
                reverse("care:request_book", args=[request.pk]), {"option": str(care.near.pk)}
            ).status_code
            == 404
        )
        assert c.get(reverse("care:client_care", args=[care.family.pk])).status_code == 404
    assert not Booking.objects.exists()


def test_provider_day_list_and_attendance(care: CareWorld) -> None:
    client, response = _ask(care)
    request = CareRequest.objects.get()
    client.post(reverse("care:request_book", args=[request.pk]), {"option": str(care.near.pk)})
    booking = Booking.objects.order_by("date", "recipient__first_name").first()
    assert booking is not None
    Booking.objects.filter(date=booking.date).update(date=timezone.localdate())
    provider = care.world.client_for(care.provider)
    url = reverse("care:day_list", args=[care.near.pk, timezone.localdate().isoformat()])
    html = provider.get(url).content.decode()
    assert "Yusuf" in html and "Lina" in html and "pinda" in html
    assert "El Idrissi" not in html  # the provider sees first names only
    response = provider.post(
        reverse("care:attendance", args=[booking.pk]),
        {
            "status": "attended",
            "arrived_at": "08:35",
            "picked_up_at": "12:25",
            "picked_up_by": "mama",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-status="attended"' in response.content.decode()
    other = care.world.client_for(care.other_provider)
    assert other.get(url).status_code == 404
    assert (
        other.post(reverse("care:attendance", args=[booking.pk]), {"status": "no_show"}).status_code
        == 404
    )
    booking.refresh_from_db()
    assert booking.status == "attended"


def test_day_list_query_count_is_constant(
    care: CareWorld, django_assert_max_num_queries: Any
) -> None:
    client, _response = _ask(care)
    request = CareRequest.objects.get()
    client.post(reverse("care:request_book", args=[request.pk]), {"option": str(care.near.pk)})
    provider = care.world.client_for(care.provider)
    url = reverse("care:day_list", args=[care.near.pk, care.monday.isoformat()])
    provider.get(url)
    with django_assert_max_num_queries(12):
        assert "Yusuf" in provider.get(url).content.decode()


def test_provider_manages_capacity_of_own_site_only(care: CareWorld) -> None:
    provider = care.world.client_for(care.provider)
    url = reverse("care:site_detail", args=[care.near.pk])
    response = provider.post(
        url,
        {
            "form": "vacancy",
            "vac-age_band": care.baby.pk,
            "vac-date": care.monday.isoformat(),
            "vac-day_part": "pm",
            "vac-places": "2",
        },
    )
    assert response.status_code == 302
    assert care.near.vacancies.count() == 1
    bad = provider.post(
        url,
        {
            "form": "closure",
            "clo-first_day": care.monday.isoformat(),
            "clo-last_day": (care.monday - dt.timedelta(days=2)).isoformat(),
        },
    )
    assert bad.status_code == 400
    assert provider.get(reverse("care:site_detail", args=[care.far.pk])).status_code == 404


def test_coordinator_sets_up_age_bands_and_bookable_sites(care: CareWorld) -> None:
    coordinator = care.world.client_for(care.world.coordinator)
    url = reverse("care:network_care", args=["noord"])
    response = coordinator.post(
        url, {"form": "band", "name": "Tieners", "min_months": "144", "max_months": "216"}
    )
    assert response.status_code == 302
    overlap = coordinator.post(
        url, {"form": "band", "name": "X", "min_months": "10", "max_months": "40"}
    )
    assert overlap.status_code == 400
    from tests.factories import SiteFactory

    new_site: Any = SiteFactory(organisation=care.world.provider_org, name="Nieuwe vestiging")
    response = coordinator.post(url, {"form": "enable", "site": new_site.pk})
    assert response.status_code == 302
    assert CareSite.objects.filter(site=new_site).exists()
    assert care.world.client_for(care.world.referrer).get(url).status_code == 404


def test_provider_home_leads_to_todays_day_list(care: CareWorld) -> None:
    """On the tablet, the first page says how many children come today and opens their
    day list in one tap; other providers' sites are not there."""
    client, _response = _ask(care)
    request = CareRequest.objects.get()
    client.post(reverse("care:request_book", args=[request.pk]), {"option": str(care.near.pk)})
    first = Booking.objects.order_by("date").values_list("date", flat=True).first()
    Booking.objects.filter(date=first).update(date=timezone.localdate())  # two children today

    home = care.world.client_for(care.provider).get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = home.content.decode()
    today = timezone.localdate().isoformat()
    assert "2 children expected today" in html
    assert reverse("care:day_list", args=[care.near.pk, today]) in html
    assert reverse("care:site_detail", args=[care.near.pk]) in html
    assert reverse("care:day_list", args=[care.far.pk, today]) not in html
    other = care.world.client_for(care.other_provider).get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "0 children expected today" in other.content.decode()
    assert reverse("care:day_list", args=[care.near.pk, today]) not in other.content.decode()
