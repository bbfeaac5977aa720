"""Request transitions in detail: assign, transfer, comments, attachments, rating, follow-up."""

import pytest

from portal.models import AuditEvent, Notification
from services.models import FollowUp, RequestComment
from services.seed import seed_service_types
from tests.cards_support import PDF
from tests.requests_support import file_housing, give_card, request_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    give_card(talent)


def url(req, action=""):
    return f"/api/v1/service-requests/{req.number}/" + (f"{action}/" if action else "")


def test_accepting_makes_the_caller_the_assignee_unless_one_is_set(
    client_for, talent, handler, lead
):
    first, second = file_housing(talent), file_housing(talent)
    client_for(handler).post(url(first, "accept"))
    lead_client = client_for(lead)
    lead_client.post(url(second, "assign"), {"assignee": "handler"})
    lead_client.post(url(second, "accept"))
    mine = client_for(talent)
    assert mine.get(url(first)).json()["assignee"]["username"] == "handler"
    # The lead accepted the second one, but it was already assigned to the handler.
    assert mine.get(url(second)).json()["assignee"]["username"] == "handler"
    assert mine.get(url(second)).json()["status"] == "accepted"


def test_assign_names_a_handler_of_the_same_department(client_for, talent, lead, other_handler):
    req = file_housing(talent)
    client = client_for(lead)
    assert client.post(url(req, "assign"), {"assignee": "other_handler"}).json() == {
        "assignee": ["请指定承办部门的在职经办人或负责人。"]
    }
    assert client.post(url(req, "assign"), {"assignee": "nobody"}).status_code == 400
    response = client.post(url(req, "assign"), {"assignee": "LEAD"})
    assert response.status_code == 200 and response.json()["assignee"]["username"] == "lead"
    assert Notification.objects.filter(recipient__username="lead", kind="request_assigned").exists()


def test_a_transfer_moves_the_request_to_the_other_department(
    client_for, talent, handler, other_handler
):
    req = file_housing(talent)
    client_for(handler).post(url(req, "accept"))
    response = client_for(handler).post(
        url(req, "transfer"), {"department": "jyj", "reason": "涉及子女入学"}
    )
    assert response.status_code == 200
    assert (
        response.json()["department"]["code"] == "JYJ" and response.json()["status"] == "submitted"
    )
    assert client_for(handler).get(url(req)).status_code == 404  # no longer theirs
    mine = client_for(other_handler).get(url(req)).json()
    assert mine["assignee"] is None and mine["status"] == "submitted"
    assert [s["department"]["code"] for s in mine["stints"]] == ["ZJJ", "JYJ"]
    assert mine["stints"][0]["left_at"] is not None and mine["stints"][1]["left_at"] is None
    assert (
        mine["events"][-1]["action"] == "transferred"
        and "涉及子女入学" in mine["events"][-1]["note"]
    )
    assert Notification.objects.filter(recipient=talent, kind="request_transferred").exists()
    assert Notification.objects.filter(
        recipient=other_handler, kind="request_transferred_in"
    ).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"department": "ZJJ", "reason": "x"}, "department"),
        ({"department": "XXX", "reason": "x"}, "department"),
        ({"department": "JYJ", "reason": " "}, "reason"),
    ],
)
def test_a_transfer_needs_another_active_department_and_a_reason(
    client_for, talent, admin_user, body, field
):
    req = file_housing(talent)
    response = client_for(admin_user).post(url(req, "transfer"), body)
    assert response.status_code == 400 and field in response.json()


def test_internal_notes_never_reach_the_talent(client_for, talent, handler):
    req = file_housing(talent)
    staff = client_for(handler)
    staff.post(url(req, "comments"), {"body": "内部：申请人材料存疑", "internal": True})
    staff.post(url(req, "comments"), {"body": "正在核实，请耐心等待"})
    mine = client_for(talent).get(url(req))
    assert "申请人材料存疑" not in mine.content.decode()
    assert [c["body"] for c in mine.json()["comments"]] == ["正在核实，请耐心等待"]
    theirs = [c["body"] for c in staff.get(url(req)).json()["comments"]]
    assert theirs == ["内部：申请人材料存疑", "正在核实，请耐心等待"]
    told = Notification.objects.filter(recipient=talent, kind="request_comment")
    assert told.count() == 1 and "存疑" not in told.get().body


def test_a_talent_cannot_write_an_internal_note(client_for, talent):
    req = file_housing(talent)
    response = client_for(talent).post(url(req, "comments"), {"body": "x", "internal": True})
    assert response.status_code == 400 and "internal" in response.json()
    assert not RequestComment.objects.exists()


def test_medical_details_are_for_the_routed_department_only(
    client_for, talent, admin_user, departments
):
    from services.filing import request_file
    from tests.factories import UserFactory

    wjj = UserFactory(username="wjj", role="staff", department=departments["WJJ"])
    req = request_file(
        talent=talent,
        service_type="MEDICAL",
        fields={"service": "就医绿色通道", "hospital": "巴中市中心医院", "notes": "心脏病史"},
        consent=True,
    )
    admin_view = client_for(admin_user).get(url(req))
    assert admin_view.status_code == 200
    assert admin_view.json()["fields"] == {} and admin_view.json()["fields_hidden"] is True
    assert "心脏病史" not in admin_view.content.decode()
    assert client_for(wjj).get(url(req)).json()["fields"]["notes"] == "心脏病史"
    assert client_for(talent).get(url(req)).json()["fields"]["notes"] == "心脏病史"


def test_attachments_follow_the_request(client_for, talent, handler, other_talent, other_handler):
    from django.core.files.uploadedfile import SimpleUploadedFile

    req = file_housing(talent)
    upload = SimpleUploadedFile("无房证明.pdf", PDF, "application/pdf")
    response = client_for(talent).post(
        url(req, "attachments"), {"file": upload}, format="multipart"
    )
    assert response.status_code == 201 and set(response.json()) >= {"id", "name", "size"}
    download = f"/api/v1/attachments/{response.json()['id']}/"
    assert b"".join(client_for(handler).get(download).streaming_content) == PDF
    assert client_for(other_talent).get(download).status_code == 404
    assert client_for(other_handler).get(download).status_code == 404
    bad = SimpleUploadedFile("x.pdf", b"MZ" + b"\x00" * 100, "application/pdf")
    assert (
        client_for(talent)
        .post(url(req, "attachments"), {"file": bad}, format="multipart")
        .status_code
        == 400
    )


def test_a_bad_rating_opens_a_follow_up_the_lead_closes(client_for, talent, handler, lead):
    req = request_in("resolved", talent, handler)
    response = client_for(talent).post(url(req, "rate"), {"score": 2, "comment": "等太久"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed" and response.json()["rating"]["score"] == 2
    followup = FollowUp.objects.get(request=req)
    assert followup.department.code == "ZJJ" and followup.closed_at is None
    assert Notification.objects.filter(recipient=lead, kind="followup_opened").exists()
    assert client_for(talent).get(url(req)).json()["followup"] is None  # the talent does not see it
    assert client_for(handler).post(url(req, "followup/close"), {"note": "x"}).status_code == 403
    assert client_for(lead).post(url(req, "followup/close"), {"note": ""}).status_code == 400
    closed = client_for(lead).post(url(req, "followup/close"), {"note": "已回访致歉，压缩配租流程"})
    assert closed.json()["followup"]["closed_at"] is not None
    assert client_for(lead).post(url(req, "followup/close"), {"note": "again"}).status_code == 409


def test_a_good_rating_opens_no_follow_up_and_rating_is_once(client_for, talent, handler):
    req = request_in("resolved", talent, handler)
    client = client_for(talent)
    assert client.post(url(req, "rate"), {"score": 6}).status_code == 400
    assert client.post(url(req, "rate"), {"score": 0}).status_code == 400
    assert client.post(url(req, "rate"), {"score": 3}).status_code == 200
    again = client.post(url(req, "rate"), {"score": 1})
    assert again.status_code == 409 and again.json()["status"] == "closed"
    assert not FollowUp.objects.exists()


def test_every_transition_is_audited_and_on_the_timeline(client_for, talent, handler):
    req = file_housing(talent)
    staff = client_for(handler)
    staff.post(url(req, "accept"))
    staff.post(url(req, "request-info"), {"items": ["无房证明", "劳动合同"], "note": "一次告知"})
    client_for(talent).post(url(req, "supply-info"), {"note": "已上传"})
    staff.post(url(req, "resolve"), {"note": "已配租"})
    events = client_for(talent).get(url(req)).json()["events"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("filed", "", "submitted"),
        ("accepted", "submitted", "accepted"),
        ("info_requested", "accepted", "awaiting_talent"),
        ("info_supplied", "awaiting_talent", "accepted"),
        ("resolved", "accepted", "resolved"),
    ]
    assert events[2]["items"] == ["无房证明", "劳动合同"]
    audited = AuditEvent.objects.filter(action__startswith="service_request.").values_list(
        "action", flat=True
    )
    assert list(audited.order_by("id")) == [
        "service_request.file",
        "service_request.accept",
        "service_request.request_info",
        "service_request.supply_info",
        "service_request.resolve",
    ]


def test_list_filters(client_for, talent, handler, admin_user):
    from datetime import timedelta

    from django.utils import timezone

    from services.models import ServiceRequest

    a, b = file_housing(talent), file_housing(talent)
    client_for(handler).post(url(a, "accept"))
    ServiceRequest.objects.filter(pk=b.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    admin = client_for(admin_user)
    assert admin.get("/api/v1/service-requests/?status=accepted").json()["count"] == 1
    assert admin.get("/api/v1/service-requests/?department=zjj").json()["count"] == 2
    assert admin.get("/api/v1/service-requests/?department=JYJ").json()["count"] == 0
    assert admin.get("/api/v1/service-requests/?service_type=HOUSING").json()["count"] == 2
    assert [
        r["number"] for r in admin.get("/api/v1/service-requests/?overdue=true").json()["results"]
    ] == [b.number]
    mine = client_for(handler).get("/api/v1/service-requests/?assignee=me").json()
    assert [r["number"] for r in mine["results"]] == [a.number]


def test_medical_description_and_files_are_for_the_routed_department_only(
    client_for, talent, admin_user, departments
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from services.filing import request_file
    from tests.factories import UserFactory

    wjj = UserFactory(username="wjj2", role="staff", department=departments["WJJ"])
    req = request_file(
        talent=talent,
        service_type="MEDICAL",
        fields={"service": "就医绿色通道", "hospital": "巴中市中心医院"},
        description="本人患有糖尿病，需定期复诊",
        consent=True,
    )
    upload = SimpleUploadedFile("病历.pdf", PDF, "application/pdf")
    attached = client_for(talent).post(
        url(req, "attachments"), {"file": upload}, format="multipart"
    )
    download = f"/api/v1/attachments/{attached.json()['id']}/"
    admin = client_for(admin_user)
    seen = admin.get(url(req)).json()
    assert seen["description"] == "" and seen["attachments"] == [] and seen["fields_hidden"] is True
    assert "糖尿病" not in admin.get(url(req)).content.decode()
    assert admin.get(download).status_code == 404
    from django.test import Client

    browser = Client()
    browser.force_login(admin_user)
    response = browser.get(f"/manage/requests/{req.number}/")
    html = response.content.decode()
    # The admin's page is the request's page (not an error page that would show nothing
    # anyway), saying why the details are missing, and without them.
    assert response.status_code == 200 and req.number in html
    assert "表单内容、诉求说明和附件仅申请人和承办部门可见" in html
    assert "糖尿病" not in html and "病历.pdf" not in html and "暂无附件" in html
    # The routed department's page shows both, so the absence above is the rule at work.
    browser.force_login(wjj)
    theirs = browser.get(f"/desk/requests/{req.number}/")
    assert theirs.status_code == 200
    assert "糖尿病" in theirs.content.decode() and "病历.pdf" in theirs.content.decode()
    assert client_for(wjj).get(url(req)).json()["description"] == "本人患有糖尿病，需定期复诊"
    assert client_for(wjj).get(download).status_code == 200


def test_every_department_event_is_news_of_its_own(client_for, talent, handler, lead, admin_user):
    req = file_housing(talent)
    client = client_for(talent)
    client.post(url(req, "comments"), {"body": "第一条"})
    client.post(url(req, "comments"), {"body": "第二条"})
    told = Notification.objects.filter(kind="request_comment", recipient=handler)
    assert told.count() == 2
    admin = client_for(admin_user)
    admin.post(url(req, "transfer"), {"department": "JYJ", "reason": "误派"})
    admin.post(url(req, "transfer"), {"department": "ZJJ", "reason": "转回"})
    assert (
        Notification.objects.filter(kind="request_transferred_in", recipient=handler).count() == 1
    )
    admin.post(url(req, "transfer"), {"department": "JYJ", "reason": "再转"})
    admin.post(url(req, "transfer"), {"department": "ZJJ", "reason": "再转回"})
    assert (
        Notification.objects.filter(kind="request_transferred_in", recipient=handler).count() == 2
    )
