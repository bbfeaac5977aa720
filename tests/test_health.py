"""/healthz/: 200 with the database and broker state, 503 when the database is down."""

import pytest
from django.db import connection
from django.db.utils import OperationalError

from portal import health
from tests.conftest import celery_broker, redis_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    """Point the Celery app at another broker URL for one test."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield lambda url, options=None: stack.enter_context(celery_broker(url, options))


def test_health_with_the_configured_broker(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
def test_health_with_redis_up(client, broker):
    broker(redis_url())
    assert client.get("/healthz/").json() == {"database": "ok", "broker": "ok"}


def test_health_with_the_broker_down_is_still_200_and_tries_it_briefly(
    client, broker, settings, monkeypatch
):
    """Not a stopwatch (the benchmark measures speed): the check tries the dead broker with
    the configured short connect timeout, a fixed number of times, and says it is down."""
    import redis.connection

    attempts = []
    connect = redis.connection.Connection._connect

    def spy(self):
        attempts.append((self.host, self.port, self.socket_connect_timeout))
        return connect(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", spy)
    options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    broker("redis://127.0.0.1:1/0", options)  # nothing listens on port 1
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "down"}
    # An attempt and one retry (ensure_connection(max_retries=1)), each with the short timeout.
    assert attempts == [("127.0.0.1", 1, options["socket_connect_timeout"])] * 2
    assert options["socket_connect_timeout"] <= 1


def test_health_with_the_database_down_is_503(client, monkeypatch):
    # The check opens a connection of its own (portal.health), never the request's.
    def refuse(settings_dict):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", refuse)
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_health_does_not_use_the_request_connection(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the health check used the request's connection")

    monkeypatch.setattr(connection, "cursor", refuse)
    assert client.get("/healthz/").json() == {"database": "ok", "broker": "ok"}


def test_health_needs_no_login_and_no_session(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
