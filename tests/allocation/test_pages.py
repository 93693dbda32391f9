"""The coordinator's allocation pages: start, progress, review, accept, what if; access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.allocation.conftest import Contested, run_inline
from zorgbrug.allocation.models import AllocationRun, Outcome, RunState
from zorgbrug.care.models import Booking, RequestStatus
from zorgbrug.jobs.models import Job

pytestmark = pytest.mark.django_db


def page_of(contested: Contested) -> str:
    return reverse("allocation:network", args=[contested.care.world.network.slug])


def ready_run(contested: Contested, capture: Any) -> AllocationRun:
    run: AllocationRun = run_inline(
        capture,
        actor=contested.care.world.coordinator,
        network=contested.care.world.network,
        first=contested.first,
        last=contested.last,
        time_limit=5.0,
    )
    assert run.state == RunState.READY
    return run


def test_the_coordinator_starts_a_run_and_reviews_it(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    world = contested.care.world
    client = world.client_for(world.coordinator)
    home = client.get("/").content.decode()
    assert reverse("allocation:index") in home  # in the navigation
    assert page_of(contested) in home  # and on the network's card
    assert client.get(reverse("allocation:index"))["Location"] == page_of(contested)
    page = client.get(page_of(contested))
    assert page.status_code == 200 and 'name="first_date"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            page_of(contested),
            {
                "first_date": contested.first.isoformat(),
                "last_date": contested.last.isoformat(),
                "time_limit": "5",
            },
        )
    run = AllocationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "allocation:run", args=[run.pk]
    )
    review = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = review.content.decode()
    assert review.status_code == 200
    assert html.count('data-testid="served-row"') == run.decisions.filter(served=True).count()
    assert html.count('data-testid="unserved-row"') == run.decisions.filter(served=False).count()
    assert 'data-testid="accept-all"' in html and 'name="requests"' in html
    # The comparison with first come, first served.
    assert f"{run.fcfs_served_count} / {run.requests_total}" in html
    assert 'data-testid="value-gain"' in html
    # A finished run's progress endpoint sends the browser (htmx) back to the review.
    progress = client.get(reverse("allocation:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert progress.status_code == 204
    assert progress["HX-Redirect"] == reverse("allocation:run", args=[run.pk])
    # The run page lists the run.
    assert (
        reverse("allocation:run", args=[run.pk]) in client.get(page_of(contested)).content.decode()
    )


def test_the_progress_bar_polls_while_the_run_works(contested: Contested) -> None:
    world = contested.care.world
    run = AllocationRun.objects.create(
        network=world.network,
        first_date=contested.first,
        last_date=contested.last,
        created_by=world.coordinator,
        state=RunState.RUNNING,
        job=Job.objects.create(
            kind="allocation.run",
            title="x",
            progress_done=2,
            progress_total=5,
            message="Looking for the best allocation",
            created_by=world.coordinator,
        ),
    )
    client = world.client_for(world.coordinator)
    html = client.get(reverse("allocation:run", args=[run.pk])).content.decode()
    progress_url = reverse("allocation:run_progress", args=[run.pk])
    assert f'hx-get="{progress_url}"' in html
    assert 'value="40"' in html and "Looking for the best allocation" in html
    partial = client.get(reverse("allocation:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and 'id="run-progress"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_ticked_requests_are_booked_and_the_result_is_shown(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    world = contested.care.world
    run = ready_run(contested, django_capture_on_commit_callbacks)
    client = world.client_for(world.coordinator)
    chosen = [contested.pk("job_start"), contested.pk("interview")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("allocation:run_accept", args=[run.pk]),
            {"scope": "selected", "requests": [str(pk) for pk in chosen]},
            HTTP_ACCEPT_LANGUAGE="en",  # the message is written in the language of the post
        )
    assert response.status_code == 302
    assert set(Booking.objects.values_list("request_id", flat=True)) == set(chosen)
    html = client.get(reverse("allocation:run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = html.content.decode()
    assert 'data-testid="accept-result"' in text
    assert text.count('data-testid="decided-row" data-outcome="booked"') == 2
    assert "2 requests booked." in text
    # Then the rest, all at once.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("allocation:run_accept", args=[run.pk]), {"scope": "all"})
    booked = set(Booking.objects.values_list("request_id", flat=True))
    assert booked == set(
        run.decisions.filter(served=True).values_list("care_request_id", flat=True)
    )


def test_a_request_changed_since_the_run_is_flagged_and_skipped(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    world = contested.care.world
    run = ready_run(contested, django_capture_on_commit_callbacks)
    served = run.decisions.filter(served=True).first()
    assert served is not None
    served.care_request.__class__.objects.filter(pk=served.care_request_id).update(
        status=RequestStatus.CANCELLED
    )
    client = world.client_for(world.coordinator)
    text = client.get(
        reverse("allocation:run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'data-testid="changed"' in text and "1 request changed since the run" in text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("allocation:run_accept", args=[run.pk]), {"scope": "all"})
    served.refresh_from_db()
    assert served.outcome == Outcome.REQUEST_CHANGED
    assert not Booking.objects.filter(request_id=served.care_request_id).exists()


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (-2, 3, "The period cannot start in the past"),
        (1, 40, "A period covers at most 31 days"),
        (6, 2, "The last day cannot be before the first day"),
        (None, 2, "This field is required"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(
    contested: Contested, first: int | None, last: int, message: str
) -> None:
    world = contested.care.world
    today = timezone.localdate()
    data = {
        "first_date": "" if first is None else (today + dt.timedelta(days=first)).isoformat(),
        "last_date": (today + dt.timedelta(days=last)).isoformat(),
        "time_limit": "5",
    }
    response = world.client_for(world.coordinator).post(
        page_of(contested), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AllocationRun.objects.exists() and not Job.objects.exists()


def test_nobody_else_sees_or_accepts_a_run(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    world = contested.care.world
    run = ready_run(contested, django_capture_on_commit_callbacks)
    family_name = contested.requests["job_start"].client.first_name
    pages = [
        reverse("allocation:run", args=[run.pk]),
        reverse("allocation:run_progress", args=[run.pk]),
        page_of(contested),
        reverse("allocation:what_if", args=[world.network.slug]),
    ]
    for outsider in (world.referrer, world.provider, world.researcher, world.far_coordinator):
        client = world.client_for(outsider)
        assert client.get(reverse("allocation:index")).status_code in (403, 302)
        for url in pages:
            response = client.get(url)
            assert response.status_code in (403, 404), (outsider, url)
            assert family_name not in response.content.decode()
        response = client.post(reverse("allocation:run_accept", args=[run.pk]), {"scope": "all"})
        assert response.status_code in (403, 404)
        if outsider != world.far_coordinator:  # she allocates her own network's places
            assert reverse("allocation:index") not in client.get("/").content.decode()
    # The far coordinator has an allocation page of her own network, without this run.
    far = world.client_for(world.far_coordinator)
    own = far.get(reverse("allocation:network", args=[world.other_network.slug]))
    assert own.status_code == 200
    assert reverse("allocation:run", args=[run.pk]) not in own.content.decode()
    assert world.client_for(None).get(reverse("allocation:run", args=[run.pk])).status_code == 302
    assert not Booking.objects.exists()


def test_what_if_page(contested: Contested, django_capture_on_commit_callbacks: Any) -> None:
    world = contested.care.world
    care = contested.care
    client = world.client_for(world.coordinator)
    url = reverse("allocation:what_if", args=[world.network.slug])
    page = client.get(url)
    assert page.status_code == 200
    last_month_end = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    assert last_month_end.isoformat() in page.content.decode()  # last month by default
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "first_date": contested.first.isoformat(),
                "last_date": contested.last.isoformat(),
                "change": "more",
                "site": str(care.far.pk),
                "places": "2",
                "band": str(care.baby.pk),
            },
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="allocation.what_if")
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="what-if"' in html and 'data-state="done"' in html
    assert f">+{job.result['extra_requests']}<" in html
    # Moving places needs a target; bad input is a 400 and starts nothing.
    response = client.post(
        url,
        {
            "first_date": contested.first.isoformat(),
            "last_date": contested.last.isoformat(),
            "change": "move",
            "site": str(care.far.pk),
            "places": "2",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Choose the site the places move to." in response.content.decode()
    assert Job.objects.filter(kind="allocation.what_if").count() == 1
    # Someone else's comparison is not found.
    other = world.client_for(world.far_coordinator)
    assert other.get(f"{url}?job={job.pk}").status_code == 404
    job_url = reverse("allocation:what_if_job", args=[world.network.slug, job.pk])
    assert other.get(job_url).status_code == 404
    assert client.get(job_url).status_code == 200


def test_the_review_reads_a_bounded_number_of_queries(
    contested: Contested,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from tests.allocation.conftest import ask, family

    care = contested.care
    for i in range(8):
        ask(care, family(care, f"More{i}", [("A", 8), ("B", 50)]), "course", end=dt.time(15))
    run = ready_run(contested, django_capture_on_commit_callbacks)
    assert run.requests_total == 14
    client = care.world.client_for(care.world.coordinator)
    client.get("/")  # the session and the actor, once
    with django_assert_max_num_queries(16):
        response = client.get(reverse("allocation:run", args=[run.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="unserved-row"') >= 1


def test_a_job_that_failed_before_the_run_started_stops_the_polling(
    contested: Contested,
) -> None:
    world = contested.care.world
    job = Job.objects.create(
        kind="allocation.run",
        title="x",
        state="failed",
        message="The worker was lost.",
        created_by=world.coordinator,
    )
    run = AllocationRun.objects.create(
        network=world.network,
        first_date=contested.first,
        last_date=contested.last,
        created_by=world.coordinator,
        job=job,
    )
    client = world.client_for(world.coordinator)
    html = client.get(reverse("allocation:run", args=[run.pk])).content.decode()
    assert "The worker was lost." in html and 'id="run-progress"' not in html
    poll = client.get(reverse("allocation:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 204
