"""Deadlines written one way everywhere: ``2026-03-03 24:00`` for a limit that ends at the end
of 2026-03-03 (stored as 2026-03-04 00:00, Asia/Shanghai), on every page through the portal's
``deadline`` filter, and in the notices through the same function."""

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template

from portal.models import Notification
from portal.timefmt import deadline_text
from services.calendar import calendar_sync
from services.seed import seed_service_types
from services.supervision import sla_sweep
from tests.requests_support import file_housing, give_card

SH = ZoneInfo("Asia/Shanghai")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def test_the_end_of_a_day_is_its_24_00():
    assert deadline_text(at(2026, 12, 22, 0, 0)) == "2026-12-21 24:00"
    # The same instant in another zone is the same deadline.
    assert deadline_text(datetime.datetime(2026, 12, 21, 16, 0, tzinfo=datetime.UTC)) == (
        "2026-12-21 24:00"
    )
    assert deadline_text(at(2026, 12, 21, 16, 30)) == "2026-12-21 16:30"
    assert deadline_text(at(2027, 1, 1, 0, 0)) == "2026-12-31 24:00"  # across the year
    assert deadline_text(None) == ""


def test_the_template_filter_writes_it_the_same_way():
    template = Template("{% load portal_tags %}[{{ due|deadline }}][{{ none|deadline }}]")
    assert template.render(Context({"due": at(2026, 3, 4, 0, 0), "none": None})) == (
        "[2026-03-03 24:00][]"
    )


def test_no_template_writes_a_deadline_without_the_filter():
    deadline = r"(?:due_at|due_text|_due\b|promised_day\b)"
    shown = re.compile(r"(?<![=\"])\{\{\s*([^}|]*" + deadline + r"[^}]*)\}\}")
    # A blocktranslate names its values first: `with due_at=review.due_at|deadline` writes
    # {{ due_at }} inside, already through the filter.
    bound = re.compile(r"\b(\w+)=[^\s%]*\|deadline\b")
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        filtered = set(bound.findall(text))
        for match in shown.finditer(text):
            if "|deadline" not in match.group(1) and match.group(1).strip() not in filtered:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
    assert offenders == []


@pytest.mark.django_db
def test_every_page_and_notice_of_a_request_writes_24_00(
    client, talent, handler, lead, admin_user, departments
):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        req = file_housing(talent)  # accept by the end of Tuesday 03-03
    assert req.accept_due_at == at(2026, 3, 4, 0, 0)
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        pages = {}
        for user, url in (
            (talent, "/requests/"),
            (talent, f"/requests/{req.number}/"),
            (handler, "/desk/"),
            (handler, f"/desk/requests/{req.number}/"),
            (admin_user, "/manage/requests/"),
            (admin_user, f"/manage/requests/{req.number}/"),
        ):
            client.force_login(user)
            pages[url] = client.get(url).content.decode()
        sla_sweep()  # the due-soon reminder of the accept clock
    for url in ("/desk/", f"/desk/requests/{req.number}/", "/manage/requests/"):
        assert "2026-03-03 24:00" in pages[url], url
    assert "2026-03-03 24:00" in pages[f"/requests/{req.number}/"]
    for url, html in pages.items():
        assert "2026-03-04 00:00" not in html, url
    notice = Notification.objects.filter(kind="sla_due_soon").first()
    assert notice is not None and "2026-03-03 24:00" in notice.body
    # Overdue on the 督办 list, written the same way.
    with time_machine.travel(at(2026, 3, 5, 9, 0), tick=False):
        client.force_login(admin_user)
        html = client.get("/manage/supervision/").content.decode()
    assert '<td class="nowrap" data-label="期限">2026-03-03 24:00</td>' in html


@pytest.mark.django_db
def test_the_talents_list_gives_the_promised_end_with_its_hour(
    client, talent, handler, departments
):
    seed_service_types()
    calendar_sync(year=2026)
    give_card(talent)
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        req = file_housing(talent)
        client.force_login(talent)
        html = client.get("/requests/").content.decode()
    assert deadline_text(req.promised_due_at).endswith(" 24:00")
    assert deadline_text(req.promised_due_at) in html
