"""The benchmark's environment: production settings (DEBUG off) against a database of its own.

``configure()`` must run before Django is set up: it fills ``os.environ`` with what the
benchmark needs and leaves alone whatever the caller set. The secrets are fixed and
bench-only (the data set is made up), so that a database generated once can be measured again
by a later ``python -m bench measure`` and the gunicorn workers decrypt what the generator
encrypted.
"""

import os
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bazhou_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"

# Bench-only values: never used by a real deployment (they are in the repository).
BENCH_SECRETS = {
    "SECRET_KEY": "bench-only-secret-key-0c9f7e1d5b3a48f2a6e4d2c0b8a6f4e2d0c8b6a4f2e0d8c6",
    "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTE=",
    "FIELD_HASH_KEY": "bench-only-field-hash-key-5e3c1a9f7d5b3e1c9a7f5d3b1e9c7a5f",
}


_START = time.monotonic()


def log(message: str) -> None:
    """One progress line (the run takes minutes at 1,000,000 requests)."""
    elapsed = time.monotonic() - _START
    print(f"[bench {elapsed:7.1f}s] {message}", flush=True)


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # any failure means: run without it
        return False


def server_env(var_dir: Path) -> dict:
    """What the portal needs to run as in production, but over plain HTTP on 127.0.0.1 and
    without the second factor (the benchmark signs in with sessions it creates itself)."""
    return {
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # gunicorn is reached over plain HTTP on the loopback, with no TLS proxy in front.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        # Production requires TOTP of admins; the benchmark's sessions are made in-process.
        "OTP_REQUIRED_ROLES": "",
        "VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "UPLOAD_ROOT": str(var_dir / "uploads"),
        "LOG_LEVEL": "WARNING",
    }


def configure() -> dict:
    """Fill ``os.environ`` for a benchmark run; return the settings it chose."""
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if redis_url and not redis_reachable(redis_url):
        redis_url = ""
    var_dir = Path(os.environ.get("BENCH_VAR_DIR") or ROOT / "var" / "bench")
    var_dir.mkdir(parents=True, exist_ok=True)
    values = {**BENCH_SECRETS, **server_env(var_dir)}
    values["DATABASE_URL"] = database_url
    values["REDIS_URL"] = redis_url
    for name, value in values.items():
        os.environ.setdefault(name, value)
    # The URL is the benchmark's own, whatever DATABASE_URL the shell had for `make run`.
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return {"database_url": database_url, "redis_url": redis_url, "var_dir": var_dir}


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's database. Refuses a name without "bench" in it, so a
    stray DATABASE_URL can never have a development or production database dropped."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate database {name!r}: its name must contain 'bench'")
    parsed = urlparse(url)
    maintenance = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_url_of(settings_dict: dict) -> str:
    """A URL for the database Django is connected to (the test database, in the test)."""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
