"""QR verification: a signed token that lives 120 s, works once, holds no personal data."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from cards.models import Card, CardScan
from cards.qr import SALT
from services.seed import seed_service_types
from tests.cards_support import approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
T0 = datetime(2026, 5, 11, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def holder(client_for, talent, admin_user, departments):
    """The talent, holding a C-tier card issued at T0."""
    seed_service_types()
    with time_machine.travel(T0, tick=False):
        card = approved(client_for(talent), client_for(admin_user))["card"]
    return card


def qr(client):
    response = client.post("/api/v1/cards/mine/qr/")
    assert response.status_code == 200, response.content
    return response.json()


def verify(client, token):
    response = client.post("/api/v1/cards/verify/", {"token": token})
    assert response.status_code == 200
    return response.json()


def test_a_token_verifies_once_with_the_card_and_its_services(holder, client_for, talent, verifier):
    with time_machine.travel(T0, tick=False):
        token = qr(client_for(talent))
        assert token["expires_at"] == "2026-05-11T09:32:00+08:00"
        answer = verify(client_for(verifier), token["token"])
    assert answer["valid"] is True and answer["reason"] is None
    assert answer["card"]["number"] == holder["number"]
    assert answer["card"]["tier"] == "C" and answer["card"]["holder_name_masked"] == "李*"
    assert answer["card"]["valid_until"] == "2029-05-10"
    # C unlocks medical care and spouse jobs; D would not.
    assert "配偶就业" in answer["card"]["services"] and len(answer["card"]["services"]) == 7


def test_the_token_lives_120_seconds(holder, client_for, talent, verifier):
    with time_machine.travel(T0, tick=False) as clock:
        first = qr(client_for(talent))["token"]
        second = qr(client_for(talent))["token"]
        checker = client_for(verifier)
        clock.shift(timedelta(seconds=119, microseconds=999999))
        assert verify(checker, first)["valid"] is True
        clock.shift(timedelta(microseconds=1))  # exactly 120 s after issue
        expired = verify(checker, second)
    assert expired == {
        "valid": False,
        "reason": "token_expired",
        "reason_label": "二维码已过期，请持卡人刷新后重新出示",
        "card": None,
    }


def test_a_token_cannot_be_used_twice(holder, client_for, talent, verifier):
    token = qr(client_for(talent))["token"]
    checker = client_for(verifier)
    assert verify(checker, token)["valid"] is True
    assert verify(checker, token) == {
        "valid": False,
        "reason": "token_used",
        "reason_label": "二维码已使用过，请持卡人刷新后重新出示",
        "card": None,
    }


@pytest.mark.parametrize("token", ["", "garbage", "eyJhIjoxfQ:1abc:forged"])
def test_unknown_or_forged_tokens_are_invalid(holder, client_for, verifier, token):
    assert verify(client_for(verifier), token) == {
        "valid": False,
        "reason": "token_invalid",
        "reason_label": "无法识别的二维码",
        "card": None,
    }


def test_a_token_signed_for_an_unknown_id_is_invalid(holder, client_for, verifier):
    token = signing.dumps("0" * 32, salt=SALT)
    assert verify(client_for(verifier), token)["reason"] == "token_invalid"


def test_a_tampered_token_is_invalid(holder, client_for, talent, verifier):
    token = qr(client_for(talent))["token"]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert verify(client_for(verifier), tampered)["reason"] == "token_invalid"


def test_the_token_carries_no_personal_data(holder, client_for, talent):
    token = qr(client_for(talent))["token"]
    payload = signing.loads(token, salt=SALT)
    assert isinstance(payload, str) and len(payload) == 32 and int(payload, 16) >= 0
    for personal in (
        talent.username,
        talent.real_name,
        talent.id_number,
        talent.phone,
        holder["number"],
    ):
        assert personal not in token


def test_suspension_and_revocation_take_effect_at_once(
    holder, client_for, talent, admin_user, verifier
):
    admin, checker = client_for(admin_user), client_for(verifier)
    token = qr(client_for(talent))["token"]
    admin.post(f"/api/v1/cards/{holder['number']}/suspend/", {"reason": "核查"})
    answer = verify(checker, token)
    assert answer["valid"] is False and answer["reason"] == "card_suspended"
    assert answer["card"]["number"] == holder["number"]
    # A suspended card cannot show a new code either.
    response = client_for(talent).post("/api/v1/cards/mine/qr/")
    assert response.status_code == 409 and response.json()["status"] == "suspended"
    admin.post(f"/api/v1/cards/{holder['number']}/reinstate/", {})
    token = qr(client_for(talent))["token"]
    admin.post(f"/api/v1/cards/{holder['number']}/revoke/", {"reason": "调离"})
    assert verify(checker, token)["reason"] == "card_revoked"


def test_an_expired_card_does_not_verify(holder, client_for, talent, verifier):
    with time_machine.travel(
        datetime(2029, 5, 10, 23, 59, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ) as clock:
        token = qr(client_for(talent))["token"]
        clock.shift(timedelta(seconds=61))  # 2029-05-11 00:00:01, the day after valid_until
        assert verify(client_for(verifier), token)["reason"] == "card_expired"
        assert client_for(talent).post("/api/v1/cards/mine/qr/").status_code == 409


def test_every_verification_is_logged(holder, client_for, talent, verifier):
    checker = client_for(verifier)
    token = qr(client_for(talent))["token"]
    verify(checker, token)
    verify(checker, token)
    verify(checker, "garbage")
    scans = list(
        CardScan.objects.order_by("id").values_list("valid", "reason", "verifier__username")
    )
    assert scans == [
        (True, "", "verifier"),
        (False, "token_used", "verifier"),
        (False, "token_invalid", "verifier"),
    ]
    assert CardScan.objects.filter(card__number=holder["number"]).count() == 2


def test_only_talents_with_a_card_get_a_token(client_for, talent, admin_user, verifier, criteria):
    assert client_for(talent).post("/api/v1/cards/mine/qr/").status_code == 404
    assert client_for(admin_user).post("/api/v1/cards/mine/qr/").status_code == 403
    assert client_for(verifier).post("/api/v1/cards/mine/qr/").status_code == 403


@pytest.mark.parametrize("persona", ["talent", "handler", "lead", "admin_user", "auditor"])
def test_only_verifiers_verify(client_for, request, persona):
    response = client_for(request.getfixturevalue(persona)).post(
        "/api/v1/cards/verify/", {"token": "x"}
    )
    assert response.status_code == 403
    assert not CardScan.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_verifiers_scanning_one_token_at_once_get_one_valid(criteria, departments):

    from cards.applications import application_approve
    from cards.models import CardApplication, Criterion
    from cards.qr import qr_issue, qr_verify
    from tests.factories import TalentFactory, UserFactory

    holder = TalentFactory()
    admin = UserFactory(role="admin")
    app = CardApplication.objects.create(
        talent=holder, status="submitted", employer="x", position="y"
    )
    app.criteria.set(Criterion.objects.filter(code="D02"))
    application_approve(application=app, actor=admin)
    token, _ = qr_issue(holder=holder)
    verifiers = [UserFactory(role="verifier") for _ in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def scan(verifier):
        try:
            barrier.wait()
            results.append(qr_verify(token=token, verifier=verifier, ip="127.0.0.1").reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(v,)) for v in verifiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted([None, "token_used"], key=str)


def test_a_token_scanned_while_suspended_is_used_up(
    holder, client_for, talent, admin_user, verifier
):
    admin, checker = client_for(admin_user), client_for(verifier)
    token = qr(client_for(talent))["token"]
    admin.post(f"/api/v1/cards/{holder['number']}/suspend/", {"reason": "核查"})
    assert verify(checker, token)["reason"] == "card_suspended"
    admin.post(f"/api/v1/cards/{holder['number']}/reinstate/", {})
    assert verify(checker, token)["reason"] == "token_used"


# --- the hot path (issue 12: hundreds of scans a second) ----------------------------------------
# On PostgreSQL a scan is one statement (claim, card, verdict and scan row); elsewhere the
# same steps one by one in one transaction. Both are held to the same answers above.
def _sql(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _is_the_scan_statement(sql: str) -> bool:
    """PostgreSQL's one statement: the claim, and the scan row, together."""
    return (
        sql.lstrip().startswith("WITH claim AS")
        and 'UPDATE "cards_qrtoken" SET "used_at"' in sql
        and '"used_at" IS NULL' in sql
        and 'INSERT INTO "cards_cardscan"' in sql
    )


def test_a_scan_claims_the_token_in_one_statement_and_writes_one_scan_row(
    holder, client_for, talent, verifier
):
    checker, shower = client_for(verifier), client_for(talent)
    verify(checker, qr(shower)["token"])  # the first scan of a tier caches its services
    token = qr(shower)["token"]
    with CaptureQueriesContext(connection) as queries:
        answer = verify(checker, token)
    assert answer["valid"] is True and answer["card"]["photo_url"]
    statements = _sql(queries)
    # Sign-in (one statement: the token with its user), then the scan; the tier's services
    # come from the cache. Nothing else: no session, no notification.
    sign_in, scan = statements[0], statements[1:]
    assert "knox_authtoken" in sign_in and "portal_user" in sign_in, statements
    assert not any("knox_authtoken" in s for s in scan), statements
    if _on_postgresql():
        assert len(scan) == 1 and _is_the_scan_statement(scan[0]), statements
        return
    # Elsewhere: the claim (the token's only lookup), the card with its holder, the scan row.
    assert len(scan) == 3, "\n".join(statements)
    claim, card, logged = scan
    assert claim.startswith('UPDATE "cards_qrtoken"') and "RETURNING" in claim
    assert '"used_at" IS NULL' in claim
    assert card.startswith("SELECT") and "cards_qrtoken" not in card
    assert logged.startswith('INSERT INTO "cards_cardscan"')


@pytest.mark.parametrize(
    ("case", "reason", "steps"),
    [
        # Elsewhere: the claim finds nothing to use up; one read says why; the scan row.
        ("used", "token_used", 3),
        ("unknown", "token_invalid", 3),
        # A bad signature never reaches the token table: only the scan row (everywhere).
        ("forged", "token_invalid", 1),
    ],
)
def test_a_refused_scan_is_as_cheap(holder, client_for, talent, verifier, case, reason, steps):
    from cards.qr import qr_verify

    token = {
        "used": lambda: qr(client_for(talent))["token"],
        "unknown": lambda: signing.dumps("f" * 32, salt=SALT),
        "forged": lambda: "eyJhIjoxfQ:1abc:forged",
    }[case]()
    if case == "used":
        assert qr_verify(token=token, verifier=verifier).valid
    with CaptureQueriesContext(connection) as queries:
        assert qr_verify(token=token, verifier=verifier).reason == reason
    statements = _sql(queries)
    if case == "forged":
        assert len(statements) == 1 and statements[0].startswith('INSERT INTO "cards_cardscan"')
    elif _on_postgresql():
        assert len(statements) == 1 and _is_the_scan_statement(statements[0]), statements
    else:
        assert len(statements) == steps, "\n".join(statements)
        assert _writes(statements)[-1].startswith('INSERT INTO "cards_cardscan"')
        assert all(s.startswith("SELECT") for s in statements if s not in _writes(statements))


@pytest.mark.django_db(transaction=True)
def test_a_scan_is_one_transaction(holder, client_for, talent, verifier):
    from cards.qr import qr_verify

    shower = client_for(talent)
    assert qr_verify(token=qr(shower)["token"], verifier=verifier).valid  # caches the services
    token = qr(shower)["token"]
    with CaptureQueriesContext(connection) as queries:
        assert qr_verify(token=token, verifier=verifier).valid
    statements = _sql(queries)
    # The claim and its scan row are made durable together, with one flush to disk, not one
    # per write: on PostgreSQL as one statement, elsewhere between one BEGIN (SQLite: BEGIN
    # IMMEDIATE) and one COMMIT.
    if _on_postgresql():
        assert len(statements) == 1 and _is_the_scan_statement(statements[0]), statements
        return
    assert statements[0].startswith("BEGIN") and statements[-1] == "COMMIT", statements
    transaction_control = [s for s in statements if s.startswith(("BEGIN", "COMMIT"))]
    assert transaction_control == [statements[0], "COMMIT"]
    assert len(_writes(statements)) == 2


@pytest.mark.django_db(transaction=True)
def test_a_scan_that_cannot_be_logged_does_not_use_up_the_token(
    holder, client_for, talent, verifier, monkeypatch
):
    from cards import qr as qr_module
    from cards.models import QrToken

    token = qr(client_for(talent))["token"]
    # The scan row cannot be written (here: a table that is not there).
    for name in ("SCAN_SQL", "SCAN_PG_SQL"):
        broken = getattr(qr_module, name).replace("cards_cardscan", "cards_nothing")
        monkeypatch.setattr(qr_module, name, broken)
    with pytest.raises(DatabaseError):
        qr_module.qr_verify(token=token, verifier=verifier)
    # Claim and log commit together or not at all: the holder's code still works.
    assert QrToken.objects.get().used_at is None
    monkeypatch.undo()
    assert qr_module.qr_verify(token=token, verifier=verifier).valid


def test_the_card_reasons_are_the_statuses_as_the_one_statement_spells_them():
    from cards.models import CardStatus
    from cards.qr import CARD_REASONS

    assert {status: f"card_{status}" for status in CARD_REASONS} == CARD_REASONS
    assert set(CARD_REASONS) == set(CardStatus.values) - {CardStatus.ACTIVE}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_scan_ends", ["commit", "rollback"])
def test_a_scan_during_another_claim_waits_for_it(criteria, departments, first_scan_ends):
    """The race above, made deterministic: another scan has claimed the token and not yet
    committed. This scan's claim waits on that row lock, then finds the token used; had the
    other scan failed (rolled back), this one claims it."""
    from django.db import transaction
    from django.utils import timezone

    from cards import qr as qr_module
    from cards.applications import application_approve
    from cards.models import CardApplication, Criterion
    from tests.factories import TalentFactory, UserFactory

    talent_ = TalentFactory()
    app = CardApplication.objects.create(talent=talent_, status="submitted", employer="x")
    app.criteria.set(Criterion.objects.filter(code="D02"))
    application_approve(application=app, actor=UserFactory(role="admin"))
    token, _ = qr_module.qr_issue(holder=talent_)
    second = UserFactory(role="verifier")
    results = []

    def scan():
        try:
            results.append(qr_module.qr_verify(token=token, verifier=second))
        finally:
            connection.close()

    waiting_claims = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        ' AND query LIKE \'%%UPDATE "cards_qrtoken" SET "used_at"%%\''
    )
    with transaction.atomic():
        # The first scan's claim, in flight: the token's row is locked until it ends.
        assert qr_module._claim(signing.loads(token, salt=SALT), timezone.now())
        thread = threading.Thread(target=scan)
        thread.start()
        # Bounded polling until the second claim waits on the lock (no timing assertion). In
        # a transaction pg_stat_activity is a snapshot: cleared before each look.
        with connection.cursor() as cursor:
            for _ in range(600):
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(waiting_claims)
                if cursor.fetchone()[0] == 1:
                    break
                thread.join(0.05)
            else:
                pytest.fail("the second claim never waited for the first")
        assert not results  # still waiting
        if first_scan_ends == "rollback":
            transaction.set_rollback(True)
    thread.join(30)
    assert len(results) == 1
    if first_scan_ends == "commit":
        assert (results[0].valid, results[0].reason, results[0].card) == (False, "token_used", None)
        assert list(CardScan.objects.values_list("valid", "reason")) == [(False, "token_used")]
    else:
        assert results[0].valid is True and results[0].card["tier"] == "D"
        assert list(CardScan.objects.values_list("valid", "reason")) == [(True, "")]


def test_each_worker_remembers_a_tiers_services_for_a_minute(
    holder, client_for, talent, verifier, monkeypatch
):
    from cards import qr as qr_module
    from services.models import ServiceType

    checker, shower = client_for(verifier), client_for(talent)
    clock = [1000.0]
    monkeypatch.setattr(qr_module, "_clock", lambda: clock[0])
    first = verify(checker, qr(shower)["token"])["card"]["services"]
    ServiceType.objects.filter(name="配偶就业").update(is_active=False)
    clock[0] += qr_module.TIER_SERVICES_SECONDS - 1
    with CaptureQueriesContext(connection) as queries:
        assert verify(checker, qr(shower)["token"])["card"]["services"] == first
    assert not [s for s in _sql(queries) if "services_servicetype" in s]
    # A minute after it was read, the catalogue's edit shows.
    clock[0] += 1
    later = verify(checker, qr(shower)["token"])["card"]["services"]
    assert later == [name for name in first if name != "配偶就业"]


def test_the_scan_statements_name_every_column_of_the_log_and_the_models_tables():
    """The scan's statements are written out (cards.qr): a column added to CardScan must be
    added to its INSERT, and a renamed table or column fails here first."""
    from cards import qr as qr_module
    from cards.models import Card, QrToken
    from portal.models import User

    columns = {f.column for f in CardScan._meta.concrete_fields if not f.primary_key}
    for statement in (qr_module.SCAN_SQL, qr_module.SCAN_PG_SQL):
        insert = statement.split(f'INSERT INTO "{CardScan._meta.db_table}"', 1)[1]
        listed = insert.split("(", 1)[1].split(")", 1)[0]
        assert {c.strip().strip('"') for c in listed.split(",")} == columns
    assert f'"{QrToken._meta.db_table}"' in qr_module.SCAN_PG_SQL
    assert f'"{QrToken._meta.db_table}"' in qr_module.CLAIM_SQL
    assert f'"{Card._meta.db_table}"' in qr_module.CARD_SQL
    assert f'"{User._meta.db_table}"' in qr_module.CARD_SQL


# --- the body: the hot path takes a plain token, VerifyInput answers everything else --------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "该字段是必填项。"),
        ({"token": None}, "该字段不能为 null。"),
        ({"token": ["a"]}, "不是有效的字符串。"),
        ({"token": "x" * 501}, "请确保这个字段不能超过 500 个字符。"),
        ({"token": "ab\x00cd"}, "不允许是用空字符串。"),  # DRF's own wording
    ],
)
def test_a_body_the_serializer_refuses_is_a_400_and_logs_no_scan(
    client_for, verifier, body, message
):
    response = client_for(verifier).post("/api/v1/cards/verify/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["token"] == [message]
    assert not CardScan.objects.exists()


def test_a_token_with_spaces_around_it_verifies(holder, client_for, talent, verifier):
    token = qr(client_for(talent))["token"]
    answer = verify(client_for(verifier), f"  {token}\n")
    assert answer["valid"] is True
    card = Card.objects.get(number=holder["number"])
    assert answer["card"]["valid_until"] == card.valid_until.isoformat()


def test_a_number_is_taken_as_text_and_is_no_token(client_for, verifier):
    answer = verify(client_for(verifier), 12345)
    assert (answer["valid"], answer["reason"], answer["card"]) == (False, "token_invalid", None)
    assert CardScan.objects.get().reason == "token_invalid"
