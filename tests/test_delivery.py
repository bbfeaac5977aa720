"""Notifications: inbox row first, then e-mail and SMS with retries; nothing lost when the
broker is down."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from portal.delivery import deliveries_retry, delivery_send
from portal.models import Delivery, DeliveryStatus, Notification, SmsOutbox
from portal.notify import notification_create
from tests.conftest import celery_broker

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def reachable(talent):
    talent.email = "liming@example.cn"
    talent.save()
    return talent


@pytest.fixture
def broker_attempts(monkeypatch):
    """Every TCP connection attempt to a Redis server (kombu's broker channel included), as
    (host, port, connect timeout). Speed is the benchmark's business; what these tests check is
    that a request tries a dead broker once, with the short timeout, and then leaves it alone."""
    import redis.connection

    attempts = []
    connect = redis.connection.Connection._connect

    def spy(self):
        attempts.append((self.host, self.port, self.socket_connect_timeout))
        return connect(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", spy)
    return attempts


DEAD = ("127.0.0.1", 1)  # nothing listens on port 1


def test_the_inbox_row_comes_with_its_deliveries(reachable):
    notification_create(recipient=reachable, kind="k", title="普通消息")
    notification_create(recipient=reachable, kind="k", title="紧急消息", urgent=True)
    rows = sorted(Delivery.objects.values_list("notification__title", "channel", "status"))
    assert rows == [
        ("普通消息", "email", "pending"),
        ("紧急消息", "email", "pending"),
        ("紧急消息", "sms", "pending"),
    ]


def test_no_address_no_delivery_and_inactive_accounts_get_nothing(talent):
    talent.email, talent.phone = "", ""
    talent.save()
    notification_create(recipient=talent, kind="k", title="t", urgent=True)
    assert Notification.objects.count() == 1 and not Delivery.objects.exists()
    talent.is_active = False
    talent.save()
    assert notification_create(recipient=talent, kind="k", title="t") is None


def test_an_email_is_sent_once(reachable):
    notification = notification_create(
        recipient=reachable,
        kind="k",
        title="已受理",
        body="承办部门：住建局",
        link="/requests/FW-1/",
    )
    delivery = notification.deliveries.get()
    assert delivery_send(delivery.pk) == "sent"
    assert delivery_send(delivery.pk) == "skipped"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "【巴州优才卡】已受理" and message.to == ["liming@example.cn"]
    assert "http://127.0.0.1:8000/requests/FW-1/" in message.body
    assert message.extra_headers["Message-ID"] == f"<delivery-{delivery.pk}@bazhou-youcai>"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1


def test_an_sms_goes_to_the_outbox_once_and_carries_no_personal_data(reachable):
    notification = notification_create(
        recipient=reachable, kind="k", title="FW-1 已办结", urgent=True
    )
    sms = notification.deliveries.get(channel="sms")
    delivery_send(sms.pk)
    delivery_send(sms.pk)
    outbox = SmsOutbox.objects.get()
    assert (
        outbox.phone == "13800002688"
        and outbox.text == "【巴州优才卡】FW-1 已办结。详情请登录平台查看。"
    )


def test_failures_retry_with_backoff_and_then_fail(reachable, settings, monkeypatch):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    settings.DELIVERY_BACKOFF_MINUTES = [1, 5]

    def down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server unreachable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    with time_machine.travel(T0, tick=False) as clock:
        delivery = notification_create(recipient=reachable, kind="k", title="t").deliveries.get()
        assert delivery_send(delivery.pk) == "retry"
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.status) == (1, "pending")
        assert delivery.next_attempt_at == T0 + timedelta(minutes=1)
        assert "SMTP server unreachable" in delivery.last_error
        clock.shift(timedelta(seconds=59))
        assert deliveries_retry() == 0  # not due yet
        clock.shift(timedelta(seconds=1))
        assert deliveries_retry() == 1
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == T0 + timedelta(minutes=1 + 5)
        clock.shift(timedelta(minutes=5))
        deliveries_retry()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.status) == (3, "failed")


def test_the_retry_job_sends_what_the_task_did_not(reachable):
    with time_machine.travel(T0, tick=False) as clock:
        notification_create(recipient=reachable, kind="k", title="t1", urgent=True)
        assert deliveries_retry() == 0  # the task gets a minute to do it first
        clock.shift(timedelta(minutes=1))
        assert deliveries_retry() == 2
    assert len(mail.outbox) == 1 and SmsOutbox.objects.count() == 1
    assert not Delivery.objects.exclude(status="sent").exists()


def test_failed_deliveries_are_visible_to_admins_and_can_be_requeued(client, admin_user, reachable):
    delivery = notification_create(recipient=reachable, kind="k", title="t").deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6, last_error="boom")
    client.force_login(admin_user)
    page = client.get("/admin/portal/delivery/?status__exact=failed").content.decode()
    assert "boom" in page and "li***@example.cn" in page and "liming@example.cn" not in page
    client.post("/admin/portal/delivery/", {"action": "retry", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_fails_no_request_and_loses_nothing(
    client_for, departments, talent, handler, settings, caplog, broker_attempts
):
    from services.seed import seed_service_types
    from tests.requests_support import HOUSING, give_card

    seed_service_types()
    give_card(talent)
    handler.email = "wangfang@zjj.example.cn"
    handler.save()
    talent.email = "liming@example.cn"
    talent.save()
    from portal import delivery

    # The short connect timeout is what keeps a request quick while Redis is down.
    short = settings.REDIS_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"]
    assert short <= 1 and settings.REDIS_BROKER_TRANSPORT_OPTIONS["max_retries"] == 0
    # Nothing listens on port 1: every publish fails.
    with celery_broker("redis://127.0.0.1:1/0", settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        talent_client, staff = client_for(talent), client_for(handler)
        filed = talent_client.post(
            "/api/v1/service-requests/", {"service_type": "HOUSING", "fields": HOUSING}
        )
        # The handler's e-mail to publish: one attempt, with the short timeout; it failed, so
        # the breaker is open.
        assert broker_attempts == [(*DEAD, short)]
        assert not delivery._broker_open()
        number = filed.json()["number"]

        delivery._breaker["until"] = 0.0  # let the second request try the dead broker too
        accepted = staff.post(f"/api/v1/service-requests/{number}/accept/")
        # The talent's e-mail and SMS: one attempt for both, the second behind the breaker.
        assert broker_attempts == [(*DEAD, short)] * 2
        assert not delivery._broker_open()
    assert filed.status_code == 201 and accepted.status_code == 200
    refused = [r for r in caplog.records if "broker unavailable" in r.getMessage()]
    assert len(refused) == 2  # one real attempt per request, then the breaker

    pending = Delivery.objects.filter(status="pending")
    assert pending.count() == 3  # e-mail to the handler; e-mail and SMS to the talent
    # The broker is back: the periodic job delivers everything, once.
    with time_machine.travel(timedelta(minutes=2)):
        assert deliveries_retry() == 3
    assert not Delivery.objects.exclude(status="sent").exists()
    assert len(mail.outbox) == 2 and SmsOutbox.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_every_step_of_a_request_succeeds_with_one_short_try_of_the_broker_down(
    client_for, departments, talent, handler, settings, broker_attempts
):
    from portal import delivery
    from services.seed import seed_service_types
    from tests.requests_support import HOUSING, give_card

    seed_service_types()
    give_card(talent)
    talent.email = "liming@example.cn"
    talent.save()
    t, h = client_for(talent), client_for(handler)
    with celery_broker("redis://127.0.0.1:1/0", settings.REDIS_BROKER_TRANSPORT_OPTIONS):
        number = t.post(
            "/api/v1/service-requests/", {"service_type": "HOUSING", "fields": HOUSING}
        ).json()["number"]
        short = settings.REDIS_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"]
        # Whether the step tells anyone reachable (the talent has an e-mail address, the
        # handler none), so has something to publish.
        steps = [
            (h, "accept", {}, True),
            (h, "comments", {"body": "正在核实"}, True),
            (h, "request-info", {"items": ["无房证明"]}, True),
            (t, "supply-info", {"note": "已补充"}, False),
            (h, "resolve", {"note": "已配租"}, True),
            (t, "rate", {"score": 5}, False),
        ]
        for client, action, body, publishes in steps:
            delivery._breaker["until"] = 0.0  # each step really tries the dead broker
            broker_attempts.clear()
            response = client.post(f"/api/v1/service-requests/{number}/{action}/", body)
            assert response.status_code in (200, 201), (action, response.content)
            # One try with the short timeout, then the breaker: never a second wait.
            assert broker_attempts == ([(*DEAD, short)] if publishes else []), action
            assert delivery._broker_open() is not publishes, action
    assert Delivery.objects.filter(status="pending").count() >= 6  # all kept for the retry job


# --- addresses encrypted at rest, erased after the retention period (issue 13 point 5) -------
def test_addresses_are_stored_encrypted(reachable):
    from portal import crypto

    notification_create(recipient=reachable, kind="k", title="t", urgent=True)
    for delivery in Delivery.objects.all():
        stored = delivery.address_encrypted
        assert stored and "13800002688" not in stored and "liming" not in stored
        assert crypto.decrypt(stored) == delivery.address
    delivery_send(Delivery.objects.get(channel="sms").pk)
    outbox = SmsOutbox.objects.get()
    assert "13800002688" not in outbox.phone_encrypted and outbox.phone == "13800002688"
    assert SmsOutbox.objects.to_phone("13800002688").get() == outbox


def _over(recipient, title, *, status, at):
    with time_machine.travel(at, tick=False):
        notification = notification_create(recipient=recipient, kind="k", title=title, urgent=True)
        for delivery in notification.deliveries.all():
            if status == "sent":
                assert delivery_send(delivery.pk) == "sent"
            elif status == "failed":
                Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6)
    return list(notification.deliveries.order_by("channel"))


def test_addresses_are_erased_after_the_retention_period(reachable, settings):
    from portal.delivery import addresses_erase
    from portal.tasks import erase_delivery_addresses

    assert settings.DELIVERY_ADDRESS_RETENTION_DAYS == 30
    old_sent = _over(reachable, "旧的已发送", status="sent", at=T0)
    old_failed = _over(reachable, "旧的发送失败", status="failed", at=T0 + timedelta(hours=1))
    old_pending = _over(reachable, "旧的待发送", status="pending", at=T0 + timedelta(hours=2))
    recent = _over(reachable, "近期已发送", status="sent", at=T0 + timedelta(days=20))
    assert SmsOutbox.objects.count() == 2
    later = T0 + timedelta(days=31)
    with time_machine.travel(later, tick=False):
        # Batches of one: every batch its own UPDATE, and the job goes on to the end.
        assert addresses_erase(batch=1) == 4
        assert addresses_erase() == 0  # idempotent: an erased row is never picked again
        assert erase_delivery_addresses.apply().get() == 0
    for delivery in old_sent + old_failed:
        delivery.refresh_from_db()
        assert delivery.address_encrypted == "" and delivery.address == ""
        assert delivery.address_erased_at == later and delivery.address_masked == "（已删除）"
    for delivery in old_pending + recent:
        delivery.refresh_from_db()
        assert delivery.address_erased_at is None and delivery.address in {
            "13800002688",
            "liming@example.cn",
        }
    old_sms = SmsOutbox.objects.get(delivery=old_sent[1])
    assert old_sms.phone_encrypted == "" and old_sms.phone_hash is None
    assert old_sms.text  # the text (no personal data) stays for inspection
    assert SmsOutbox.objects.to_phone("13800002688").get().delivery == recent[1]
    # The recent ones go once they are 30 days old too; a shorter setting erases sooner.
    settings.DELIVERY_ADDRESS_RETENTION_DAYS = 7
    with time_machine.travel(T0 + timedelta(days=28), tick=False):
        assert addresses_erase() == 2
    assert not SmsOutbox.objects.exclude(phone_encrypted="").exists()


def test_an_erased_delivery_is_shown_as_erased_and_not_requeued(client, admin_user, reachable):
    from portal.delivery import addresses_erase

    (delivery,) = _over(reachable, "t", status="failed", at=T0)[:1]
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        addresses_erase()
    client.force_login(admin_user)
    page = client.get(f"/admin/portal/delivery/{delivery.pk}/change/").content.decode()
    assert "（已删除）" in page and "li***@" not in page
    client.post("/admin/portal/delivery/", {"action": "retry", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_the_erasure_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["erase-delivery-addresses"]
    assert entry["task"] == "portal.tasks.erase_delivery_addresses"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {40})


def test_an_error_naming_the_address_is_kept_masked(reachable, monkeypatch, caplog):
    from smtplib import SMTPRecipientsRefused

    def refused(self, *args, **kwargs):
        raise SMTPRecipientsRefused({"liming@example.cn": (550, b"mailbox unavailable")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refused)
    delivery = notification_create(recipient=reachable, kind="k", title="t").deliveries.get()
    assert delivery_send(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert "li***@example.cn" in delivery.last_error and "liming@" not in delivery.last_error
    assert "liming@" not in caplog.text and "li***@example.cn" in caplog.text
