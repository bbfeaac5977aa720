"""The OpenAPI schema tells the truth (issue 13 point 6).

schemathesis loads /api/schema/ from the WSGI application and, for each of seven callers
(anonymous, talent, staff, lead, admin, auditor, verifier), sends every operation generated
requests — valid ones, then invalid ones — through the application in this process. Each
answer must be no 5xx and conform to the schema: a documented status code, a documented
content type, a body that matches the documented schema, documented headers.

Path parameters are half the time one of the objects of a small world (a card, its
application and documents, requests in several states with an attachment and a follow-up,
an export, an account, the signed photo URL), so that the operations reach past their 404s.
Every example runs in a savepoint that is rolled back: each one meets the same world, and a
run is reproducible (hypothesis derandomized; no example database).

``SCHEMA_EXAMPLES`` sets the number of examples per operation, role and generation mode: 5 in
the suite (about 40 s on SQLite), 20 in the step .ci/run adds (about two minutes). Failures
are collected over every operation and reported together; ``SCHEMA_ANSWERS=1`` prints what
each operation answered, to see how far the requests reach. On SQLite two runs send the same
requests and get the same answers; on PostgreSQL the world's ids follow the sequences, so a
generated id may meet another object.

Besides: what the schema must say (periods, filters, pages, download types, error bodies),
and the bugs the generated requests led to (answers that were 500 or 406).
"""

import datetime
import logging
import os
import random
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from unittest import mock

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.internal.conjecture import providers
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sortedcontainers import SortedSet

from cards.models import Card
from cards.photos import photo_token
from portal.jobs import job_run
from portal.models import Notification, Role
from services import dashboard, exports
from services.conversation import request_attach, request_comment
from services.feedback import request_rate
from services.seed import seed_service_types
from tests.cards_support import PDF, approved, draft
from tests.factories import TalentFactory, UserFactory
from tests.requests_support import request_in

pytestmark = [
    pytest.mark.django_db,
    # One xdist worker runs the whole file: the schema and the generated requests (module
    # fixtures, ~10 s) are built once, not on every worker.
    pytest.mark.xdist_group("api_schema"),
]

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "5"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ROLES = ["anonymous", "talent", "staff", "lead", "admin", "auditor", "verifier"]


@pytest.fixture(scope="module")
def wsgi_app():
    return get_wsgi_application()


@pytest.fixture(scope="module")
def schema(wsgi_app, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)


@pytest.fixture(scope="module")
def operations(schema) -> dict[tuple[str, str], dict]:
    """(METHOD, path) → the operation as /api/schema/ documents it."""
    return {
        (method.upper(), path): operation
        for path, item in schema.raw_schema["paths"].items()
        for method, operation in item.items()
    }


# --- what the schema says ---------------------------------------------------------------------
def test_the_schema_generates_without_a_warning_and_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")


def parameters(operation, where="query") -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == where}


def component(schema, ref: str) -> dict:
    return schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_periods_filters_and_lists_are_documented_as_they_are_read(schema, operations):
    summary = operations["GET", "/api/v1/sla/summary/"]
    query = parameters(summary)
    assert query["from"]["schema"] == query["to"]["schema"] == {"type": "string", "format": "date"}
    assert query["group_by"]["schema"]["enum"] == ["department", "policy", "service_type"]
    body = component(
        schema, summary["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert list(body["properties"])[:3] == ["from", "to", "rows"]
    assert "to_date" not in body["properties"]

    audit = parameters(operations["GET", "/api/v1/audit-events/"])
    assert {"actor", "action", "from", "to", "page", "page_size"} <= set(audit)
    assert audit["from"]["schema"] == {"type": "string", "format": "date"}

    export = parameters(operations["GET", "/api/v1/sla/export/"])
    assert export["format"]["schema"]["enum"] == ["csv", "xlsx"]
    assert {"from", "to", "kind"} <= set(export)

    requests = parameters(operations["GET", "/api/v1/service-requests/"])
    assert {"status", "service_type", "department", "overdue", "assignee", "q", "ordering"} <= set(
        requests
    )
    assert requests["ordering"]["schema"]["enum"] == ["due"]
    accounts = operations["GET", "/api/v1/accounts/"]
    assert {"role", "department", "is_active", "q", "page", "page_size"} <= set(
        parameters(accounts)
    )
    # Every list is documented as the page it answers, {count, next, previous, results}.
    for key in [
        ("GET", "/api/v1/accounts/"),
        ("GET", "/api/v1/audit-events/"),
        ("GET", "/api/v1/service-requests/"),
        ("GET", "/api/v1/card-applications/"),
        ("GET", "/api/v1/cards/"),
        ("GET", "/api/v1/notifications/"),
        ("GET", "/api/v1/sla/overdue/"),
        ("GET", "/api/v1/me/access-log/"),
    ]:
        ref = operations[key]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert {"count", "next", "previous", "results"} <= set(component(schema, ref)["properties"])
        assert {"page", "page_size"} <= set(parameters(operations[key])), key

    # DELETE /me/otp/ reads {code}.
    otp_off = operations["DELETE", "/api/v1/me/otp/"]["requestBody"]["content"]
    assert "code" in component(schema, otp_off["application/json"]["schema"]["$ref"])["properties"]


UPLOADS = {"application/pdf", "image/jpeg", "image/png"}
SHEETS = {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@pytest.mark.parametrize(
    ("path", "types"),
    [
        ("/api/v1/sla/export/", SHEETS),
        ("/api/v1/exports/{id}/download/", SHEETS),
        ("/api/v1/attachments/{id}/", UPLOADS),
        ("/api/v1/card-applications/{id}/documents/{doc_pk}/", UPLOADS),
        ("/verify/photos/{token}/", {"image/jpeg", "image/png"}),
    ],
)
def test_downloads_declare_their_real_content_types(operations, path, types):
    content = operations["GET", path]["responses"]["200"]["content"]
    assert set(content) == types
    assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())


TRANSITIONS = [
    *(
        f"/api/v1/service-requests/{{number}}/{verb}/"
        for verb in [
            "accept", "assign", "request-info", "supply-info", "resolve", "reject", "transfer",
            "withdraw", "rate", "comments", "attachments", "followup/close",
        ]
    ),
    *(
        f"/api/v1/card-applications/{{id}}/{verb}/"
        for verb in ["submit", "return", "approve", "reject", "documents"]
    ),
    *(f"/api/v1/cards/{{number}}/{verb}/" for verb in ["suspend", "revoke", "reinstate"]),
    "/api/v1/card-applications/",
    "/api/v1/cards/mine/qr/",
]  # fmt: skip


def test_every_operation_documents_its_error_answers_with_their_bodies(schema, operations):
    def body(response) -> str:
        return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    for (method, path), operation in operations.items():
        responses = operation["responses"]
        where = f"{method} {path}"
        if path.startswith("/api/"):
            for code, response in responses.items():
                if code >= "400":
                    expected = {"400": "ValidationError", "409": "Conflict"}.get(code, "Error")
                    assert body(response) == expected, (where, code)
        if operation.get("security") != [{}]:  # a token or session is read
            assert {"401", "403"} <= set(responses), where
        if parameters(operation, "path"):
            assert "404" in responses, where
        if operation.get("requestBody"):
            assert {"400", "415"} <= set(responses), where
        if method == "POST" and path in TRANSITIONS:
            assert "409" in responses, where
        for code, response in responses.items():
            if code.startswith("2") and code not in ("202", "204"):
                assert response.get("content"), (where, code)  # no bare "None" where JSON comes
    for path in ["/api/v1/auth/token/", "/api/v1/auth/register/", "/api/v1/me/password/"]:
        assert "429" in operations["POST", path]["responses"], path
    throttled = operations["POST", "/api/v1/auth/token/"]["responses"]["429"]
    assert throttled["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    conflict = schema.raw_schema["components"]["schemas"]["Conflict"]
    assert set(conflict["required"]) == {"detail", "code", "status"}


# --- what the application answers -------------------------------------------------------------


@pytest.fixture
def quiet():
    """django.request warns of every 4xx; thousands of them say nothing here (5xx still log)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture
def in_test_transaction():
    """The WSGI handler closes the database connection around each request; inside the
    test's transaction it must not (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(criteria, departments, client_for, talent, other_talent, handler, lead, admin_user):
    """A little of everything, for generated path parameters to find."""
    seed_service_types()
    app = approved(client_for(talent), client_for(admin_user))
    card = Card.objects.get(number=app["card"]["number"])
    other_app = draft(client_for(other_talent))
    suspended = Card.objects.create(
        number="BZYC-2025-900001",
        holder=TalentFactory(username="suspended_holder"),
        tier="B",
        status="suspended",
        valid_until=datetime.date(2035, 1, 1),
    )

    statuses = ("submitted", "accepted", "awaiting_talent", "resolved", "closed", "withdrawn")
    requests = {status: request_in(status, talent, handler) for status in statuses}
    bad = request_in("resolved", talent, handler)
    request_rate(req=bad, actor=talent, score=1)  # opens a follow-up
    attachment = request_attach(
        req=requests["accepted"],
        actor=talent,
        upload=SimpleUploadedFile("证明.pdf", PDF, "application/pdf"),
    )
    request_comment(req=requests["accepted"], actor=handler, body="内部备注", internal=True)
    period = dashboard.Period.parse(None, None)
    done = exports.export_start(user=admin_user, kind="summary", fmt="csv", period=period)
    job_run(done.pk)  # as the worker would: its file can be downloaded
    queued = exports.export_start(user=admin_user, kind="requests", fmt="xlsx", period=period)
    staff_account = UserFactory(
        username="new_staff", role=Role.STAFF, department=handler.department
    )
    users = [talent, other_talent, handler, lead, admin_user, staff_account]
    return {
        "id": {
            "accounts": [u.pk for u in users],
            "attachments": [attachment.pk],
            "card-applications": [app["id"], other_app["id"]],
            "exports": [done.pk, queued.pk],
            "documents": [app["id"]],
            "notifications": list(Notification.objects.values_list("pk", flat=True)[:5]),
        },
        "doc_pk": [d["id"] for d in app["documents"]],
        "number": [card.number, suspended.number]
        + [r.number for r in requests.values()]
        + [bad.number],
        "day": ["2026-10-01", "2026-10-10"],
        "token": [photo_token(card), "not-a-token"],
    }


def tokens(talent, handler, lead, admin_user, auditor, verifier) -> dict[str, dict]:
    users = {
        "talent": talent,
        "staff": handler,
        "lead": lead,
        "admin": admin_user,
        "auditor": auditor,
        "verifier": verifier,
    }
    headers = {"anonymous": {}}
    for role, user in users.items():
        _, key = AuthToken.objects.create(user)
        headers[role] = {"Authorization": f"Token {key}"}
    return headers


def known_values(world, path: str, name: str) -> list:
    if name == "id" and "{doc_pk}" in path:
        return world["id"]["documents"]  # the application the documents belong to
    if name == "id":
        # /api/v1/<collection>/{id}/…
        return world["id"].get(path.split("/")[3], [])
    return world.get(name, [])


def negatable(operation) -> bool:
    """Can a request of ``operation`` be made invalid? Not without a body or parameters that
    have a type to break (a free-text path segment takes anything)."""
    raw = operation.definition.raw
    return bool(raw.get("requestBody")) or any(
        p["in"] != "path" or p["schema"] != {"type": "string"} for p in raw.get("parameters", [])
    )


@contextmanager
def only_global_constants():
    """Hypothesis mixes into its examples the constants of the project modules loaded at the
    time (hypothesis.internal.conjecture.providers, hence the pinned version); which ones are
    loaded depends on what else the run did before, so the examples would too. Without them
    the same requests are generated in a single-file run, the whole suite, or an xdist worker."""
    with (
        mock.patch.object(providers, "_get_local_constants", lambda: NO_CONSTANTS),
        mock.patch.object(providers, "CONSTANTS_CACHE", providers.LRUCache(1024)),
    ):
        yield


NO_CONSTANTS = providers.Constants(
    integers=SortedSet(),
    floats=SortedSet(key=providers.float_to_int),
    bytes=SortedSet(),
    strings=SortedSet(),
)


def generate(operation, mode) -> list:
    """EXAMPLES requests of ``operation`` in ``mode`` (always the same ones)."""
    batch = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case):
        batch.append(case)

    try:
        with only_global_constants():
            collect()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE, operation.label
    return batch


@pytest.fixture(scope="module")
def cases(schema) -> list[tuple]:
    """``(operation, mode, requests)`` for every operation: generated once, sent by each role."""
    generated = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in MODES:
            if mode == GenerationMode.POSITIVE or negatable(operation):
                generated.append((operation, mode, generate(operation, mode)))
    return generated


def aimed(case, index: int, world):
    """``case``, half the time with every path parameter one of the world's objects (chosen
    by a generator seeded with the operation and the example's number: reproducible)."""
    chooser = random.Random(f"{case.operation.label} {index}")
    case = case.derive()
    if chooser.random() < 0.5:
        return case
    for name in sorted(case.path_parameters or {}):
        values = [v for v in known_values(world, case.operation.path, name) if v is not None]
        if values:
            case.path_parameters[name] = chooser.choice(values)
    return case


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_the_schema_says(
    role,
    cases,
    world,
    in_test_transaction,
    quiet,
    talent,
    handler,
    lead,
    admin_user,
    auditor,
    verifier,
):
    headers = tokens(talent, handler, lead, admin_user, auditor, verifier)[role]
    assert len({operation.label for operation, _, _ in cases}) > 60
    failures, sent = [], 0
    answers = defaultdict(Counter)
    started = time.monotonic()
    for operation, mode, batch in cases:
        for index, generated in enumerate(batch):
            case = aimed(generated, index, world)
            with transaction.atomic():  # every example meets the same world
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            sent += 1
            answers[operation.label][response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"--- {role} {mode.value} {operation.label}\n{error}")
                break  # the first failure of each operation and mode is enough
    took = time.monotonic() - started
    totals = sum(answers.values(), Counter())
    print(f"{role}: {sent} requests in {took:.1f}s, answers {dict(sorted(totals.items()))}")
    if os.environ.get("SCHEMA_ANSWERS"):  # what each operation answered, to judge the reach
        for label, counts in answers.items():
            print(f"  {label}: {dict(sorted(counts.items()))}")
    assert not failures, "\n\n".join(failures)


# --- what the generated requests led to ---------------------------------------------------------
def chinese(messages) -> bool:
    return all(any("\u4e00" <= c <= "\u9fff" for c in m) for m in messages)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        # str.isdigit() takes "²", int() refused it: 500.
        ("/api/v1/calendar/?year=²²²²", "year"),
        # The period's bounds in Beijing time at the ends of Python's dates: OverflowError, 500.
        ("/api/v1/sla/summary/?from=9999-12-30&to=9999-12-31", "from"),
        ("/api/v1/sla/summary/?from=0001-01-01&to=0001-01-02", "from"),
        ("/api/v1/sla/export/?from=9999-12-30&to=9999-12-31&format=csv", "from"),
        ("/api/v1/sla/export/?from=0001-01-01&to=0001-01-02&format=xlsx", "from"),
        ("/api/v1/sla/summary/?from=2010-01-01&to=2026-01-01", "from"),  # more than ten years
    ],
)
def test_edge_values_are_refused_with_400_in_chinese(client_for, admin_user, url, field):
    response = client_for(admin_user).get(url)
    assert response.status_code == 400, response.content
    assert chinese(response.json()[field])


def test_an_export_of_a_period_at_the_end_of_time_is_refused_not_queued(client_for, admin_user):
    # It was queued (202) and failed in the worker.
    body = {"kind": "summary", "format": "csv", "from": "9999-12-30", "to": "9999-12-31"}
    response = client_for(admin_user).post("/api/v1/exports/", body, format="json")
    assert response.status_code == 400 and chinese(response.json()["to"])


def test_downloads_answer_a_client_that_accepts_only_their_type(world, client_for, admin_user):
    """The API renders JSON only, so DRF refused ``Accept: text/csv`` with 406 before a
    download view ran."""
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    app, document = world["id"]["documents"][0], world["doc_pk"][0]
    downloads = [
        ("/api/v1/sla/export/?format=csv", "text/csv"),
        ("/api/v1/sla/export/?format=xlsx", xlsx),
        (f"/api/v1/exports/{world['id']['exports'][0]}/download/", "text/csv"),
        (f"/api/v1/attachments/{world['id']['attachments'][0]}/", "application/pdf"),
        (f"/api/v1/card-applications/{app}/documents/{document}/", "image/png"),
    ]
    client = client_for(admin_user)
    for url, media_type in downloads:
        response = client.get(url, HTTP_ACCEPT=media_type)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Content-Type"].split(";")[0] == media_type, url
    # Their errors are JSON whatever the client accepts.
    missing = client.get("/api/v1/exports/999999/download/", HTTP_ACCEPT="text/csv")
    assert missing.status_code == 404 and missing.json() == {"detail": "未找到。"}
