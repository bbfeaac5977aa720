"""The review page counts 已等待 only while the application waits for the office; once it is
returned for correction or decided it shows how long it waited, and stops counting."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cards.applications import application_approve, application_return, application_submit
from cards.models import CardApplication
from tests.cards_support import submitted

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday


def at(**delta):
    return time_machine.travel(T0 + datetime.timedelta(**delta), tick=False)


def wait_text(client, admin_user, pk) -> str:
    client.force_login(admin_user)
    html = client.get(f"/manage/applications/{pk}/").content.decode()
    line = next(line for line in html.splitlines() if "提交于" in line)
    return line.replace("\xa0", " ")


def test_the_wait_stops_at_the_return_and_at_the_decision(
    client, api, talent, admin_user, criteria
):
    with at():
        pk = submitted(api.as_user(talent))["id"]
    with at(minutes=30):
        assert "（已等待 30 分钟）" in wait_text(client, admin_user, pk)
    with at(minutes=45):
        app = application_return(
            application=CardApplication.objects.get(pk=pk), actor=admin_user, items=["补充职称证书"]
        )
    with at(hours=3):
        line = wait_text(client, admin_user, pk)
        assert "（等待 45 分钟后退回补正）" in line and "已等待" not in line
    with at(hours=4):
        application_submit(application=app, actor=talent, note="已补充职称证书")
    with at(hours=4, minutes=10):
        assert "（已等待 10 分钟）" in wait_text(client, admin_user, pk)
    with at(hours=4, minutes=50):
        application_approve(application=CardApplication.objects.get(pk=pk), actor=admin_user)
    with at(days=3):
        line = wait_text(client, admin_user, pk)
        assert "（等待 50 分钟后办结）" in line and "已等待" not in line
