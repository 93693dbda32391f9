"""Booking over HTTP against gunicorn and PostgreSQL: throughput, latency, never overbooked.

Set-up (in the scratch database, with bulk_create): a region of 300 providers with a year
of capacity (bench/care_region.py); one-child requests of followed clients, each for the
morning and afternoon of one day at one of `hot_targets` (site, date) pairs, sent round
robin, `attempts_per_target` per pair for `places_per_target` places — so that the clients
compete for the same counter rows and some requests must be refused (409). Each of
`rounds` rounds sends the trivial calls and then books its own `hot_targets` pairs: the
two phases alternate, so that a drift in the machine's speed (a shared host: the same code
measured 0.38 and 0.42 an hour apart, with the CPU per call 40 % apart) falls on both.

The server is gunicorn (`workers` sync workers, as in production) on 127.0.0.1 with the
scratch database, DEBUG off and no test settings. 16 client threads with plain
http.client connections authenticate with a personal token:
- trivial: GET /api/v1/me/ (authentication, the actor's roles, JSON) — the yardstick;
- booking: POST /api/v1/care-requests/{id}/book/ with the option key a proposal would have
  given and a fresh Idempotency-Key per request; afterwards a sample is re-sent with the
  same keys, which must replay the first answers and book nothing;
- search: GET /api/v1/care-requests/{id}/proposals/ for a ten-day request (two siblings,
  whole days) against the 300 providers, one client at a time (and the selector alone).

Metrics: `overbookings` (day-parts holding more bookings than places; must be 0), counter
and all-or-nothing checks, `bookings_per_s` (calls that booked, per second),
`booking_p95_ms`, `trivial_per_s` and their ratio (over all rounds; `ratio_per_round`
shows the spread), `search_p95_ms`.
Targets: bookings_per_s >= 0.5 x trivial_per_s; booking_p95_ms <= 50; search_p95_ms <= 50.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

NAME = "booking"
PARAMS: dict[str, Any] = {
    "providers": 300,
    "days": 365,
    "seed": 11,
    "clients": 16,
    "workers": 4,
    "rounds": 3,
    "hot_targets": 40,
    "attempts_per_target": 30,
    "places_per_target": 27,
    "trivial_requests": 3000,
    "replays": 200,
    "search_repeat": 40,
}

ROOT = Path(__file__).resolve().parent.parent


# --- A tiny HTTP load generator -------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    body: bytes
    ms: float
    replayed: bool


class Connection:
    """One keep-alive connection (reopened when the server closes it)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, call: Call) -> Answer:
        headers = {
            "Authorization": f"Token {self.token}",
            "Accept": "application/json",
            "Accept-Language": "nl",
            **call.headers,
        }
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        for attempt in range(2):
            try:
                self.conn.request(call.method, call.path, body=call.body, headers=headers)
                response = self.conn.getresponse()
                body = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                # The server closed an idle connection: reconnect and send again (safe:
                # GETs, and bookings carry an Idempotency-Key).
                self.conn.close()
                if attempt:
                    raise
        ms = (time.perf_counter() - start) * 1000
        if response.will_close:
            self.conn.close()
        return Answer(
            response.status, body, ms, response.getheader("Idempotent-Replayed") == "true"
        )

    def close(self) -> None:
        self.conn.close()


def run_phase(port: int, token: str, calls: list[Call], clients: int) -> tuple[list[Answer], float]:
    """Send the calls with `clients` concurrent connections; answers in call order, wall s."""
    answers: list[Answer | None] = [None] * len(calls)
    position = iter(range(len(calls)))
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def worker() -> None:
        conn = Connection(port, token)
        try:
            start.wait()
            while True:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                answers[i] = conn.send(calls[i])
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    if errors:
        raise errors[0]
    return [a for a in answers if a is not None], wall


# --- gunicorn ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(settings_dict: dict[str, Any]) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


BENCH_BROKER = "redis://127.0.0.1:6379/14"


def job_env(queue: str) -> dict[str, str]:
    return {"JOBS_BACKEND": "celery", "CELERY_BROKER_URL": BENCH_BROKER, "CELERY_QUEUE": queue}


def drain_jobs(env: dict[str, str], queue: str, timeout: float = 600) -> dict[str, Any]:
    """Run a real Celery worker — its relay hands it the jobs the bookings committed —
    until every queued job is done; return what it did."""
    from django.db.models import Count

    from zorgbrug.jobs.models import Job, JobState

    queued = Job.objects.filter(state=JobState.PENDING).count()
    celery = Path(sys.executable).with_name("celery")
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
        prefix="bench-celery-", suffix=".log", delete=False
    )
    started = time.perf_counter()
    worker = subprocess.Popen(
        [
            str(celery),
            "-A",
            "zorgbrug",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "2",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env={**env, **job_env(queue)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while Job.objects.filter(state__in=(JobState.PENDING, JobState.RUNNING)).exists():
            if worker.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(Path(log.name).read_text(errors="replace")[-3000:])
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
    states = dict(Job.objects.values_list("state").annotate(n=Count("pk")))
    return {
        "jobs_queued": queued,
        "jobs_done": states.get(JobState.DONE, 0),
        "jobs_failed": states.get(JobState.FAILED, 0),
        "jobs_drain_s": round(time.perf_counter() - started, 1),
    }


def postgres_cpu_seconds() -> float:
    """User + system CPU so far of every process named postgres (Linux /proc; the local
    server is on this machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1].startswith("postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class Meter:
    """One kind of phase, measured over several runs: wall time, gunicorn's and
    PostgreSQL's CPU, and how busy the machine was (all cores = 1)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.phases: list[tuple[list[Answer], float]] = []
        self.server_cpu = self.postgres_cpu = 0.0
        self.busy = self.ticks = 0

    @property
    def wall(self) -> float:
        return sum(wall for _answers, wall in self.phases)

    def measure(self, phase: Callable[[], tuple[list[Answer], float]]) -> list[Answer]:
        cpu, pg, (busy, ticks) = self.server.cpu_seconds(), postgres_cpu_seconds(), machine_busy()
        answers, wall = phase()
        cpu_end, pg_end = self.server.cpu_seconds(), postgres_cpu_seconds()
        busy_end, ticks_end = machine_busy()
        self.phases.append((answers, wall))
        self.server_cpu += cpu_end - cpu
        self.postgres_cpu += pg_end - pg
        self.busy += busy_end - busy
        self.ticks += ticks_end - ticks
        return answers

    def busy_share(self) -> float:
        return round(self.busy / self.ticks, 3) if self.ticks else 0.0


class Server:
    """gunicorn on 127.0.0.1:<free port> against the scratch database; stopped at exit."""

    def __init__(
        self, *, settings_dict: dict[str, Any], secret_key: str, workers: int, queue: str
    ) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="bench-gunicorn-", suffix=".log", delete=False
        )
        env = {k: v for k, v in os.environ.items() if k not in {"ZORGBRUG_TESTING", "DEBUG"}}
        env.update(
            {
                "DATABASE_URL": database_url(settings_dict),
                "DEBUG": "0",
                "SECURE_SSL_REDIRECT": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECRET_KEY": secret_key,
                "LOG_LEVEL": "WARNING",
                # As in production: background work (the parents' messages) goes to Celery
                # workers, which may run on other machines, through the relay in those
                # workers (jobs.relay); here none runs until the timed phases are over,
                # then one relays and runs every queued job (see drain_jobs).
                **job_env(queue),
                "DJANGO_SETTINGS_MODULE": "zorgbrug.settings",
            }
        )
        self.env = env
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "zorgbrug.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--backlog",
                "256",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz:\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def cpu_seconds(self) -> float:
        """User + system CPU of gunicorn's master and workers so far (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.process.pid, *self._children()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return total

    def _children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# --- The benchmark ----------------------------------------------------------------------


def _pick_targets(
    region: Any, count: int, *, first: dt.date, skip: set[tuple[int, dt.date]]
) -> list[tuple[int, dt.date]]:
    """(site, date) pairs whose school-age morning and afternoon both have a counter."""
    from django.db.models import Count

    rows = (
        _slots()
        .filter(
            network=region.network,
            age_band=region.school,
            date__gte=first,
            date__lt=first + dt.timedelta(days=60),
        )
        .values("care_site_id", "date")
        .annotate(n=Count("pk"))
        .filter(n=2)
        .order_by("date", "care_site_id")
    )
    out: list[tuple[int, dt.date]] = []
    used_sites: set[int] = set()
    for row in rows:
        key = (row["care_site_id"], row["date"])
        if key in skip or row["care_site_id"] in used_sites:
            continue
        out.append(key)
        used_sites.add(row["care_site_id"])
        if len(out) == count:
            break
    if len(out) < count:
        raise RuntimeError("not enough bookable (site, date) pairs for the benchmark")
    return out


def _slots() -> Any:
    from zorgbrug.care.models import CapacitySlot

    return CapacitySlot.objects


def _set_places(region: Any, targets: list[tuple[int, dt.date]], places: int) -> None:
    for site_id, day in targets:
        _slots().filter(care_site_id=site_id, date=day, age_band=region.school).update(
            reserved_places=places, vacancy_places=0, places=places
        )


def _booking_calls(
    region: Any, targets: list[tuple[int, dt.date]], per_target: int, prefix: str
) -> list[tuple[int, Call]]:
    """One-child requests for morning and afternoon, `per_target` per (site, date), each
    with the call that books it: the option key a proposal gives, a fresh Idempotency-Key."""
    from bench.care_region import care_requests, make_clients
    from zorgbrug.care.api import option_key
    from zorgbrug.care.models import CareSite
    from zorgbrug.care.selectors import Option

    school_child = region.first_day - dt.timedelta(days=6 * 365)
    # Round robin: the 16 clients book different targets at any moment, and every target
    # gets more attempts than places over the run.
    plan_targets = [t for _ in range(per_target) for t in targets]
    clients = make_clients(region, len(plan_targets), children=[school_child], prefix=prefix)
    needs = [[(day, "am"), (day, "pm")] for _site, day in plan_targets]
    requests = care_requests(region, clients, needs)
    out = []
    for request, (site_id, _day), need in zip(requests, plan_targets, needs, strict=True):
        option = Option([CareSite(pk=site_id)], dict.fromkeys(need, site_id), None, False, False)
        body = json.dumps({"option": option_key(request, option)}).encode()
        call = Call(
            "POST",
            f"/api/v1/care-requests/{request.pk}/book/",
            body,
            {"Idempotency-Key": str(uuid.uuid4())},
        )
        out.append((request.pk, call))
    return out


def _integrity(region: Any, outcomes: dict[int, int], needs_per_request: int) -> dict[str, int]:
    """Overbooked day-parts, counters out of step, and all-or-nothing per request."""
    from django.db.models import Count, F, Q

    from zorgbrug.care.models import HOLDING, Booking, CapacitySlot

    slots = CapacitySlot.objects.filter(network=region.network).annotate(
        holding=Count("bookings", filter=Q(bookings__status__in=HOLDING))
    )
    overbooked = slots.filter(holding__gt=F("places")).count()
    out_of_step = slots.exclude(booked=F("holding")).count()
    per_request = Counter(
        Booking.objects.filter(status__in=HOLDING, request_id__in=outcomes).values_list(
            "request_id", flat=True
        )
    )
    partial = sum(1 for n in per_request.values() if n != needs_per_request)
    booked_but_refused = sum(1 for r, s in outcomes.items() if s != 201 and per_request.get(r))
    ok_but_missing = sum(1 for r, s in outcomes.items() if s == 201 and not per_request.get(r))
    return {
        "overbookings": overbooked,
        "counter_mismatches": out_of_step,
        "partial_bookings": partial,
        "refused_calls_that_booked": booked_but_refused,
        "booked_calls_without_bookings": ok_but_missing,
    }


def _ms(answers: list[Answer]) -> dict[str, float]:
    samples = [a.ms for a in answers]
    from bench.common import percentile

    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 95), 2),
        "max": round(max(samples), 2),
    }


def run(params: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from bench.care_region import bookable_days, build_region, care_requests, make_clients
    from bench.common import summary_ms, time_calls
    from zorgbrug.access.services import api_token_issue
    from zorgbrug.care import selectors

    if connection.vendor != "postgresql":
        raise SystemExit("The booking benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    clients = params["clients"]
    t0 = time.perf_counter()
    first_day = timezone.localdate() + dt.timedelta(days=1)
    region = build_region(
        providers=params["providers"], days=params["days"], seed=params["seed"], first_day=first_day
    )
    _token, token = api_token_issue(user=region.referrer, name="bench")
    rounds, per_round = params["rounds"], params["hot_targets"]
    hot = _pick_targets(
        region, per_round * rounds, first=first_day + dt.timedelta(days=7), skip=set()
    )
    warm = _pick_targets(region, clients * 2, first=first_day + dt.timedelta(days=7), skip=set(hot))
    # Leave a contested target's sites and dates to its own requests: warm-up takes others.
    warm = [w for w in warm if w[0] not in {h[0] for h in hot}][:clients]
    _set_places(region, hot, params["places_per_target"])
    _set_places(region, warm, 4)
    per_target = params["attempts_per_target"]
    # Every round books its own targets: the same contest, round after round.
    contested_rounds = [
        _booking_calls(region, hot[i * per_round : (i + 1) * per_round], per_target, f"P{i}")
        for i in range(rounds)
    ]
    contested = [pair for chunk in contested_rounds for pair in chunk]
    warmups = _booking_calls(region, warm, 1, "W")
    # The ten-day search: two siblings (a toddler and a school child), whole days.
    search_days = bookable_days(first_day + dt.timedelta(days=28), 30)[:10]
    family = make_clients(
        region,
        1,
        children=[first_day - dt.timedelta(days=400), first_day - dt.timedelta(days=7 * 365)],
        prefix="S",
    )
    (search_request,) = care_requests(
        region,
        family,
        [[(d, p) for d in search_days for p in ("am", "pm")]],
        start=dt.time(8, 30),
        end=dt.time(16, 30),
    )
    with connection.cursor() as cursor:
        # Vacuumed with fresh statistics, as autovacuum keeps a live database: otherwise
        # autovacuum would process the bulk-loaded tables during the timed phases and its
        # CPU would be counted against whichever phase it lands in.
        cursor.execute("VACUUM (ANALYZE)")
    setup_s = time.perf_counter() - t0
    print(f"   set-up: {region.slots} capacity rows in {setup_s:.1f} s", flush=True)

    booking_calls = [call for _pk, call in contested]
    warmup_calls = [call for _pk, call in warmups]
    me = [Call("GET", "/api/v1/me/") for _ in range(params["trivial_requests"])]

    queue = f"zorgbrug-bench-{os.getpid()}"
    server = Server(
        settings_dict=connection.settings_dict,
        secret_key=settings.SECRET_KEY,
        workers=params["workers"],
        queue=queue,
    )
    trivial_meter, booking_meter = Meter(server), Meter(server)
    try:
        server.wait_ready()
        # Warm every worker: imports, connections, caches.
        run_phase(server.port, token, [Call("GET", "/api/v1/me/") for _ in range(200)], clients)
        warm_answers, _ = run_phase(server.port, token, warmup_calls, clients)
        assert all(a.status == 201 for a in warm_answers), Counter(a.status for a in warm_answers)

        load_start = os.getloadavg()[0]
        # Trivial and booking phases alternate, round after round: the machine's speed
        # drifts (a shared host), and each round compares the two at the same moment.
        trivial: list[Answer] = []
        booked: list[Answer] = []
        for chunk in contested_rounds:
            calls = [call for _pk, call in chunk]
            trivial += trivial_meter.measure(
                functools.partial(run_phase, server.port, token, me, clients)
            )
            booked += booking_meter.measure(
                functools.partial(run_phase, server.port, token, calls, clients)
            )
        load_end = os.getloadavg()[0]
        assert all(a.status == 200 for a in trivial), Counter(a.status for a in trivial)
        statuses = Counter(a.status for a in booked)
        unexpected = set(statuses) - {201, 409, 503}
        assert not unexpected, (
            statuses,
            [a.body[:300] for a in booked if a.status in unexpected][:3],
        )

        # Retries with the same keys answer as before and book nothing.
        sample = booking_calls[: params["replays"]]
        replays, _ = run_phase(server.port, token, sample, clients)
        replay_mismatch = sum(
            1
            for first, again in zip(booked, replays, strict=False)
            if not again.replayed
            or again.status != first.status
            or json.loads(again.body) != json.loads(first.body)
        )

        search_call = Call("GET", f"/api/v1/care-requests/{search_request.pk}/proposals/")
        conn = Connection(server.port, token)
        for _ in range(3):
            conn.send(search_call)
        search = [conn.send(search_call) for _ in range(params["search_repeat"])]
        conn.close()
        proposal = json.loads(search[-1].body)
        assert search[-1].status == 200, search[-1].body[:300]
    finally:
        server.stop()
    # The parents' confirmations, queued by the bookings, are sent by a real worker.
    jobs = drain_jobs(server.env, queue)
    assert jobs["jobs_failed"] == 0, jobs

    inprocess = time_calls(
        lambda: selectors.options_for_request(search_request), repeat=params["search_repeat"]
    )
    outcomes = {pk: answer.status for (pk, _c), answer in zip(contested, booked, strict=True)}
    integrity = _integrity(region, outcomes, needs_per_request=2)
    trivial_per_s = len(trivial) / trivial_meter.wall
    bookings_ok = statuses[201]
    bookings_per_s = bookings_ok / booking_meter.wall
    round_rates = [
        (len(t) / tw, sum(a.status == 201 for a in b) / bw)
        for (t, tw), (b, bw) in zip(trivial_meter.phases, booking_meter.phases, strict=True)
    ]
    booking_ms = _ms(booked)
    trivial_ms = _ms(trivial)
    search_ms = _ms(search)
    search_in = summary_ms(inprocess)
    metrics: dict[str, Any] = {
        **integrity,
        "bookings_per_s": round(bookings_per_s, 1),
        "booking_calls_per_s": round(len(booked) / booking_meter.wall, 1),
        "booking_p50_ms": booking_ms["p50"],
        "booking_p95_ms": booking_ms["p95"],
        "booking_max_ms": booking_ms["max"],
        "booked": bookings_ok,
        "refused_no_longer_available": statuses[409],
        "busy": statuses[503],
        "expected_booked": rounds * per_round * params["places_per_target"],
        "replays_checked": len(replays),
        "replay_mismatches": replay_mismatch,
        "trivial_per_s": round(trivial_per_s, 1),
        "trivial_p50_ms": trivial_ms["p50"],
        "trivial_p95_ms": trivial_ms["p95"],
        "booking_to_trivial_ratio": round(bookings_per_s / trivial_per_s, 3),
        "ratio_per_round": [round(b / t, 3) for t, b in round_rates],
        "trivial_per_s_per_round": [round(t, 1) for t, _b in round_rates],
        "bookings_per_s_per_round": [round(b, 1) for _t, b in round_rates],
        "search_p50_ms": search_ms["p50"],
        "search_p95_ms": search_ms["p95"],
        "search_inprocess_p50_ms": search_in["p50"],
        "search_inprocess_p95_ms": search_in["p95"],
        "search_options": len(proposal["options"]),
        "search_needs": len(proposal["needs"]),
        # The cost per call in gunicorn's own CPU (PostgreSQL's not counted): independent
        # of how busy the machine is, unlike the rates above.
        "server_cpu_ms_per_trivial": round(trivial_meter.server_cpu * 1000 / len(trivial), 2),
        "server_cpu_ms_per_booking_call": round(booking_meter.server_cpu * 1000 / len(booked), 2),
        # PostgreSQL's own processes, and how busy the whole machine was (all cores = 1):
        # where the rest of the time goes.
        "postgres_cpu_ms_per_trivial": round(trivial_meter.postgres_cpu * 1000 / len(trivial), 2),
        "postgres_cpu_ms_per_booking_call": round(
            booking_meter.postgres_cpu * 1000 / len(booked), 2
        ),
        "machine_busy_trivial": trivial_meter.busy_share(),
        "machine_busy_booking": booking_meter.busy_share(),
        "load_average_1m": [round(load_start, 2), round(load_end, 2)],
        **jobs,
        "capacity_slots": region.slots,
        "setup_s": round(setup_s, 1),
        "cpus": os.cpu_count(),
    }
    metrics["targets_met"] = {
        "overbookings_zero": metrics["overbookings"] == 0,
        "bookings_per_s_ge_half_trivial": bookings_per_s >= 0.5 * trivial_per_s,
        "booking_p95_le_50ms": metrics["booking_p95_ms"] <= 50,
        "search_p95_le_50ms": metrics["search_p95_ms"] <= 50,
    }
    return metrics
