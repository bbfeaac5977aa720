"""Who may do what with applications and cards: roles (403) and visibility (404)."""

import threading

import pytest
from django.db import connection

from tests.cards_support import approved, draft, submitted
from tests.factories import TalentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]

OTHER_ROLES = ["handler", "lead", "auditor", "verifier"]


@pytest.fixture
def mine(client_for, talent):
    return submitted(client_for(talent))


def test_another_talent_sees_nothing_of_my_application(client_for, mine, other_talent):
    other = client_for(other_talent)
    base = f"/api/v1/card-applications/{mine['id']}/"
    assert other.get(base).status_code == 404
    assert other.patch(base, {"employer": "x"}).status_code == 404
    assert other.post(base + "submit/").status_code == 404
    assert other.post(base + "documents/", {}, format="multipart").status_code == 404
    document = mine["documents"][0]["id"]
    assert other.get(f"{base}documents/{document}/").status_code == 404
    assert other.delete(f"{base}documents/{document}/").status_code == 404
    assert other.get("/api/v1/card-applications/").json()["count"] == 0


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_staff_and_verifiers_neither_read_nor_review(client_for, request, mine, persona):
    client = client_for(request.getfixturevalue(persona))
    base = f"/api/v1/card-applications/{mine['id']}/"
    assert client.get("/api/v1/card-applications/").status_code == 403
    assert client.get(base).status_code == 403
    for action, body in [
        ("approve", {}),
        ("return", {"items": ["x"]}),
        ("reject", {"reason": "x"}),
    ]:
        assert client.post(base + action + "/", body).status_code == 403
    assert client.get("/api/v1/cards/").status_code == 403
    assert client.post("/api/v1/card-applications/", {"criteria": ["D02"]}).status_code == 403


def test_a_talent_cannot_review_their_own_application(client_for, talent, mine):
    client = client_for(talent)
    base = f"/api/v1/card-applications/{mine['id']}/"
    for action, body in [
        ("approve", {}),
        ("return", {"items": ["x"]}),
        ("reject", {"reason": "x"}),
    ]:
        assert client.post(base + action + "/", body).status_code == 403
    assert client.get("/api/v1/cards/").status_code == 403


def test_admins_do_not_apply_or_edit_for_talents(client_for, admin_user, mine):
    admin = client_for(admin_user)
    assert admin.post("/api/v1/card-applications/", {"criteria": ["D02"]}).status_code == 403
    assert (
        admin.patch(f"/api/v1/card-applications/{mine['id']}/", {"employer": "x"}).status_code
        == 403
    )
    assert admin.post(f"/api/v1/card-applications/{mine['id']}/submit/").status_code == 403


def test_card_actions_are_for_admins_and_unknown_cards_are_404(
    client_for, talent, admin_user, handler
):
    number = approved(client_for(talent), client_for(admin_user))["card"]["number"]
    for user in (talent, handler):
        assert (
            client_for(user).post(f"/api/v1/cards/{number}/suspend/", {"reason": "x"}).status_code
            == 403
        )
    assert (
        client_for(admin_user)
        .post("/api/v1/cards/BZYC-2026-999999/suspend/", {"reason": "x"})
        .status_code
        == 404
    )


def test_unauthenticated_callers_get_401(api, mine):
    assert api.get("/api/v1/card-applications/").status_code == 401
    assert api.get(f"/api/v1/card-applications/{mine['id']}/").status_code == 401
    assert api.post("/api/v1/cards/verify/", {"token": "x"}).status_code == 401
    assert api.get("/api/v1/cards/mine/").status_code == 401


def test_lists_run_a_constant_number_of_queries(
    client_for, admin_user, django_assert_max_num_queries
):
    admin = client_for(admin_user)
    approved(client_for(TalentFactory()), admin)
    submitted(client_for(TalentFactory()))
    with django_assert_max_num_queries(20) as few:
        admin.get("/api/v1/card-applications/")
        admin.get("/api/v1/cards/")
    baseline = len(few)  # read now: the next request clears Django's query log
    for _ in range(6):
        approved(client_for(TalentFactory()), admin)
        submitted(client_for(TalentFactory()))
    with django_assert_max_num_queries(baseline):
        assert admin.get("/api/v1/card-applications/").json()["count"] == 14
        assert admin.get("/api/v1/cards/").json()["count"] == 7


def test_the_detail_page_query_count_does_not_grow_with_documents(
    client_for, talent, django_assert_max_num_queries
):
    client = client_for(talent)
    app = draft(client)
    from tests.cards_support import upload

    upload(client, app["id"], "degree")
    with django_assert_max_num_queries(30) as few:
        client.get(f"/api/v1/card-applications/{app['id']}/")
    baseline = len(few)
    for kind in ("id_card", "title", "contract", "other", "other"):
        upload(client, app["id"], kind)
    with django_assert_max_num_queries(baseline):
        client.get(f"/api/v1/card-applications/{app['id']}/")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_get_distinct_sequential_numbers(criteria, departments):
    from cards.applications import application_approve
    from cards.models import Card, CardApplication, Criterion
    from tests.factories import UserFactory

    admin = UserFactory(role="admin")
    applications = []
    for _ in range(8):
        app = CardApplication.objects.create(
            talent=TalentFactory(), status="submitted", employer="x", position="y"
        )
        app.criteria.set(Criterion.objects.filter(code="D02"))
        applications.append(app)
    barrier = threading.Barrier(len(applications))
    errors = []

    def approve(app):
        try:
            barrier.wait()
            application_approve(application=app, actor=admin)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(app,)) for app in applications]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Card.objects.values_list("number", flat=True))
    year = numbers[0][5:9]
    assert numbers == [f"BZYC-{year}-{n:06d}" for n in range(1, 9)]
