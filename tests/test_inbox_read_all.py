"""全部已读: one button in the inbox and POST /api/v1/notifications/read-all/ mark every unread
message of the caller read (not only the page shown), and nobody else's."""

import datetime

import pytest
import time_machine
import yaml

from portal.models import Notification
from portal.notify import notification_create, notification_mark_read

pytestmark = pytest.mark.django_db


def _fill(talent, other_talent, count=25):
    for n in range(count):
        notification_create(recipient=talent, kind="k", title=f"消息{n}")
    return notification_create(recipient=other_talent, kind="k", title="别人的")


def test_the_api_marks_every_unread_message_of_the_caller(api, talent, other_talent):
    theirs = _fill(talent, other_talent)
    early = Notification.objects.filter(recipient=talent).first()
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)):
        notification_mark_read(notification=early)
    api.as_user(talent)
    response = api.post("/api/v1/notifications/read-all/")
    assert response.status_code == 204 and response.content == b""
    mine = Notification.objects.filter(recipient=talent)
    assert not mine.filter(read_at__isnull=True).exists()  # all 25, not only a page of 20
    # The one read before keeps the time it was read.
    assert mine.get(pk=early.pk).read_at == datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    # Again, with nothing unread: still 204.
    assert api.post("/api/v1/notifications/read-all/").status_code == 204


def test_the_api_needs_a_signed_in_caller_and_is_in_the_schema(api):
    assert api.post("/api/v1/notifications/read-all/").status_code == 401
    schema = yaml.safe_load(api.get("/api/schema/").content)
    assert "post" in schema["paths"]["/api/v1/notifications/read-all/"]


def test_the_inbox_button_reads_everything(client, talent, other_talent):
    theirs = _fill(talent, other_talent)
    client.force_login(talent)
    inbox = client.get("/inbox/").content.decode()
    assert "25 条未读" in inbox
    assert 'action="/inbox/read-all/"' in inbox and ">全部已读</button>" in inbox
    response = client.post("/inbox/read-all/", follow=True)
    assert response.redirect_chain == [("/inbox/", 302)]
    page = response.content.decode()
    assert "已将 25 条消息标为已读。" in page
    assert ">全部已读</button>" not in page  # nothing left to mark
    assert 'class="badge"' not in page
    assert not Notification.objects.filter(recipient=talent, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_inbox_button_is_a_post(client, talent):
    client.force_login(talent)
    assert client.get("/inbox/read-all/").status_code == 405
    response = client.post("/inbox/read-all/", follow=True)
    assert "没有未读消息。" in response.content.decode()
