"""Page speed of the everyday staff pages on a large synthetic region.

Metrics: p50/p95 in ms and the number of queries for the coordinator's home page, the
network page and an organisation page, with `--organisations 300`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

NAME = "pages"
PARAMS = {"organisations": 300, "seed": 7, "repeat": 60}


def run(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.common import summary_ms, time_calls
    from zorgbrug.access.models import User
    from zorgbrug.demo.generator import generate_region
    from zorgbrug.network.models import Membership, Network, Organisation

    generate_region(organisations=params["organisations"], seed=params["seed"])
    network = Network.objects.get(slug=f"synthetic-{params['seed']}")
    coordinator_org = Organisation.objects.get(
        partnerships__network=network, partnerships__is_coordinator=True
    )
    user = User.objects.create_user("bench@example.org", "x" * 12, full_name="Bench")
    Membership.objects.create(user=user, organisation=coordinator_org, role="coordinator")
    client = Client()
    client.force_login(user)
    pages = {
        "home": "/",
        "network": f"/networks/{network.slug}/",
        "organisation": f"/organisations/{coordinator_org.pk}/",
    }
    metrics: dict[str, Any] = {}
    for key, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        # Count now: every later request clears the connection's query log.
        query_count = len(queries.captured_queries)
        samples = time_calls(partial(client.get, url), repeat=params["repeat"])
        stats = summary_ms(samples)
        metrics[f"{key}_p50_ms"] = stats["p50"]
        metrics[f"{key}_p95_ms"] = stats["p95"]
        metrics[f"{key}_queries"] = query_count
    return metrics
