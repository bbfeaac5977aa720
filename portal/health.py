"""Liveness of the two things the portal cannot work without: the database and the broker.

/healthz/ must answer within a few seconds whatever they do, even when one accepts the
connection and then never says a word. So each check runs in a thread of its own, on a
connection of its own with short timeouts (never the request's or a pooled one), and the
answer waits for both at most ``DEADLINE_SECONDS`` in all. A check still stuck from an earlier
call is not started again (it answers "timeout" at once), so a hung server cannot pile up
threads.
"""

import logging
import threading
import time
from collections.abc import Callable
from copy import deepcopy

import psycopg.errors
import redis.exceptions
from celery import current_app
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

logger = logging.getLogger(__name__)

OK, DOWN, TIMEOUT = "ok", "down", "timeout"

# Both checks run at the same time: /healthz/ answers within this many seconds (plus a few ms).
DEADLINE_SECONDS = 2.5
# The database check's own limits: libpq gives up connecting after 2 s (its minimum) and the
# server cancels a statement after 1.5 s.
CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 1500

_TIMEOUT_ERRORS = (
    TimeoutError,  # socket.timeout too
    psycopg.errors.ConnectionTimeout,
    psycopg.errors.QueryCanceled,  # statement_timeout
    redis.exceptions.TimeoutError,
)

_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()


def database_settings() -> dict:
    """The default database's settings with the check's short timeouts (a copy: the
    connections the pages use keep theirs)."""
    return short_timeouts(connections[DEFAULT_DB_ALIAS].settings_dict)


def short_timeouts(settings_dict: dict) -> dict:
    """A copy of ``settings_dict`` for one check: PostgreSQL's limits shortened, no reuse."""
    settings_dict = deepcopy(settings_dict)
    if "postgresql" in settings_dict["ENGINE"]:
        options = settings_dict.setdefault("OPTIONS", {})
        options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        # The last -c for a parameter wins: this replaces the pages' statement_timeout.
        ours = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        options["options"] = f"{options['options']} {ours}" if options.get("options") else ours
    settings_dict["CONN_MAX_AGE"] = 0
    return settings_dict


def check_database(settings_dict: dict) -> str:
    """SELECT 1 on a connection opened for it and closed after; raises when it fails."""
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "healthz")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return OK
    finally:
        wrapper.close()


def check_broker(app) -> str:
    """Can a message be handed to the broker right now? One attempt, a 1 s timeout."""
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
    return OK


def _is_timeout(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _TIMEOUT_ERRORS):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


class _Check:
    """One check running in a daemon thread; ``state`` is set when it ends."""

    def __init__(self, name: str, run: Callable[[], str]):
        self.name = name
        self.state: str | None = None
        self._run = run
        self.thread = threading.Thread(target=self._target, name=f"healthz-{name}", daemon=True)

    def _target(self):
        try:
            self.state = self._run()
        except Exception as error:
            self.state = TIMEOUT if _is_timeout(error) else DOWN
            logger.warning("health check: %s %s: %r", self.name, self.state, error)
        finally:
            with _running_lock:
                if _running.get(self.name) is self.thread:
                    del _running[self.name]

    def start(self) -> bool:
        """Start, unless the previous check of this name is still running."""
        with _running_lock:
            previous = _running.get(self.name)
            if previous is not None and previous.is_alive():
                logger.warning("health check: %s still waiting from an earlier call", self.name)
                return False
            _running[self.name] = self.thread
        self.thread.start()
        return True


def states(deadline_seconds: float = DEADLINE_SECONDS) -> dict[str, str]:
    """{"database": ..., "broker": ...}, each "ok", "down" or "timeout", within the deadline."""
    settings_dict = database_settings()
    app = current_app._get_current_object()  # the one this request sees
    checks = [
        _Check("database", lambda: check_database(settings_dict)),
        _Check("broker", lambda: check_broker(app)),
    ]
    started = [check.start() for check in checks]
    ends_at = time.monotonic() + deadline_seconds
    answer = {}
    for check, running in zip(checks, started, strict=True):
        if running:
            check.thread.join(max(0.0, ends_at - time.monotonic()))
        state = check.state
        if state is None:
            state = TIMEOUT
            if running:
                logger.warning(
                    "health check: %s gave no answer within %ss", check.name, deadline_seconds
                )
        answer[check.name] = state
    return answer
