"""API token sign-in (portal.gate.GatedTokenAuthentication): one query per request, expired
tokens refused and deleted, the rest purged hourly."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS

from portal.tasks import purge_expired_tokens
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(api, username):
    body = api.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}).json()
    return body["token"]


def test_a_token_request_reads_the_token_and_its_user_in_one_query(api, talent):
    token = sign_in(api, "talent")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api.get("/api/v1/me/")  # the first request may refresh the expiry
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/me/").status_code == 200
    token_reads = [q["sql"] for q in queries if "knox_authtoken" in q["sql"]]
    assert len(token_reads) == 1, token_reads
    assert "portal_user" in token_reads[0]  # the user joined, not fetched again


def test_a_wrong_token_with_a_right_key_is_refused(api, talent):
    token = sign_in(api, "talent")
    forged = token[:8] + ("0" if token[8] != "0" else "1") + token[9:]
    api.credentials(HTTP_AUTHORIZATION=f"Token {forged}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert AuthToken.objects.count() == 1  # the real one is untouched


@pytest.mark.parametrize("token", ["\u00e9t\u00e9", "z" * 64, "a"])
def test_malformed_tokens_are_refused_without_an_error(api, talent, token):
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 401


def test_an_expired_token_is_refused_and_deleted(api, talent, settings):
    token = sign_in(api, "talent")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    expiry = AuthToken.objects.get().expiry
    with time_machine.travel(expiry + timedelta(seconds=1)):
        assert api.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.exists()


def test_the_hourly_purge_deletes_only_expired_tokens(api, talent):
    stale = sign_in(api, "talent")
    AuthToken.objects.filter(user=talent).update(expiry=timezone.now() - timedelta(minutes=1))
    fresh = sign_in(api, "talent")
    assert purge_expired_tokens() == 1
    assert purge_expired_tokens() == 0  # idempotent
    api.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert api.get("/api/v1/me/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {stale}")
    assert api.get("/api/v1/me/").status_code == 401


def test_the_purge_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-tokens"]
    assert entry["task"] == "portal.tasks.purge_expired_tokens"
    assert entry["schedule"] == timedelta(hours=1)


def _values(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_written_out_query_loads_what_the_orm_loads(api, talent):
    from portal.gate import tokens_with_users

    talent.last_login = timezone.now() - timedelta(days=2)
    talent.save()
    token = sign_in(api, "talent")
    key = token[: CONSTANTS.TOKEN_KEY_LENGTH]
    [loaded] = tokens_with_users(key)
    [expected] = AuthToken.objects.filter(token_key=key).select_related("user")
    assert _values(loaded) == _values(expected)
    assert _values(loaded.user) == _values(expected.user)
    assert loaded.user.last_login.tzinfo is not None  # converted, as the ORM converts
    assert loaded._state.adding is False and loaded.user._state.db == expected.user._state.db
    assert tokens_with_users("nosuchkey") == []
