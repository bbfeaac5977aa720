"""`make run` with another PORT (or HOST) also points the links in e-mails there: the web
server and the Celery worker that sends the e-mails both get SITE_URL, unless it is set."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _site_urls(*args, **env) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "HOST"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if "celery" in line or "runserver" in line]
    assert len(lines) == 2, result.stdout
    return [re.search(r"SITE_URL='([^']*)'", line).group(1) for line in lines]


def test_the_port_given_to_make_run_is_the_port_of_the_links():
    assert _site_urls("PORT=9000") == ["http://127.0.0.1:9000"] * 2
    assert _site_urls() == ["http://127.0.0.1:8000"] * 2
    assert _site_urls(PORT="8123", HOST="192.168.1.20") == ["http://192.168.1.20:8123"] * 2


def test_a_site_url_that_is_set_wins():
    assert (
        _site_urls("PORT=9000", SITE_URL="https://rc.bazhou.example")
        == ["https://rc.bazhou.example"] * 2
    )
    assert _site_urls("PORT=9000", "SITE_URL=https://a.example") == ["https://a.example"] * 2


def test_the_settings_take_site_url_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    environment = {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "", "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **environment, "SITE_URL": "http://127.0.0.1:9000"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "http://127.0.0.1:9000"
