"""补正 that means something (issue 11 item 2, services): the supply form lists what was asked
as a checklist and takes the files itself, and an empty 补正 is refused — by the API and the
page alike, because services.workflow.request_supply_info decides."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from services.models import RequestAttachment, RequestPause, RequestStatus
from services.seed import seed_service_types
from services.workflow import request_accept, request_ask_info
from tests.cards_support import PDF, png_bytes
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ASKED = ["无房证明原件扫描件", "租房合同"]
EMPTY = "请填写补正说明或上传补正材料后再提交；不能提交空白的补正。"


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def asked(talent, handler):
    """A housing request of ``talent`` waiting for the two ASKED items."""
    give_card(talent)
    req = file_housing(talent)
    request_accept(req=req, actor=handler)
    return request_ask_info(req=req, actor=handler, items=ASKED, note="请一周内补齐")


def supply(client, req, **body):
    return client.post(f"/api/v1/service-requests/{req.number}/supply-info/", body, format="json")


def attach(client, req, name="补正.pdf", content=PDF):
    response = client.post(
        f"/api/v1/service-requests/{req.number}/attachments/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response


def still_waiting(req):
    req.refresh_from_db()
    return (
        req.status == RequestStatus.AWAITING_TALENT
        and RequestPause.objects.filter(request=req, ended_at__isnull=True).exists()
    )


# --- API ------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "  \n "}, {"items": ASKED}])
def test_an_empty_supply_is_refused_and_the_clock_stays_paused(client_for, talent, asked, body):
    response = supply(client_for(talent), asked, **body)
    assert response.status_code == 400
    assert response.json() == {"note": [EMPTY]}
    assert still_waiting(asked)
    assert not asked.events.filter(action="info_supplied").exists()


def test_a_note_is_enough(client_for, talent, asked):
    response = supply(client_for(talent), asked, note="无房证明原件已邮寄")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert not still_waiting(asked)


def test_a_file_the_talent_attached_since_the_request_is_enough(client_for, talent, asked):
    client = client_for(talent)
    attach(client, asked)
    response = supply(client, asked)
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_files_from_before_the_request_or_from_the_handler_do_not_count(
    client_for, talent, handler
):
    give_card(talent)
    req = file_housing(talent)
    request_accept(req=req, actor=handler)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        attach(client_for(talent), req, "早先的材料.pdf")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        request_ask_info(req=req, actor=handler, items=ASKED)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        attach(client_for(handler), req, "经办人上传.pdf")
        response = supply(client_for(talent), req)
    assert response.status_code == 400 and response.json() == {"note": [EMPTY]}
    assert still_waiting(req)
    # The next round of 补正 starts from its own request: a file from the first round no
    # longer counts.
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        attach(client_for(talent), req, "补正.pdf")
        assert supply(client_for(talent), req).status_code == 200
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        request_ask_info(req=req, actor=handler, items=["补充户口簿"])
        assert supply(client_for(talent), req).status_code == 400


def test_the_ticked_items_are_kept_on_the_event_in_the_order_asked(client_for, talent, asked):
    client = client_for(talent)
    response = supply(client, asked, note="已补", items=["租房合同", "无房证明原件扫描件"])
    assert response.status_code == 200
    event = asked.events.get(action="info_supplied")
    assert event.items == ASKED and event.note == "已补"
    assert response.json()["events"][-1]["note"] == "已补"


def test_an_item_that_was_not_asked_is_refused(client_for, talent, asked):
    response = supply(client_for(talent), asked, note="已补", items=["户口簿"])
    assert response.status_code == 400
    assert response.json() == {"items": ["以下事项不在要求补正的事项中：户口簿。"]}
    assert still_waiting(asked)


# --- the talent's page ----------------------------------------------------------------------
def supply_form(html: str) -> str:
    return re.search(r'<form[^>]*supply-info/"[^>]*>.*?</form>', html, re.S).group(0)


def test_the_supply_form_lists_the_items_and_takes_the_files(client, talent, asked):
    client.force_login(talent)
    form = supply_form(client.get(f"/requests/{asked.number}/").content.decode())
    assert 'enctype="multipart/form-data"' in form and "data-submit-once" in form
    boxes = re.findall(r'<input type="checkbox" name="supply-items" value="([^"]+)"', form)
    assert boxes == ASKED
    files = re.search(r'<input type="file" name="supply-files"[^>]*>', form).group(0)
    assert "multiple" in files and 'accept=".pdf,.jpg' in files
    # The files come before the button, inside the same form.
    assert form.index('name="supply-files"') < form.index(">提交补正</button>")
    assert "请先在下方" not in form


def test_an_empty_supply_page_answers_200_with_the_message(client, talent, asked):
    client.force_login(talent)
    response = client.post(f"/requests/{asked.number}/supply-info/", {"supply-note": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert EMPTY in re.search(r'id="id_supply-note_error">([^<]+)', html).group(1)
    assert still_waiting(asked)


def test_the_supply_form_files_every_upload_and_ticks(client, talent, asked):
    client.force_login(talent)
    response = client.post(
        f"/requests/{asked.number}/supply-info/",
        {
            "supply-items": ["无房证明原件扫描件"],
            "supply-files": [
                SimpleUploadedFile("无房证明.pdf", PDF),
                SimpleUploadedFile("租房合同.png", png_bytes()),
            ],
            "supply-note": "",
        },
    )
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == RequestStatus.ACCEPTED
    files = RequestAttachment.objects.filter(request=asked)
    assert sorted(f.name for f in files) == ["无房证明.pdf", "租房合同.png"]
    assert {f.uploaded_by_id for f in files} == {talent.pk}
    assert asked.events.get(action="info_supplied").items == ["无房证明原件扫描件"]
    html = client.get(f"/requests/{asked.number}/").content.decode()
    assert "无房证明.pdf" in html and "租房合同.png" in html


def test_one_bad_file_refuses_the_whole_supply_and_stores_nothing(client, talent, asked):
    client.force_login(talent)
    response = client.post(
        f"/requests/{asked.number}/supply-info/",
        {
            "supply-files": [
                SimpleUploadedFile("无房证明.pdf", PDF),
                SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf at all"),
            ],
            "supply-note": "见附件",
        },
    )
    assert response.status_code == 200
    errors = re.findall(r'id="id_supply-files_error">([^<]+)', response.content.decode())
    assert errors == ["合同.pdf：只能上传 PDF、JPG 或 PNG 格式的文件。"]
    assert still_waiting(asked) and not RequestAttachment.objects.exists()
    stored = settings.PRIVATE_UPLOAD_ROOT
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


def test_the_handler_reads_which_items_were_supplied(client, talent, handler, asked):
    client.force_login(talent)
    client.post(
        f"/requests/{asked.number}/supply-info/",
        {"supply-items": ["租房合同"], "supply-note": "合同已上传"},
    )
    client.force_login(handler)
    html = client.get(f"/desk/requests/{asked.number}/").content.decode()
    timeline = html.split("<h2>办理记录</h2>", 1)[1]
    supplied = timeline.split("提交补正", 1)[1].split("</li>\n", 1)[0]
    assert "<li>租房合同</li>" in supplied and "合同已上传" in supplied
