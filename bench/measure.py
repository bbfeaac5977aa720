"""Measure the hot paths of issue 12 against the benchmark's database.

- Latency: gunicorn with 2 workers serves the portal as in production (config/gunicorn.py:
  threaded workers; DEBUG off); each path gets a few warm-up calls, then up to ``iterations``
  sequential requests over HTTP on the loopback (a new connection each), p50 and p95 of the
  wall time to the last byte. A path stops early once it has used ``budget`` seconds (at
  least 5 samples), so a path that is still slow cannot hold the run for an hour: the report
  gives the number of samples.
- Queries per request: the same request once more in this process (django.test.Client, the
  same database) inside CaptureQueriesContext, after one warm-up call; for the hot paths the
  SELECTs it captured are run again under EXPLAIN (ANALYZE, BUFFERS).
- QR verification: wrk (20 s) posting pre-issued single-use tokens, each used once, as a
  verifier would scan them; requests/s, p99, and how many answered "valid". Twice: with 4
  connections (two per worker: the server never idles, and a scan queues behind at most one
  other; the target is judged on this run), then with 16 (saturation: by Little's law the mean
  latency is then 16 / throughput, so it shows throughput, not the latency a scan gets).
- Exports: the streamed CSV for one month and for the year (time, bytes, peak RSS of the
  gunicorn worker, its high-water mark reset before the request); the XLSX export job run by
  its task function in a subprocess (time, peak RSS from getrusage).
- The SLA sweep over 1,000 due rows, in this process; the calendar recompute task if any.
"""

import contextlib
import datetime
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.env import ROOT, database_url_of, log, server_env
from bench.measure_subsidies import EXPLAINED as SUBSIDY_EXPLAINED
from bench.measure_subsidies import HOT_TABLES as SUBSIDY_TABLES
from bench.measure_subsidies import subsidies_paths
from bench.measure_talents import EXPLAINED as TALENT_EXPLAINED
from bench.measure_talents import HOT_TABLES as TALENT_TABLES
from bench.measure_talents import talents_paths

# Targets of issue 12 (p95, warm, at 1,000,000 requests on 2 cores), in milliseconds.
LIST_TARGET = 100.0
SUMMARY_TARGET = 150.0
DASHBOARD_TARGET = 300.0
# config/gunicorn.py's default (GUNICORN_THREADS), which the benchmark's server uses.
GUNICORN_THREADS = int(os.environ.get("GUNICORN_THREADS") or 4)
QR_RPS_TARGET = 300.0
QR_P99_TARGET = 50.0
SWEEP_TARGET_SECONDS = 10.0
EXPORT_RSS_TARGET_MB = 300.0
# Request tables: a captured query touching one of them is a hot query worth a plan.
HOT_TABLES = (
    "services_servicerequest",
    "services_departmentstint",
    "services_rating",
    "services_followup",
    "services_requestday",
    "services_stintday",
    *SUBSIDY_TABLES,
    *TALENT_TABLES,
)


@dataclass
class Options:
    var_dir: Path
    iterations: int = 30
    warmup: int = 3
    budget: float = 60.0
    export_timeout: float = 900.0
    qr_seconds: int = 20
    qr_connections: tuple = (4, 16)
    qr: bool = True
    exports: bool = True
    sweep_rows: int = 1000
    workers: int = 2

    @classmethod
    def from_env(cls, var_dir: Path) -> "Options":
        get = os.environ.get
        return cls(
            var_dir=var_dir,
            iterations=int(get("BENCH_ITERATIONS", "30")),
            warmup=int(get("BENCH_WARMUP", "3")),
            budget=float(get("BENCH_BUDGET", "60")),
            export_timeout=float(get("BENCH_EXPORT_TIMEOUT", "900")),
            qr_seconds=int(get("BENCH_QR_SECONDS", "20")),
            qr_connections=tuple(
                int(n) for n in get("BENCH_QR_CONNECTIONS", "4,16").split(",") if n.strip()
            ),
            qr=get("BENCH_QR", "1") != "0",
        )


@dataclass
class PathResult:
    group: str
    label: str
    persona: str
    url: str
    target_ms: float | None
    samples: list = field(default_factory=list)  # milliseconds
    status: int | None = None
    size: int = 0
    queries: int | None = None
    note: str = ""

    @property
    def p50(self) -> float | None:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float | None:
        return percentile(self.samples, 95)

    @property
    def meets(self) -> bool | None:
        if self.target_ms is None or not self.samples:
            return None
        return self.status == 200 and self.p95 <= self.target_ms


@dataclass
class Plan:
    title: str
    sql: str
    plan: str
    ms: float


@dataclass
class Results:
    started: datetime.datetime
    machine: dict
    data: dict
    paths: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    qr: list = field(default_factory=list)
    exports: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    sweep: dict = field(default_factory=dict)
    calendar: dict = field(default_factory=dict)
    finished: datetime.datetime | None = None
    problems: list = field(default_factory=list)


def percentile(samples, p: float) -> float | None:
    """Nearest-rank percentile."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- the machine ------------------------------------------------------------------------------
def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "postgres": postgres,
        "shared_buffers": shared_buffers,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_start": os.getloadavg(),
    }


# --- gunicorn ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(options: Options) -> dict:
    """The environment of every process the benchmark starts: production settings on the
    database and secrets this process uses (the test's own database, in the test)."""
    from django.conf import settings

    values = dict(os.environ)
    values.update(server_env(options.var_dir))
    values.update(
        {
            "DATABASE_URL": database_url_of(connection.settings_dict),
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "FIELD_HASH_KEY": settings.FIELD_HASH_KEY,
            "REDIS_URL": settings.REDIS_URL or "",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE", "REQUIRE_SERVICES", "PYTEST_CURRENT_TEST"):
        values.pop(name, None)
    return values


def collect_static(options: Options) -> None:
    """DEBUG off serves static files through the manifest: collect them once."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=child_env(options),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed: {result.stderr[-2000:]}")


class Server:
    """gunicorn serving config.wsgi with config/gunicorn.py's settings and ``workers`` workers
    on a free loopback port."""

    def __init__(self, options: Options):
        self.options = options
        self.port = free_port()
        self.process = None

    def start(self) -> "Server":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "config.wsgi:application",
            # Production's settings (threaded workers), with the benchmark's worker count.
            "--config",
            str(ROOT / "config" / "gunicorn.py"),
            "--workers",
            str(self.options.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            str(int(self.options.export_timeout) + 60),
            "--log-level",
            "warning",
        ]
        log_file = open(self.options.var_dir / "gunicorn.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=child_env(self.options), stdout=log_file, stderr=log_file
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = http_get(self.port, "/healthz/", {}, timeout=5)
                if status == 200 and len(self.workers()) >= self.options.workers:
                    self._warm_threads()
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not start (see {self.options.var_dir}/gunicorn.log)")

    def _warm_threads(self, rounds: int = 3, parallel: int = 16) -> None:
        """Keep every worker thread busy at once a few times (/healthz/ reads the database),
        so each has opened its database connection before anything is timed: a connection
        is kept DB_CONN_MAX_AGE seconds, and opening one is no part of a warm request."""

        def hit():
            with contextlib.suppress(OSError):
                http_get(self.port, "/healthz/", {}, timeout=30)

        for _ in range(rounds):
            threads = [threading.Thread(target=hit) for _ in range(parallel)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.port = free_port()
        self.start()


def http_get(port: int, path: str, headers: dict, timeout: float = 120.0):
    """(status, bytes, seconds) of one GET, body read to the end; TimeoutError when the whole
    answer takes longer than ``timeout``."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"still reading after {timeout:.0f} s ({size:,} bytes)")
        return response.status, size, time.perf_counter() - started
    finally:
        conn.close()


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


# --- personas and what they look at -----------------------------------------------------------
@dataclass
class Persona:
    name: str
    user: object
    token: str
    session: str

    def headers(self, api: bool) -> dict:
        if api:
            return {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        return {"Cookie": f"sessionid={self.session}"}


def personas() -> dict:
    from django.test import Client
    from knox.models import AuthToken

    from bench.generate import PERSONAS
    from portal.models import User

    found = {}
    for role, username in PERSONAS.items():
        user = User.objects.get(username=username)
        _, token = AuthToken.objects.create(user)
        client = Client()
        client.force_login(user)
        found[role] = Persona(role, user, token, client.cookies["sessionid"].value)
    return found


def _periods(now) -> dict:
    from bench.generate import year_start

    start = timezone.localdate(year_start(now))
    first_of_month = timezone.localdate(now).replace(day=1)
    last_month_end = first_of_month - datetime.timedelta(days=1)
    return {
        "year": (start, start.replace(month=12, day=31)),
        "month": (last_month_end.replace(day=1), last_month_end),
    }


def _samples(people: dict) -> dict:
    """A full name to search for, and requests to open (the persona's own department's)."""
    from services.models import ServiceRequest

    staff = people["staff"].user
    department = ServiceRequest.objects.filter(department_id=staff.department_id)
    name_of = (
        department.exclude(talent__real_name="")
        .order_by("-submitted_at")
        .values_list("talent__real_name", flat=True)
        .first()
    ) or "李明"
    detailed = (
        department.filter(status="closed", events__action="info_supplied")
        .order_by("-submitted_at")
        .values_list("number", flat=True)
        .first()
    ) or department.values_list("number", flat=True).first()
    own = (
        ServiceRequest.objects.filter(talent=people["talent"].user)
        .order_by("-submitted_at")
        .values_list("number", flat=True)
        .first()
    )
    return {"name": name_of, "staff_request": detailed, "talent_request": own}


def path_list(people: dict, now, skipped: list | None = None) -> list[PathResult]:
    """Every path timed, in order; ``skipped`` receives the subsidies' paths left out (a URL
    this checkout does not have yet)."""
    from urllib.parse import quote

    samples = _samples(people)
    periods = _periods(now)
    year_from, year_to = periods["year"]
    q = quote(samples["name"])
    variants = [
        ("default order", ""),
        ("?ordering=due", "?ordering=due"),
        ("?overdue=true", "?overdue=true"),
        ("?status=accepted", "?status=accepted"),
        (f"?q=<full name> ({samples['name']})", f"?q={q}"),
        ("?page=200", "?page=200"),
    ]
    paths = []

    def add(group, label, persona, url, target):
        paths.append(PathResult(group, label, persona, url, target))

    for persona in ("staff", "lead", "admin"):
        for label, query in variants:
            add(
                f"{persona} request list (API)",
                label,
                persona,
                f"/api/v1/service-requests/{query}",
                LIST_TARGET,
            )
    for label, query in variants:
        page_query = query.replace("overdue=true", "overdue=on")
        add(
            "admin request list (page /manage/requests/)",
            label,
            "admin",
            f"/manage/requests/{page_query}",
            LIST_TARGET,
        )
    add("desk", "/desk/ (staff)", "staff", "/desk/", LIST_TARGET)
    add("desk", "/desk/ (lead)", "lead", "/desk/", LIST_TARGET)
    add("talent's own list", "API", "talent", "/api/v1/service-requests/", LIST_TARGET)
    add("talent's own list", "page /requests/", "talent", "/requests/", LIST_TARGET)
    if samples["staff_request"]:
        number = samples["staff_request"]
        add(
            "request detail",
            f"API (staff) {number}",
            "staff",
            f"/api/v1/service-requests/{number}/",
            LIST_TARGET,
        )
        add(
            "request detail",
            f"page /desk/requests/ (staff) {number}",
            "staff",
            f"/desk/requests/{number}/",
            LIST_TARGET,
        )
        add(
            "request detail",
            f"page /manage/requests/ (admin) {number}",
            "admin",
            f"/manage/requests/{number}/",
            LIST_TARGET,
        )
    if samples["talent_request"]:
        number = samples["talent_request"]
        add(
            "request detail",
            f"API (talent) {number}",
            "talent",
            f"/api/v1/service-requests/{number}/",
            LIST_TARGET,
        )
        add(
            "request detail",
            f"page /requests/ (talent) {number}",
            "talent",
            f"/requests/{number}/",
            LIST_TARGET,
        )
    period = f"from={year_from}&to={year_to}"
    for group_by in ("department", "service_type"):
        add(
            "SLA summary, year",
            f"admin, group_by={group_by}",
            "admin",
            f"/api/v1/sla/summary/?{period}&group_by={group_by}",
            SUMMARY_TARGET,
        )
    add(
        "SLA summary, year",
        "lead, group_by=department",
        "lead",
        f"/api/v1/sla/summary/?{period}&group_by=department",
        SUMMARY_TARGET,
    )
    add("dashboard page, year", "admin", "admin", f"/manage/dashboard/?{period}", DASHBOARD_TARGET)
    add("dashboard page, year", "lead", "lead", f"/manage/dashboard/?{period}", DASHBOARD_TARGET)
    targets = {"list": LIST_TARGET, "summary": SUMMARY_TARGET, "dashboard": DASHBOARD_TARGET}
    left_out = subsidies_paths(people, add, period, targets)
    left_out += talents_paths(people, add, targets)
    if skipped is not None:
        skipped.extend(left_out)
    return paths


# Paths whose captured SELECTs go into the report with their plans.
EXPLAINED = {
    ("staff request list (API)", "default order"),
    ("staff request list (API)", "?ordering=due"),
    ("staff request list (API)", "?overdue=true"),
    ("admin request list (API)", "?overdue=true"),
    ("admin request list (page /manage/requests/)", "?page=200"),
    ("admin request list (API)", "?page=200"),
    ("desk", "/desk/ (staff)"),
    ("SLA summary, year", "admin, group_by=department"),
    ("SLA summary, year", "admin, group_by=service_type"),
    *SUBSIDY_EXPLAINED,
    *TALENT_EXPLAINED,
}


def _in_process(path: PathResult, person: Persona, want_sql: bool) -> list[str]:
    """Count the queries of one request made in this process; the SELECTs on request tables
    when ``want_sql``."""
    from django.test import Client

    client = Client()
    headers = {}
    if path.url.startswith("/api/"):
        headers["HTTP_AUTHORIZATION"] = f"Token {person.token}"
    else:
        client.cookies["sessionid"] = person.session
    client.get(path.url, **headers)  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path.url, **headers)
    path.queries = len(captured.captured_queries)
    if response.status_code != 200:
        path.note = f"in-process answer {response.status_code}"
    if not want_sql:
        return []
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
        and any(table in q["sql"] for table in HOT_TABLES)
    ]


def time_path(path: PathResult, person: Persona, server: Server, options: Options) -> None:
    headers = person.headers(path.url.startswith("/api/"))
    spent = time.monotonic()
    for _ in range(options.warmup):
        status, size, _seconds = http_get(server.port, path.url, headers)
        if time.monotonic() - spent > options.budget / 3:
            break
    # Then one request per worker thread at once, so that both worker processes have served
    # this path (imports, per-process caches) before it is timed: "warm" means every worker.
    if options.warmup and time.monotonic() - spent <= options.budget / 3:
        burst = [
            threading.Thread(target=http_get, args=(server.port, path.url, headers))
            for _ in range(options.workers * GUNICORN_THREADS)
        ]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join()
    began = time.monotonic()
    for _ in range(options.iterations):
        status, size, seconds = http_get(server.port, path.url, headers)
        path.samples.append(seconds * 1000)
        path.status, path.size = status, size
        if time.monotonic() - began > options.budget and len(path.samples) >= 5:
            break
    if path.status != 200:
        path.note = (path.note + f"; HTTP {path.status}").lstrip("; ")


def explain(sql: str) -> tuple[str, float]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    return "\n".join(lines), (time.perf_counter() - started) * 1000


# --- QR verification --------------------------------------------------------------------------
WRK_SCRIPT = """
tokens = {}
next_token = 1
answered, valid = 0, 0
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(args[1])
  for line in io.lines(args[2]) do table.insert(tokens, line) end
  -- each thread takes every n-th token, starting at its own number: no token twice
  local mine = {}
  for i = tid, #tokens, n do table.insert(mine, tokens[i]) end
  tokens = mine
end

function request()
  local token = tokens[next_token] or "exhausted"
  next_token = next_token + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Token " .. AUTH,
  }, '{"token": "' .. token .. '"}')
end

function response(status, headers, body)
  answered = answered + 1
  if string.find(body, '"valid":true', 1, true) then valid = valid + 1 end
end

function done(summary, latency, requests)
  local a, v = 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("answered")
    v = v + thread:get("valid")
  end
  io.write(string.format("BENCH answered=%d valid=%d p50=%.3f p99=%.3f\\n",
    a, v, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def _issue_tokens(card_ids: list[int], count: int) -> list[str]:
    """``count`` fresh single-use tokens (cards.qr's format), as qr_issue would make them:
    issued now, valid for QR_TTL; written in one COPY."""
    from django.core import signing

    from cards.models import QrToken
    from cards.qr import QR_TTL, SALT

    now = timezone.now()
    tokens, rows = [], []
    for i in range(count):
        jti = secrets.token_hex(16)
        tokens.append(signing.dumps(jti, salt=SALT))
        rows.append((jti, card_ids[i % len(card_ids)], now, now + QR_TTL))
    table = QrToken._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.copy(f'COPY "{table}" (jti, card_id, issued_at, expires_at) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return tokens


def measure_qr(people: dict, server: Server, options: Options, connections: int) -> dict:
    from cards.models import Card

    verifier = people["verifier"]
    wrk = shutil.which("wrk")
    cards = list(Card.objects.filter(status="active").values_list("pk", flat=True)[:5000])
    if not cards:
        return {"error": "no active card"}
    # Enough tokens for ~4,000 scans a second: each scan uses one up (single use).
    count = max(2000, options.qr_seconds * 4000)
    tokens = _issue_tokens(cards, count + 22)
    # Warm: both workers answer a few scans before the clock starts.
    for token in tokens[count + 2 :]:
        _post_verify(server.port, verifier.token, token)
    queries = _verify_queries(verifier, tokens[count : count + 2])
    tokens = tokens[:count]
    url = f"http://127.0.0.1:{server.port}/api/v1/cards/verify/"
    if wrk is None:
        log("  wrk not found: the Python load generator instead")
        return _python_load(server, verifier, tokens, options, connections) | {
            "tool": "python (no wrk)",
            "queries": queries,
        }
    threads = 2
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "verify.lua"
        script.write_text(f'AUTH = "{verifier.token}"\n' + WRK_SCRIPT)
        token_file = Path(folder) / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n")
        command = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{options.qr_seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            str(threads),
            str(token_file),
        ]
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=options.qr_seconds + 120, check=False
        )
    output = result.stdout
    figures = {
        "tool": f"wrk -t{threads} -c{connections} -d{options.qr_seconds}s",
        "connections": connections,
        "queries": queries,
    }
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(line.split()[1])
        elif line.startswith("BENCH "):
            for part in line.split()[1:]:
                key, value = part.split("=")
                figures[key] = float(value)
        elif line.startswith("Non-2xx"):
            figures["non_2xx"] = int(line.split()[-1])
    figures["tokens"] = count
    figures["raw"] = output
    if "rps" not in figures:
        figures["error"] = (result.stderr or output)[-1000:]
    return figures


def _verify_queries(verifier: Persona, tokens: list) -> int:
    """Queries of one scan of a fresh token, made in this process (after one warm scan)."""
    from django.test import Client

    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Token {verifier.token}"}
    url = "/api/v1/cards/verify/"
    client.post(url, {"token": tokens[0]}, content_type="application/json", **auth)
    with CaptureQueriesContext(connection) as captured:
        client.post(url, {"token": tokens[1]}, content_type="application/json", **auth)
    return len(captured.captured_queries)


def _post_verify(port: int, auth: str, token: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            "/api/v1/cards/verify/",
            body=json.dumps({"token": token}),
            headers={"Authorization": f"Token {auth}", "Content-Type": "application/json"},
        )
        return conn.getresponse().read()
    finally:
        conn.close()


def _python_load(
    server: Server, verifier: Persona, tokens: list, options: Options, connections: int
) -> dict:
    """The fallback: ``connections`` threads posting tokens for ``qr_seconds``."""
    lock = threading.Lock()
    source = iter(tokens)
    latencies, valid = [], [0]
    stop_at = time.monotonic() + options.qr_seconds

    def worker():
        while time.monotonic() < stop_at:
            with lock:
                token = next(source, None)
            if token is None:
                return
            started = time.perf_counter()
            answer = _post_verify(server.port, verifier.token, token)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                valid[0] += b'"valid":true' in answer

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "connections": connections,
        "rps": len(latencies) / elapsed,
        "answered": len(latencies),
        "valid": valid[0],
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


# --- exports ----------------------------------------------------------------------------------
def measure_csv(people: dict, server: Server, options: Options, label: str, period) -> dict:
    first, last = period
    url = f"/api/v1/sla/export/?format=csv&kind=requests&from={first}&to={last}"
    workers = server.workers()
    for pid in workers:
        _reset_peak(pid)
    baseline = max((_status_kb(pid, "VmRSS") for pid in workers), default=0)
    figures = {"label": label, "url": url}
    try:
        status, size, seconds = http_get(
            server.port, url, people["admin"].headers(True), timeout=options.export_timeout
        )
        figures.update(status=status, bytes=size, seconds=seconds)
    except (TimeoutError, OSError) as exc:
        figures["error"] = f"did not finish within {options.export_timeout:.0f} s ({exc!r})"
    figures["peak_rss_mb"] = max((_status_kb(pid, "VmHWM") for pid in workers), default=0) / 1024
    figures["baseline_rss_mb"] = baseline / 1024
    if "error" in figures:
        log("  restarting gunicorn after the unfinished export")
        server.restart()
    return figures


JOB_RUNNER = """
import json, os, resource, sys, time
import django
django.setup()
from portal.jobs import job_run
started = time.perf_counter()
outcome = job_run(int(sys.argv[1]))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("BENCH " + json.dumps({"seconds": seconds, "peak_rss_kb": peak, "outcome": str(outcome)}))
"""


def measure_export_jobs(people: dict, options: Options, periods: dict) -> list[dict]:
    """The XLSX export job (POST /api/v1/exports/), run by its task function in a
    subprocess so its peak RSS is its own."""
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/exports/")
        from portal.jobs import job_run  # noqa: F401
        from portal.models import Job
    except (Resolver404, ImportError):
        return [{"label": "XLSX export job", "error": "not built"}]
    from rest_framework.test import APIClient

    results = []
    for label, (first, last) in (("month", periods["month"]), ("year", periods["year"])):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {people['admin'].token}")
        answer = client.post(
            "/api/v1/exports/",
            {"kind": "requests", "from": str(first), "to": str(last), "format": "xlsx"},
            format="json",
        )
        figures = {"label": f"XLSX export job, {label} ({first} – {last})"}
        if answer.status_code not in (200, 201, 202):
            figures["error"] = f"POST /api/v1/exports/ answered {answer.status_code}"
            results.append(figures)
            continue
        job_id = answer.json()["id"]
        try:
            result = subprocess.run(  # noqa: S603
                [sys.executable, "-c", JOB_RUNNER, str(job_id)],
                cwd=ROOT,
                env=child_env(options),
                capture_output=True,
                text=True,
                timeout=options.export_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            figures["error"] = f"did not finish within {options.export_timeout:.0f} s"
            results.append(figures)
            continue
        line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
        if line is None:
            figures["error"] = (result.stderr or result.stdout)[-500:]
        else:
            data = json.loads(line[6:])
            figures.update(seconds=data["seconds"], peak_rss_mb=data["peak_rss_kb"] / 1024)
        job = Job.objects.get(pk=job_id)
        figures.update(status=job.status, rows=job.rows, job_error=job.error)
        if job.file:
            from django.conf import settings

            path = Path(settings.PRIVATE_UPLOAD_ROOT) / job.file
            if not path.exists():
                path = options.var_dir / "uploads" / job.file
            figures["bytes"] = path.stat().st_size if path.exists() else None
        results.append(figures)
    return results


# --- the sweep and the calendar ---------------------------------------------------------------
def measure_sweep(options: Options) -> dict:
    """Make ``sweep_rows`` open requests due now (next_notice_at in the past, as if their
    instants had just passed), then time services.supervision.sla_sweep until none is left."""
    from services.models import OPEN_STATUSES, ServiceRequest
    from services.supervision import sla_sweep

    now = timezone.now()
    ids = list(
        ServiceRequest.objects.filter(status__in=OPEN_STATUSES, due_at__isnull=False)
        .order_by("?")
        .values_list("pk", flat=True)[: options.sweep_rows]
    )
    ServiceRequest.objects.filter(pk__in=ids).update(
        next_notice_at=now - datetime.timedelta(seconds=1)
    )
    due = ServiceRequest.objects.filter(next_notice_at__lte=now).count()
    runs = 0
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        while runs < 20:
            sent = sla_sweep(now=now)
            runs += 1
            left = ServiceRequest.objects.filter(pk__in=ids, next_notice_at__lte=now).count()
            if not left:
                break
    seconds = time.perf_counter() - started
    return {
        "rows": len(ids),
        "due": due,
        "runs": runs,
        "left": left,
        "seconds": seconds,
        "queries": len(captured.captured_queries),
        "notifications_last_run": sent,
    }


CALENDAR_RUNNER = """
import datetime, json, resource, sys, time
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from services.models import CalendarRecompute
from services.recompute import recompute_run, recompute_schedule
first_day = timezone.localdate() + datetime.timedelta(days=int(sys.argv[1]))
with transaction.atomic():
    recompute = recompute_schedule(reason="benchmark", first_day=first_day)
started = time.perf_counter()
outcome = recompute_run(recompute.pk, seconds=None)
seconds = time.perf_counter() - started
recompute = CalendarRecompute.objects.get(pk=recompute.pk)
print("BENCH " + json.dumps({
    "seconds": seconds, "outcome": str(outcome), "status": recompute.status,
    "first_day": str(first_day), "total": recompute.total, "done": recompute.done,
    "moved": recompute.moved, "failed_rows": recompute.failed_rows,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure_calendar(options: Options) -> dict:
    """The calendar recompute in the background (issue 12 point 7), if it exists: scheduled
    as after an edit of the day a week from now, then run to the end by its task function
    (services.recompute.recompute_run) in a subprocess. Nothing in the calendar changed, so
    ``moved`` also says whether the generated deadlines are what the portal derives."""
    import importlib.util

    if importlib.util.find_spec("services.recompute") is None:
        return {"error": "not built (no services.recompute)"}
    try:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", CALENDAR_RUNNER, "7"],
            cwd=ROOT,
            env=child_env(options),
            capture_output=True,
            text=True,
            timeout=options.export_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {options.export_timeout:.0f} s"}
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        return {"error": "failed: " + (result.stderr or result.stdout).strip()[-300:]}
    from services.models import ServiceRequest

    # The sweep before left no row due: a row due now had its next_notice_at set back to the
    # first level by recompute (the generator leaves it where past sweeps would have).
    reset = ServiceRequest.objects.filter(next_notice_at__lte=timezone.now()).count()
    return {"task": "services.recompute.recompute_run", "notices_reset": reset} | json.loads(
        line[6:]
    )


# --- all of it --------------------------------------------------------------------------------
def _data_description() -> dict:
    from django.db.models import Count, Min

    from bench.generate_subsidies import describe as subsidies_describe
    from bench.generate_talents import describe as talents_describe
    from cards.models import Card
    from portal.models import User
    from services.models import (
        OPEN_STATUSES,
        DepartmentStint,
        FollowUp,
        Rating,
        RequestEvent,
        RequestPause,
        ServiceRequest,
    )

    now = timezone.now()
    checked, mismatched = recompute_sample(500)
    statuses = dict(ServiceRequest.objects.values_list("status").annotate(n=Count("id")).order_by())
    total = sum(statuses.values())
    transferred = (
        DepartmentStint.objects.values("request").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    return {
        "requests": total,
        "statuses": statuses,
        "open": sum(statuses.get(s, 0) for s in OPEN_STATUSES),
        "overdue": ServiceRequest.objects.filter(due_at__lte=now).count(),
        "transferred": transferred,
        "stints": DepartmentStint.objects.count(),
        "pauses": RequestPause.objects.count(),
        "ratings": Rating.objects.count(),
        "bad_ratings": Rating.objects.filter(score__lte=2).count(),
        "followups": FollowUp.objects.count(),
        "events": RequestEvent.objects.count(),
        "talents": User.objects.filter(role="talent").count(),
        "cards": Card.objects.count(),
        "departments": ServiceRequest.objects.values("department").distinct().count(),
        "service_types": ServiceRequest.objects.values("service_type").distinct().count(),
        "first_submitted": ServiceRequest.objects.aggregate(m=Min("submitted_at"))["m"],
        "recompute_checked": checked,
        "recompute_mismatched": mismatched,
        "subsidies": subsidies_describe(),
        "talents_layer": talents_describe(),
    }


def recompute_sample(size: int) -> tuple[int, int]:
    """Of ``size`` random requests, how many have deadlines other than those
    services.clocks.recompute derives from their facts (next_notice_at aside: the generator
    leaves it where past sweeps would have, recompute at the first level)."""
    from services.clocks import DERIVED, recompute
    from services.models import ServiceRequest

    compared = [name for name in DERIVED if name != "next_notice_at"]
    checked = mismatched = 0
    for req in ServiceRequest.objects.prefetch_related("pauses").order_by("?")[:size]:
        stored = [getattr(req, name) for name in compared]
        recompute(req)
        checked += 1
        mismatched += stored != [getattr(req, name) for name in compared]
    return checked, mismatched


def _guarded(results: Results, label: str, step, default):
    """Run one step; a failure (the code measured is changing under the benchmark) is
    reported in the results instead of ending the run."""
    try:
        return step()
    except Exception as exc:  # anything: the report says what failed
        log(f"  {label} failed: {exc!r}")
        results.problems.append(f"{label}: failed with {exc!r}"[:500])
        return default


def measure(options: Options) -> Results:
    now = timezone.now()
    results = Results(started=now, machine=machine(), data=_data_description())
    log(f"measuring {results.data['requests']:,} requests")
    people = personas()
    skipped = []
    paths = path_list(people, now, skipped)
    results.problems += [f"not measured: {note}" for note in skipped]
    log("collectstatic (DEBUG off serves the manifest)")
    collect_static(options)
    server = Server(options).start()
    log(f"gunicorn with {options.workers} workers on port {server.port}")
    try:
        for path in paths:
            person = people[path.persona]
            want_sql = (path.group, path.label) in EXPLAINED
            label = f"{path.group} · {path.label}"
            sqls = _guarded(results, label, partial(_in_process, path, person, want_sql), [])
            _guarded(results, label, partial(time_path, path, person, server, options), None)
            results.paths.append(path)
            p50 = f"{path.p50:.0f}" if path.p50 is not None else "-"
            p95 = f"{path.p95:.0f}" if path.p95 is not None else "-"
            log(
                f"  {label}: p50 {p50} ms, p95 {p95} ms, {path.queries} queries, "
                f"n={len(path.samples)}, HTTP {path.status}"
            )
            for number, sql in enumerate(sqls, 1):
                explained = _guarded(results, f"EXPLAIN of {label}", partial(explain, sql), None)
                if explained is not None:
                    title = f"{label} — query {number} of {len(sqls)}"
                    results.plans.append(Plan(title, sql, *explained))
        if options.qr:
            for connections in options.qr_connections:
                log(f"QR verification under load, {connections} connections")
                run = _guarded(
                    results,
                    f"QR verification ({connections} connections)",
                    partial(measure_qr, people, server, options, connections),
                    {"error": "failed", "connections": connections},
                )
                results.qr.append(run)
                log(f"  {json.dumps({k: v for k, v in run.items() if k != 'raw'})}")
        if options.exports:
            periods = _periods(now)
            for label in ("month", "year"):
                first, last = periods[label]
                log(f"CSV export, {label} ({first} – {last})")
                figures = _guarded(
                    results,
                    f"CSV export, {label}",
                    lambda label=label: measure_csv(people, server, options, label, periods[label]),
                    None,
                )
                if figures is not None:
                    results.exports.append(figures)
                    log(f"  {figures}")
    finally:
        server.stop()
    if options.exports:
        log("XLSX export job")
        results.jobs = _guarded(
            results,
            "XLSX export job",
            lambda: measure_export_jobs(people, options, _periods(now)),
            [],
        )
        log(f"  {results.jobs}")
    log(f"SLA sweep over {options.sweep_rows:,} due rows")
    results.sweep = _guarded(results, "SLA sweep", lambda: measure_sweep(options), {})
    log(f"  {results.sweep}")
    log("calendar recompute")
    results.calendar = _guarded(
        results, "calendar recompute", lambda: measure_calendar(options), {}
    )
    log(f"  {results.calendar}")
    results.finished = timezone.now()
    results.machine["load_end"] = os.getloadavg()
    results.problems += [f"{p.group} · {p.label}: {p.note}" for p in results.paths if p.note] + [
        f"{e['label']}: {e['error']}" for e in results.exports + results.jobs if "error" in e
    ]
    return results
