"""A database that accepts the connection and never answers does not hang the portal.

The hanging database is a "silent socket": a TCP server on 127.0.0.1 that accepts every
connection and never sends a byte. /healthz/ answers 503 ("database": "timeout") within its
deadline, pages fail after the connect timeout instead of waiting forever, and on PostgreSQL
a statement that runs too long is cancelled with a clear error.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from copy import deepcopy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.db.utils import OperationalError

from config.settings import postgres_timeouts, serves_http
from portal import health

ROOT = Path(__file__).resolve().parent.parent
GUARD_SECONDS = 10  # "it answered at all"; the deadline itself is 2.5 s


@pytest.fixture
def silent_server():
    """A server that accepts connections and never replies; ``accepted`` counts them."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield SimpleNamespace(port=server.getsockname()[1], accepted=accepted)
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def silent_database(silent_server, monkeypatch):
    """Point the health check's database at the silent server (a PostgreSQL alias built for
    the test, whatever engine the suite runs on)."""
    silent = {
        **deepcopy(connection.settings_dict),
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "bazhou",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": str(silent_server.port),
        "OPTIONS": {},
    }
    monkeypatch.setattr(health, "database_settings", lambda: health.short_timeouts(silent))
    yield silent_server
    _wait_for_checks()


def _wait_for_checks():
    for thread in threading.enumerate():
        if thread.name.startswith("healthz-"):
            thread.join(GUARD_SECONDS)


def _get_within(client, path: str, seconds: float = GUARD_SECONDS):
    """GET ``path`` in a thread; fail (instead of hanging the suite) if it never answers."""
    answer = {}
    thread = threading.Thread(target=lambda: answer.update(response=client.get(path)))
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{path} gave no answer within {seconds} s"
    return answer["response"]


# --- /healthz/ --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_never_answers(client, silent_database):
    started = time.monotonic()
    response = _get_within(client, "/healthz/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["database"] == "timeout"
    assert silent_database.accepted, "the check never reached the silent server"
    # Not a stopwatch test (the guard above is what fails it), but say what was measured.
    print(f"/healthz/ answered in {elapsed:.2f} s against a silent database")


@pytest.mark.django_db
def test_healthz_with_the_real_database_is_200(client):
    response = _get_within(client, "/healthz/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_a_check_that_never_returns_is_cut_off_and_not_started_twice(client, monkeypatch):
    """Past the connection, only the deadline bounds the check (a server can go silent after
    answering the handshake): the request answers anyway, and while the stuck check is still
    waiting no second one piles up behind it."""
    release, calls = threading.Event(), []

    def hang(settings_dict):
        calls.append(settings_dict["ENGINE"])
        release.wait(30)
        return health.OK

    monkeypatch.setattr(health, "check_database", hang)
    try:
        for _ in range(2):
            response = _get_within(client, "/healthz/")
            assert response.status_code == 503
            assert response.json()["database"] == "timeout"
        assert len(calls) == 1
    finally:
        release.set()
        _wait_for_checks()
    assert _get_within(client, "/healthz/").status_code == 200  # and it recovers


@pytest.mark.django_db
def test_a_refused_database_is_down_not_timeout(client, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the connection is refused at once
    refused = {
        **deepcopy(connection.settings_dict),
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "bazhou",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "OPTIONS": {},
    }
    monkeypatch.setattr(health, "database_settings", lambda: health.short_timeouts(refused))
    response = _get_within(client, "/healthz/")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


# --- the settings -----------------------------------------------------------------------------
def test_which_processes_get_the_web_statement_timeout():
    assert serves_http(["gunicorn", "config.wsgi"], {"config.wsgi": object()})
    assert serves_http(["manage.py", "runserver", "127.0.0.1:8000"], {})
    assert serves_http(["pytest"], {"pytest": object()})
    assert not serves_http(["/srv/.venv/bin/celery", "-A", "config", "worker"], {})
    assert not serves_http(["manage.py", "migrate"], {})
    assert not serves_http(["manage.py", "rebuild_rollups"], {})
    assert not serves_http(["/work/main/bench/__main__.py", "generate"], {})


def test_postgres_timeouts_go_into_the_connection_options():
    pg = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"options": "-c search_path=x"}}
    assert postgres_timeouts(pg, 5, 30)["OPTIONS"] == {
        "connect_timeout": 5,
        "options": "-c search_path=x -c statement_timeout=30000",
    }
    assert postgres_timeouts(pg, 5, 0)["OPTIONS"] == {
        "connect_timeout": 5,
        "options": "-c search_path=x",
    }
    assert pg["OPTIONS"] == {"options": "-c search_path=x"}  # not changed in place
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "OPTIONS": {"timeout": 20}}
    assert postgres_timeouts(sqlite, 5, 30) == sqlite


def _settings_in_a_process(tmp_path, *, web: bool, **env) -> dict:
    # A job process is anything that does not load config.wsgi (nor runs runserver).
    code = (
        ("import config.wsgi\n" if web else "")
        + "import json; from config import settings as s\n"
        + "print(json.dumps({'options': s.DATABASES['default'].get('OPTIONS', {}),"
        + " 'cache': s.CACHES['default'].get('OPTIONS', {}),"
        + " 'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS}))"
    )
    leaking = {"DB_CONNECT_TIMEOUT", "DB_STATEMENT_TIMEOUT", "DB_JOB_STATEMENT_TIMEOUT"}
    environment = {k: v for k, v in os.environ.items() if k not in leaking}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_web_and_job_processes_get_their_own_statement_timeout(tmp_path):
    env = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/anything",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    web = _settings_in_a_process(tmp_path, web=True, **env)
    assert web["options"] == {"connect_timeout": 5, "options": "-c statement_timeout=30000"}
    job = _settings_in_a_process(tmp_path, web=False, **env)
    assert job["options"] == {"connect_timeout": 5}  # worker, commands, benchmark: no limit
    job = _settings_in_a_process(tmp_path, web=False, DB_JOB_STATEMENT_TIMEOUT="3600", **env)
    assert job["options"]["options"] == "-c statement_timeout=3600000"
    tuned = _settings_in_a_process(
        tmp_path,
        web=True,
        DB_CONNECT_TIMEOUT="3",
        DB_STATEMENT_TIMEOUT="10",
        REDIS_CONNECT_TIMEOUT="0.3",
        REDIS_SOCKET_TIMEOUT="2",
        BROKER_SOCKET_TIMEOUT="7",
        **env,
    )
    assert tuned["options"] == {"connect_timeout": 3, "options": "-c statement_timeout=10000"}
    assert tuned["cache"] == {"socket_connect_timeout": 0.3, "socket_timeout": 2.0}
    assert tuned["broker"]["socket_connect_timeout"] == 0.3
    assert tuned["broker"]["socket_timeout"] == 7.0


def test_a_page_fails_instead_of_waiting_forever_on_a_silent_database(tmp_path, silent_server):
    """The whole portal, as gunicorn loads it, against a database that never answers: the
    home page gives up after the connect timeout (500), /healthz/ answers 503."""
    code = (
        "import json, time\n"
        "import config.wsgi\n"
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        "started = time.monotonic()\n"
        "page = client.get('/')\n"
        "page_seconds = time.monotonic() - started\n"
        "started = time.monotonic()\n"
        "health = client.get('/healthz/')\n"
        "print(json.dumps({'page': page.status_code, 'page_seconds': page_seconds,"
        " 'health': health.status_code, 'health_body': health.json(),"
        " 'health_seconds': time.monotonic() - started}))\n"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DB_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{silent_server.port}/bazhou",
        "REDIS_URL": "",
        "DB_CONNECT_TIMEOUT": "2",
        # The demo's DEBUG=1: DEBUG=0 would need collected static files for its 500 page.
        "DEBUG": "1",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,  # generous: without the timeouts it would never end
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the portal hung on a silent database")
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["page"] == 500
    assert answer["health"] == 503
    assert answer["health_body"]["database"] == "timeout"
    print(answer)


# --- PostgreSQL's statement timeout -----------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_past_the_timeout_is_cancelled_with_a_clear_error():
    with (
        pytest.raises(OperationalError, match="statement timeout"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = 200")
        cursor.execute("SELECT pg_sleep(5)")
    # pg_sleep(5) ends by itself without an error: the error above is the timeout firing (no
    # stopwatch needed, which a loaded machine could fail).
    with connection.cursor() as cursor:  # the connection is usable after it
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_suite_runs_with_the_web_statement_timeout(settings):
    """The test process counts as a web process: its connection carries the web limit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
        assert int(cursor.fetchone()[0]) == settings.DB_STATEMENT_TIMEOUT * 1000
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == settings.DB_CONNECT_TIMEOUT


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_health_check_connection_has_its_own_short_limits():
    check = health.short_timeouts(connection.settings_dict)
    from django.db.utils import load_backend

    wrapper = load_backend(check["ENGINE"]).DatabaseWrapper(check, "healthz-test")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
            assert int(cursor.fetchone()[0]) == health.STATEMENT_TIMEOUT_MS
    finally:
        wrapper.close()
    assert check["OPTIONS"]["connect_timeout"] == health.CONNECT_TIMEOUT_SECONDS
