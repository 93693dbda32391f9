"""Caseload speed: a referrer whose organisation follows 10,000 clients.

The synthetic region gets 10,000 clients (`generate_region --clients`), spread over its
referring organisations; its coordinating job shop then follows all of them, as a network's
central intake does. A referrer of the job shop opens the first page of the caseload and
searches by name.

Metrics: `caseload_p95_ms` (target ≤ 200 on PostgreSQL) and `caseload_p50_ms` for the first
page, `search_p95_ms` for a name search, `caseload_queries` for the queries of the first
page (constant: it does not grow with the page size); `export_csv_ms` and `export_xlsx_ms`
for exporting the whole caseload (the median of three downloads).
"""

from __future__ import annotations

from functools import partial
from typing import Any

NAME = "caseload"
PARAMS = {"organisations": 40, "clients": 10_000, "seed": 11, "repeat": 60, "search": "peeters"}


def run(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.common import summary_ms, time_calls
    from zorgbrug.access.models import User
    from zorgbrug.clients import selectors
    from zorgbrug.clients.models import Client, FollowingOrganisation
    from zorgbrug.demo.generator import generate_region
    from zorgbrug.network.models import Membership, Network, Organisation

    generate_region(
        organisations=params["organisations"], seed=params["seed"], clients=params["clients"]
    )
    network = Network.objects.get(slug=f"synthetic-{params['seed']}")
    job_shop = Organisation.objects.get(
        partnerships__network=network, partnerships__is_coordinator=True
    )
    followed = FollowingOrganisation.objects.filter(organisation=job_shop, until__isnull=True)
    FollowingOrganisation.objects.bulk_create(
        [
            FollowingOrganisation(client_id=pk, organisation=job_shop, reason="bench")
            for pk in Client.objects.filter(network=network)
            .exclude(pk__in=followed.values("client_id"))
            .values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    with connection.cursor() as cursor:  # fresh statistics for the planner, as autovacuum would
        cursor.execute("ANALYZE")
    user = User.objects.create_user("bench.caseload@example.org", "x" * 12, full_name="Bench")
    Membership.objects.create(user=user, organisation=job_shop, role="referrer")
    client = HttpClient()
    client.force_login(user)
    url = reverse("clients:caseload")

    first = client.get(url)
    assert first.status_code == 200, first.status_code
    caseload_size = selectors.caseload(user=user).count()
    assert caseload_size == params["clients"], caseload_size
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    query_count = len(queries.captured_queries)  # count now: later requests reset the log
    assert client.get(url, {"q": params["search"]}).status_code == 200
    hits = selectors.caseload(user=user, query=params["search"]).count()
    assert hits > 0, "the search term finds no one in the synthetic region"

    page = summary_ms(time_calls(partial(client.get, url), repeat=params["repeat"]))
    found = summary_ms(
        time_calls(partial(client.get, url, {"q": params["search"]}), repeat=params["repeat"])
    )
    export_url = reverse("clients:caseload_export")

    def download(file_format: str) -> None:
        response = client.get(export_url, {"format": file_format})
        assert response.status_code == 200, response.status_code
        if response.streaming:
            b"".join(response.streaming_content)  # type: ignore[attr-defined]

    csv_export = summary_ms(time_calls(partial(download, "csv"), repeat=3, warmup=0))
    xlsx_export = summary_ms(time_calls(partial(download, "xlsx"), repeat=3, warmup=0))
    return {
        "caseload_p50_ms": page["p50"],
        "caseload_p95_ms": page["p95"],
        "caseload_max_ms": page["max"],
        "caseload_queries": query_count,
        "caseload_clients": caseload_size,
        "search_p50_ms": found["p50"],
        "search_p95_ms": found["p95"],
        "search_hits": hits,
        "export_csv_ms": csv_export["p50"],
        "export_xlsx_ms": xlsx_export["p50"],
    }
