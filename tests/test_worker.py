"""A real Celery worker consuming from the local Redis (not eager mode), on PostgreSQL.

The worker is a separate process (``celery -A config worker``) reading the test database, so
these tests need PostgreSQL and Redis: they skip on a laptop without them and fail in CI
(REQUIRE_SERVICES=1) if either is missing.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from portal.models import Delivery, Notification, SmsOutbox
from services.seed import seed_service_types
from tests.conftest import celery_broker, redis_url
from tests.requests_support import HOUSING, give_card

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    # Every test that flushes and consumes the broker database below (this file's and the
    # export job's in tests/test_export_jobs.py) is in this xdist group: `make test`
    # (--dist loadgroup) runs them one after another on the same worker.
    pytest.mark.xdist_group("real_broker"),
]
ROOT = Path(__file__).resolve().parent.parent
# A database of its own, flushed by these tests only (another number for a second checkout
# running the suite against the same Redis at the same time).
TEST_REDIS_DB = int(os.environ.get("TEST_BROKER_REDIS_DB", "12"))


def _broker_url() -> str:
    parts = urlsplit(redis_url())
    return urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", "", ""))


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """Start, kill and restart a worker process with a given environment."""

    def __init__(self, tmp_path: Path, **env):
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": _broker_url(),
            "VAR_DIR": str(settings.VAR_DIR),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "BROKER_VISIBILITY_TIMEOUT": "4",
            "BROKER_RESTORE_INTERVAL": "1",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process = None
        self.log = tmp_path / "worker.log"

    def start(self, **env):
        self.env.update(env)
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat",
        ]  # fmt: skip
        since = self.log.stat().st_size if self.log.exists() else 0
        log = self.log.open("a")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        # Starting takes seconds on a loaded machine: the deadlines below count from ready.
        wait_for(
            lambda: b" ready." in self.log.read_bytes()[since:] or self.process.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        return since

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(check, timeout=40.0, what="condition"):
    """Poll ``check`` every 0.1 s until it holds; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def broker_and_worker_idle(worker, since: int) -> bool:
    """Nothing left for a worker: no message queued in the test Redis database, none taken and
    unacknowledged (a killed worker's goes back to the queue after the visibility timeout),
    and every task the worker received since byte ``since`` of its log has finished."""
    broker = redis.Redis.from_url(_broker_url())
    queued = sum(
        broker.llen(key) for key in broker.scan_iter("celery*") if broker.type(key) == b"list"
    )
    if queued or broker.hlen("unacked"):
        return False
    log = worker.log.read_bytes()[since:].decode()
    received = re.findall(r"Task \S+\[([0-9a-f-]+)\] received", log)
    finished = re.findall(r"Task \S+\[([0-9a-f-]+)\] (?:succeeded|failed|raised|retry)", log)
    return sorted(received) == sorted(finished)


@pytest.fixture
def broker():
    """Point this process's Celery app at the test Redis database, emptied first."""
    redis.Redis.from_url(_broker_url()).flushdb()
    with celery_broker(_broker_url(), settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        yield


@pytest.fixture
def worker(tmp_path, broker):
    worker = Worker(tmp_path)
    yield worker
    worker.stop()


@pytest.fixture
def scene(departments, talent, handler, lead):
    seed_service_types()
    give_card(talent)
    for user, email in ((handler, "wangfang@zjj.example.cn"), (lead, "chengang@zjj.example.cn"),
                        (talent, "liming@example.cn")):  # fmt: skip
        user.email = email
        user.save()


def mail_files(tmp_path) -> list[str]:
    folder = tmp_path / "mail"
    return sorted(p.read_text() for p in folder.glob("*")) if folder.exists() else []


@pytest.mark.usefixtures("scene")
def test_a_filed_request_reaches_the_department_through_the_worker(
    worker, client_for, talent, tmp_path
):
    worker.start()
    response = client_for(talent).post(
        "/api/v1/service-requests/", {"service_type": "HOUSING", "fields": HOUSING}
    )
    assert response.status_code == 201
    number = response.json()["number"]
    # The inbox rows are there at once; the e-mails go out through the broker and the worker.
    told = Notification.objects.filter(kind="request_filed")
    assert set(told.values_list("recipient__username", flat=True)) == {"handler", "lead"}
    wait_for(
        lambda: not Delivery.objects.exclude(status="sent").exists(),
        what="the worker to send the deliveries",
    )
    assert Delivery.objects.filter(status="sent").count() == 2
    messages = mail_files(tmp_path)
    assert len(messages) == 2
    assert all(number in m for m in messages)
    assert "received" in worker.log.read_text()  # consumed from Redis, not run eagerly


@pytest.mark.usefixtures("scene")
def test_a_worker_killed_mid_delivery_and_restarted_delivers_exactly_once(
    worker, client_for, handler, talent, tmp_path
):
    marker = tmp_path / "sending"
    worker.start(SMS_BACKEND="tests.slow_sms.SlowSmsBackend", SLOW_SMS_SECONDS="30",
                 SLOW_SMS_MARKER=str(marker))  # fmt: skip
    number = (
        client_for(talent)
        .post("/api/v1/service-requests/", {"service_type": "HOUSING", "fields": HOUSING})
        .json()["number"]
    )
    # Accepting tells the talent urgently: an e-mail and an SMS.
    assert client_for(handler).post(f"/api/v1/service-requests/{number}/accept/").status_code == 200
    wait_for(marker.exists, what="the worker to be in the middle of sending the SMS")
    worker.kill()  # SIGKILL: its transaction (outbox row, status) dies with it
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == "pending" and not SmsOutbox.objects.exists()

    restarted_at = worker.start(SLOW_SMS_SECONDS="0", SLOW_SMS_MARKER="")
    wait_for(
        lambda: not Delivery.objects.exclude(status="sent").exists(),
        timeout=60,
        what="the restarted worker to finish every delivery",
    )
    # A duplicate could only come from a message still in the broker (the killed worker's,
    # redelivered after the visibility timeout) or a task still running: wait until there is
    # neither, then count.
    wait_for(
        lambda: broker_and_worker_idle(worker, restarted_at),
        timeout=30,
        what="the broker to be empty and the restarted worker idle",
    )
    assert SmsOutbox.objects.count() == 1
    assert SmsOutbox.objects.get().delivery_id == sms.pk
    emails = mail_files(tmp_path)
    assert len(emails) == Delivery.objects.filter(channel="email").count() == 3
    assert Delivery.objects.filter(status="sent").count() == 4
