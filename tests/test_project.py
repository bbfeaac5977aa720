"""Project-wide guarantees: settings, the OpenAPI schema, the layering of the apps."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from config.env import generated_secret

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#kq2!v9Lm@pZ4w8Rt^bN3y6Hs&dJ1fG5cQ0eA_uK-oW(iE)rT*yU%nM",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "FIELD_HASH_KEY": "hash-key-for-the-deploy-check-only-0123456789",
    "ALLOWED_HOSTS": "youcai.bazhou.gov.cn",
    "DATABASE_URL": "",
    "REDIS_URL": "",
}


def run_manage(*args, env):
    # A production environment: none of the test run's own variables leak in.
    leaking = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE", "REQUIRE_SERVICES"}
    full_env = {k: v for k, v in os.environ.items() if k not in leaking}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_values(tmp_path):
    env = dict(PRODUCTION_ENV, VAR_DIR=str(tmp_path))
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    env = dict(PRODUCTION_ENV, VAR_DIR=str(tmp_path), FIELD_ENCRYPTION_KEY="")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr
    assert not (tmp_path / "field_encryption_key").exists()


def test_the_embedded_default_generates_each_secret_once(tmp_path):
    path = tmp_path / "key"
    first = generated_secret(path, lambda: "one")
    assert generated_secret(path, lambda: "two") == first == "one"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_schema_describes_every_endpoint_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/logout/",
        "/api/v1/me/",
        "/api/v1/notifications/",
        "/api/v1/audit-events/",
    ):
        assert f"{path}:" in schema


@pytest.mark.django_db
def test_api_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_apps_are_layered_portal_cards_services():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.django_db
def test_unknown_api_paths_answer_json_404(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()


@pytest.mark.django_db
def test_registration_survives_an_unreachable_cache(api, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    from portal import ratelimit

    dead = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    monkeypatch.setattr(ratelimit, "cache", dead)
    response = api.post(
        "/api/v1/auth/register/",
        {
            "username": "offline",
            "password": "Bazhou#Talent9",
            "real_name": "离线",
            "id_number": "511902198803150029",
            "phone": "13800002688",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.content
