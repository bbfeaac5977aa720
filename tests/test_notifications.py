"""The in-app inbox: own messages only, read once, at most one per dedupe key."""

import pytest

from portal.models import Notification
from portal.notify import notification_create

pytestmark = pytest.mark.django_db


def test_inbox_lists_own_messages_only(api, talent, other_talent):
    notification_create(recipient=talent, kind="test", title="给李明")
    notification_create(recipient=other_talent, kind="test", title="给王五")
    body = api.as_user(talent).get("/api/v1/notifications/").json()
    assert [n["title"] for n in body["results"]] == ["给李明"]
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
    }


def test_mark_read_and_unread_filter(api, talent, other_talent):
    mine = notification_create(recipient=talent, kind="test", title="一")
    notification_create(recipient=talent, kind="test", title="二")
    theirs = notification_create(recipient=other_talent, kind="test", title="三")
    client = api.as_user(talent)
    assert client.post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 204
    hidden = client.post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert hidden.status_code == 404 and hidden.json() == {"detail": "未找到。"}
    unread = client.get("/api/v1/notifications/?unread=true").json()
    assert [n["title"] for n in unread["results"]] == ["二"]
    first_read = Notification.objects.get(pk=mine.pk).read_at
    client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert Notification.objects.get(pk=mine.pk).read_at == first_read


def test_a_dedupe_key_writes_a_message_once(talent):
    assert notification_create(recipient=talent, kind="k", title="t", dedupe_key="x:1")
    assert notification_create(recipient=talent, kind="k", title="t", dedupe_key="x:1") is None
    assert Notification.objects.count() == 1


def test_unread_count_in_the_navigation(client, talent):
    notification_create(recipient=talent, kind="k", title="你有一条新消息", link="/accounts/me/")
    client.force_login(talent)
    html = client.get("/").content.decode()
    assert '<span class="badge">1</span><span class="visually-hidden"> 条未读</span>' in html
    inbox = client.get("/inbox/").content.decode()
    assert "你有一条新消息" in inbox
    pk = Notification.objects.get().pk
    response = client.post(f"/inbox/{pk}/open/")
    assert response.status_code == 302 and response.url == "/accounts/me/"
    assert 'class="badge"' not in client.get("/").content.decode()


def test_opening_someone_elses_message_is_404(client, talent, other_talent):
    theirs = notification_create(recipient=other_talent, kind="k", title="t")
    client.force_login(talent)
    assert client.post(f"/inbox/{theirs.pk}/open/").status_code == 404


def test_inbox_page_query_count_is_constant(client, talent, django_assert_max_num_queries):
    client.force_login(talent)
    notification_create(recipient=talent, kind="k", title="t0")
    with django_assert_max_num_queries(10) as few:
        client.get("/inbox/")
    baseline = len(few)  # read now: a later request would clear the query log
    for i in range(30):
        notification_create(recipient=talent, kind="k", title=f"t{i + 1}")
    with django_assert_max_num_queries(baseline):
        client.get("/inbox/")
