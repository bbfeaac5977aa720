"""Shared fixtures: named personas, API clients, and the service requirements.

Tests marked ``postgres`` or ``redis`` need that server. On a laptop without it they skip; with
``REQUIRE_SERVICES=1`` (CI) they fail instead, so CI can never pass by skipping them.
"""

import os
from contextlib import contextmanager, suppress

import pytest
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient

from portal.models import Role
from portal.seed import seed_departments
from tests.factories import PASSWORD, TalentFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# "gw0", "gw1", … in a pytest-xdist worker (`make test` runs the suite on several), "" otherwise.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def redis_reachable() -> bool:
    url = redis_url()
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_configure(config):
    # Tests publish to an in-memory broker: nothing lands in var/celery/ where a running
    # `make run` worker would pick it up. Tests of the real broker set their own URL.
    from config.celery import app

    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}
    if XDIST_WORKER:
        # xdist workers share REDIS_URL's database: each keeps its cache keys (rate limits,
        # lockouts, throttles) under a prefix of its own, and empties only those (_clear_cache).
        # Per-worker test databases come from pytest-django (test_<name>_gw0, …).
        from django.conf import settings

        settings.CACHES["default"]["KEY_PREFIX"] = f"test-{XDIST_WORKER}"


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL)")
    if item.get_closest_marker("redis") and not redis_reachable():
        _missing("Redis (set REDIS_URL)")


def _clear_cache():
    """Empty this process's cache. Django's RedisCache.clear() is FLUSHDB, which would also
    wipe another xdist worker's keys in the middle of its test: with a key prefix, only the
    keys under it are deleted."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if backend.key_prefix and isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


def _reset_broker_state():
    from celery import current_app
    from kombu import pools

    from portal import delivery

    # Celery builds its connection and producer pools once, from the URL of the moment, and
    # kombu keeps producer pools in a process-wide registry keyed by connection: a test that
    # changes the URL must drop both, or it publishes to the old broker (or a closed pool).
    if current_app._pool is not None:
        current_app._pool.force_close_all()
        current_app._pool = None
    current_app.amqp._producer_pool = None
    pools.reset()
    delivery._breaker["until"] = 0.0


@contextmanager
def celery_broker(url: str, options: dict | None = None):
    """Publish to ``url`` (with kombu transport ``options``) inside the block."""
    from celery import current_app

    conf = current_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    _reset_broker_state()
    conf.broker_url, conf.broker_transport_options = url, options or {}
    try:
        yield
    finally:
        _reset_broker_state()
        conf.broker_url, conf.broker_transport_options = saved


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Hashing strength is not what these tests are about; MD5 keeps the suite fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_UPLOAD_ROOT = tmp_path / "uploads"
    _clear_cache()
    _reset_broker_state()
    yield
    with suppress(Exception):  # a test that made the cache unreachable on purpose
        _clear_cache()


@pytest.fixture
def criteria(db):
    from cards.seed import seed_criteria

    seed_criteria()


@pytest.fixture
def departments(db):
    seed_departments()
    from portal.models import Department

    return {d.code: d for d in Department.objects.all()}


# --- personas -------------------------------------------------------------------------------
@pytest.fixture
def talent(db):
    return TalentFactory(username="talent", real_name="李明", phone="13800002688")


@pytest.fixture
def other_talent(db):
    return TalentFactory(username="other_talent", real_name="王五", phone="13800003333")


@pytest.fixture
def handler(departments):
    return UserFactory(username="handler", role=Role.STAFF, department=departments["ZJJ"])


@pytest.fixture
def other_handler(departments):
    return UserFactory(username="other_handler", role=Role.STAFF, department=departments["JYJ"])


@pytest.fixture
def lead(departments):
    return UserFactory(username="lead", role=Role.LEAD, department=departments["ZJJ"])


@pytest.fixture
def admin_user(departments):
    return UserFactory(username="admin", role=Role.ADMIN, department=departments["ZZB"])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", role=Role.AUDITOR)


@pytest.fixture
def verifier(db):
    return UserFactory(username="verifier", role=Role.VERIFIER)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates it with a real token."""

    class Client(APIClient):
        def as_user(self, user):
            response = self.post(
                "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.content
            self.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
            return self

    return Client()


@pytest.fixture
def client_for(api):
    """``client_for(user)``: a fresh API client signed in as ``user`` with a real token."""

    def make(user):
        client = type(api)()
        return client.as_user(user)

    return make
