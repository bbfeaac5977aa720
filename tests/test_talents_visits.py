"""Visits (走访) and what the talent raised (talents.visits): validation of every field with all
errors at once, all-or-nothing, concerns filed as requests for the talent (代办: filed_by and
filed_via, the officer on the timeline, the talent told in their language, the department
told), a type that needs the talent's own consent waiting for them (confirm files it with the
consent record, decline tells the officer), resolving, and who may do what in which state."""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from cards.issuance import card_revoke, card_suspend
from cards.models import Card
from portal.errors import InvalidTransition, NotAllowed
from portal.localized import localized
from portal.models import AuditEvent, ConsentRecord, Notification, Role
from services.filing import request_file
from services.models import RequestEvent, ServiceRequest, ServiceType
from services.seed import seed_service_types
from services.workflow import request_accept, request_resolve
from talents import visits
from talents.liaisons import liaison_assign
from talents.models import Concern, ConcernStatus, Liaison, LiaisonEvent, Visit
from talents.visits import (
    RESOLVED_Q,
    concern_confirm,
    concern_decline,
    concern_resolve,
    concern_resolved,
    visit_record,
)
from tests.cards_support import submitted
from tests.factories import UserFactory
from tests.requests_support import HOUSING

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=SH)
MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院"}


@pytest.fixture(autouse=True)
def catalogue(departments):
    seed_service_types()


@pytest.fixture
def officer(departments):
    """JYJ staff named the officer: not of the housing department (ZJJ) the request goes to."""
    return UserFactory(username="officer", real_name="周专员", role=Role.STAFF,
                       department=departments["JYJ"])  # fmt: skip


def card_for(talent, admin_user, client_for, criteria=("D02", "C03")) -> Card:
    with time_machine.travel(NOW - datetime.timedelta(days=60), tick=False):
        app = submitted(client_for(talent), criteria)
        response = client_for(admin_user).post(f"/api/v1/card-applications/{app['id']}/approve/")
        assert response.status_code == 200, response.content
    return Card.objects.get(holder=talent)


def assign(card, officer, admin_user) -> Liaison:
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        return liaison_assign(
            card=card, leader="区委副书记 张某", officer=officer.username, visit_every_days=60,
            actor=admin_user,
        )[0]  # fmt: skip


@pytest.fixture
def liaison(talent, admin_user, officer, client_for) -> Liaison:
    """李明 holds a C card; his officer is 周专员."""
    return assign(card_for(talent, admin_user, client_for), officer, admin_user)


def record(liaison, actor, concerns=None, **given) -> Visit:
    body = {"visited_on": "2026-11-19", "mode": "in_person", "summary": "上门了解工作生活情况"}
    with time_machine.travel(NOW, tick=False):
        return visit_record(
            liaison=liaison, actor=actor, concerns=concerns, ip="10.0.0.8", **{**body, **given}
        )


def refused(liaison, actor, concerns=None, **given) -> dict:
    with pytest.raises(ValidationError) as caught:
        record(liaison, actor, concerns, **given)
    return caught.value.message_dict


def nothing_written(liaison):
    assert not Visit.objects.exists()
    assert not Concern.objects.exists()
    assert not ServiceRequest.objects.exists()
    assert not LiaisonEvent.objects.filter(action="visited").exists()
    assert not AuditEvent.objects.filter(action="liaison.visit").exists()
    fresh = Liaison.objects.get(pk=liaison.pk)
    assert (fresh.last_visit_on, fresh.due_on) == (None, liaison.due_on)


HOUSE = {"text": "希望申请人才公寓", "service_type": "HOUSING", "fields": HOUSING}


# --- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "key"),
    [
        ({"visited_on": "2026-11-21"}, "visited_on"),  # tomorrow
        ({"visited_on": "2026/11/19"}, "visited_on"),
        ({"visited_on": ""}, "visited_on"),
        ({"visited_on": "1999-12-31"}, "visited_on"),
        ({"mode": "letter"}, "mode"),
        ({"mode": None}, "mode"),
        ({"summary": "   "}, "summary"),
        ({"summary": "况" * 2001}, "summary"),
        ({"concerns": {"text": "子女入学"}}, "concerns"),
        ({"concerns": [{"text": "诉求"}] * 21}, "concerns"),
        ({"concerns": ["子女入学"]}, "concerns.0"),
        ({"concerns": [{"text": " "}]}, "concerns.0.text"),
        ({"concerns": [{"text": "诉" * 501}]}, "concerns.0.text"),
        (
            {"concerns": [{"text": "想办户口", "service_type": "PASSPORT"}]},
            "concerns.0.service_type",
        ),
        ({"concerns": [{"text": "想办户口", "service_type": 7}]}, "concerns.0.service_type"),
        ({"concerns": [{"text": "诉求", "fields": {"a": 1}}]}, "concerns.0.fields"),
    ],
)
def test_each_rule(liaison, officer, given, key):
    concerns = given.pop("concerns", None)
    assert list(refused(liaison, officer, concerns, **given)) == [key]
    nothing_written(liaison)


def test_typed_fields_errors_are_keyed_by_the_concern_and_field(liaison, officer):
    fields = {**HOUSING, "room_type": "别墅", "pets": "猫"}
    del fields["family_size"]
    errors = refused(liaison, officer, [{"text": "反映交通不便"}, {**HOUSE, "fields": fields}])
    assert set(errors) == {
        "concerns.1.fields.family_size", "concerns.1.fields.room_type", "concerns.1.fields.pets",
    }  # fmt: skip
    nothing_written(liaison)


def test_an_inactive_service_type_cannot_be_filed(liaison, officer):
    ServiceType.objects.filter(code="HOUSING").update(is_active=False)
    assert list(refused(liaison, officer, [HOUSE])) == ["concerns.0.service_type"]


def test_a_type_not_for_the_tier_is_refused(talent, admin_user, officer, client_for):
    d_card = card_for(talent, admin_user, client_for, criteria=("D02",))
    liaison = assign(d_card, officer, admin_user)
    errors = refused(
        liaison, officer, [{"text": "体检", "service_type": "MEDICAL", "fields": MEDICAL}]
    )
    assert list(errors) == ["concerns.0.service_type"]
    assert "D类" in errors["concerns.0.service_type"][0]
    nothing_written(liaison)


def test_every_error_at_once(liaison, officer):
    errors = refused(
        liaison,
        officer,
        [HOUSE, {"text": ""}, {"text": "x", "service_type": "NOPE"}],
        visited_on="2026-12-01",
        mode="fax",
        summary="",
    )
    assert set(errors) == {
        "visited_on", "mode", "summary", "concerns.1.text", "concerns.2.service_type",
    }  # fmt: skip
    nothing_written(liaison)


def test_a_concern_refused_at_filing_rolls_back_the_whole_visit(liaison, officer, monkeypatch):
    """The second request is refused while filing (after the first was filed and the visit
    written): nothing of the visit is left, and the error names the concern."""
    real, calls = visits.request_file, []

    def second_fails(**kwargs):
        calls.append(kwargs["service_type"])
        if len(calls) == 2:
            raise ValidationError({"fields.move_in_date": ["期望入住日期不正确。"]})
        return real(**kwargs)

    monkeypatch.setattr(visits, "request_file", second_fails)
    errors = refused(liaison, officer, [HOUSE, {"text": "备注"}, HOUSE])
    assert errors == {"concerns.2.fields.move_in_date": ["期望入住日期不正确。"]}
    assert calls == ["HOUSING", "HOUSING"]
    nothing_written(liaison)
    assert not Notification.objects.filter(kind="request_filed_for_you").exists()


# --- filing for the talent ------------------------------------------------------------------
def test_a_visit_files_the_concern_for_the_talent(liaison, officer, talent, handler, lead):
    visit = record(liaison, officer, [{"text": "反映交通不便"}, HOUSE])
    noted, filed = visit.concerns.order_by("n")
    assert (noted.n, noted.status, noted.request_id) == (1, ConcernStatus.NOTED, None)
    assert (filed.n, filed.status) == (2, ConcernStatus.FILED)
    req = filed.request
    assert (req.talent, req.filed_by, req.filed_via) == (talent, officer, "liaison")
    assert (req.status, req.service_type.code, req.department.code) == ("submitted", "HOUSING",
                                                                        "ZJJ")  # fmt: skip
    assert req.description == "希望申请人才公寓"
    assert req.fields["family_size"] == 3 and req.consent_at is None
    event = RequestEvent.objects.get(request=req, action="filed")
    assert event.actor == officer and "周专员" in event.note and "代办" in event.note
    audit = AuditEvent.objects.get(action="service_request.file", object_id=str(req.pk))
    assert audit.actor == officer and audit.detail["filed_via"] == "liaison"
    # The talent is told; the housing department's staff and lead are told, not the officer.
    told = Notification.objects.get(kind="request_filed_for_you")
    assert told.recipient == talent and req.number in told.title
    assert "周专员" in told.body
    department = Notification.objects.filter(kind="request_filed")
    assert set(department.values_list("recipient__username", flat=True)) == {
        handler.username,
        lead.username,
    }
    # The visit itself: the clock, the timeline, the audit.
    liaison.refresh_from_db()
    assert liaison.last_visit_on == datetime.date(2026, 11, 19)
    assert liaison.due_on == datetime.date(2027, 1, 18)
    step = LiaisonEvent.objects.get(liaison=liaison, action="visited")
    assert step.actor == officer and step.note == "2026-11-19 上门走访"
    visit_audit = AuditEvent.objects.get(action="liaison.visit")
    assert visit_audit.detail == {
        "visited_on": "2026-11-19", "mode": "in_person", "concerns": 2, "filed": 1,
    }  # fmt: skip
    assert visit_audit.ip == "10.0.0.8" and visit.recorded_by == officer


def test_the_talent_is_told_in_their_language(liaison, officer, talent, handler):
    talent.language = "en"
    talent.save(update_fields=["language"])
    visit = record(liaison, officer, [HOUSE])
    req = visit.concerns.get().request
    told = Notification.objects.get(kind="request_filed_for_you", recipient=talent)
    with translation.override("en"):
        expected = gettext("已为您代办服务申请 %(number)s：%(service)s") % {
            "number": req.number,
            "service": localized(req.service_type, "name"),
        }
        assert localized(req.service_type, "name") != "人才公寓"  # the English name
    assert told.title == expected
    # The department's notice stays Chinese (staff).
    assert "新的服务申请" in Notification.objects.filter(kind="request_filed").first().title


def test_an_admin_may_record_a_visit_too(liaison, admin_user):
    visit = record(liaison, admin_user, [HOUSE], mode="phone")
    assert visit.recorded_by == admin_user
    assert visit.concerns.get().request.filed_by == admin_user


# --- a type that needs the talent's own consent ---------------------------------------------
def medical_concern(liaison, officer) -> Concern:
    visit = record(liaison, officer, [{"text": "希望安排体检", "service_type": "MEDICAL",
                                       "fields": MEDICAL}])  # fmt: skip
    return visit.concerns.get()


def test_a_sensitive_type_waits_for_the_talents_consent(liaison, officer, talent):
    concern = medical_concern(liaison, officer)
    assert (concern.status, concern.request_id) == (ConcernStatus.AWAITING_CONSENT, None)
    assert concern.fields == MEDICAL
    assert not ServiceRequest.objects.exists()
    asked = Notification.objects.get(kind="concern_awaiting_consent")
    assert asked.recipient == talent and asked.link == "/talents/liaison/"
    assert AuditEvent.objects.get(action="liaison.visit").detail["filed"] == 0


def test_request_file_with_filed_by_refuses_a_sensitive_type(liaison, officer, talent):
    for consent in (False, True):
        with pytest.raises(ValidationError) as caught:
            request_file(
                talent=talent, service_type="MEDICAL", fields=MEDICAL, consent=consent,
                filed_by=officer, filed_via="liaison",
            )  # fmt: skip
        assert list(caught.value.message_dict) == ["consent"]
    assert not ServiceRequest.objects.exists()


def test_the_talent_confirms_and_files_with_their_consent(liaison, officer, talent):
    concern = medical_concern(liaison, officer)
    with pytest.raises(ValidationError) as caught:
        concern_confirm(concern=concern, talent=talent, consent=False)
    assert list(caught.value.message_dict) == ["consent"]
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        concern = concern_confirm(concern=concern, talent=talent, consent=True, ip="10.0.0.9")
    req = concern.request
    assert concern.status == ConcernStatus.FILED
    assert (req.talent, req.filed_by, req.filed_via) == (talent, None, "")
    assert req.service_type.code == "MEDICAL" and req.fields["hospital"] == "巴州区人民医院"
    assert req.consent_at == NOW + datetime.timedelta(hours=2)
    record_ = ConsentRecord.objects.get(user=talent, document="sensitive_notice")
    assert record_.object_id == str(req.pk)
    assert RequestEvent.objects.get(request=req, action="filed").actor == talent
    audit = AuditEvent.objects.get(action="liaison.concern_confirm")
    assert audit.actor == talent and audit.detail["number"] == req.number
    # Once filed it cannot be confirmed again, nor declined or resolved by hand.
    with pytest.raises(InvalidTransition):
        concern_confirm(concern=concern, talent=talent, consent=True)
    with pytest.raises(InvalidTransition):
        concern_decline(concern=concern, talent=talent)
    with pytest.raises(InvalidTransition):
        concern_resolve(concern=concern, actor=officer, resolution="已办")
    assert ServiceRequest.objects.count() == 1


def test_the_talent_declines_and_the_officer_is_told(liaison, officer, talent):
    concern = medical_concern(liaison, officer)
    concern = concern_decline(concern=concern, talent=talent)
    assert concern.status == ConcernStatus.DECLINED and concern.request_id is None
    told = Notification.objects.get(kind="concern_declined")
    assert told.recipient == officer
    assert told.link == f"/talents/liaisons/{liaison.card.number}/"
    assert AuditEvent.objects.filter(action="liaison.concern_decline", actor=talent).exists()
    with pytest.raises(InvalidTransition):
        concern_confirm(concern=concern, talent=talent, consent=True)
    with pytest.raises(InvalidTransition):
        concern_decline(concern=concern, talent=talent)
    # The officer talks to the talent and closes it.
    concern = concern_resolve(concern=concern, actor=officer, resolution="已电话沟通，本人自行办理")
    assert concern.status == ConcernStatus.RESOLVED
    assert not ServiceRequest.objects.exists()


def test_only_the_talent_confirms_or_declines(liaison, officer, talent, other_talent,
                                              admin_user):  # fmt: skip
    concern = medical_concern(liaison, officer)
    for person in (other_talent, officer, admin_user):
        with pytest.raises(NotAllowed):
            concern_confirm(concern=concern, talent=person, consent=True)
        with pytest.raises(NotAllowed):
            concern_decline(concern=concern, talent=person)
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.AWAITING_CONSENT


# --- resolving ------------------------------------------------------------------------------
def test_the_officer_or_an_admin_resolves_a_noted_concern(liaison, officer, admin_user, talent,
                                                          other_handler):  # fmt: skip
    first, second = record(
        liaison, officer, [{"text": "交通不便"}, {"text": "停车难"}]
    ).concerns.all()
    with pytest.raises(ValidationError) as caught:
        concern_resolve(concern=first, actor=officer, resolution="  ")
    assert list(caught.value.message_dict) == ["resolution"]
    with pytest.raises(ValidationError):
        concern_resolve(concern=first, actor=officer, resolution="解" * 501)
    for person in (talent, other_handler):
        with pytest.raises(NotAllowed):
            concern_resolve(concern=first, actor=person, resolution="已协调")
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        first = concern_resolve(concern=first, actor=officer, resolution=" 已协调公交线路 ")
    assert (first.status, first.resolution) == (ConcernStatus.RESOLVED, "已协调公交线路")
    assert first.resolved_at == NOW + datetime.timedelta(days=3)
    assert (
        concern_resolve(concern=second, actor=admin_user, resolution="已协调").status == "resolved"
    )
    with pytest.raises(InvalidTransition):
        concern_resolve(concern=first, actor=officer, resolution="再次")
    assert AuditEvent.objects.filter(action="liaison.concern_resolve").count() == 2


def test_awaiting_and_filed_concerns_are_not_resolved_by_hand(liaison, officer):
    medical = medical_concern(liaison, officer)
    filed = record(liaison, officer, [HOUSE]).concerns.get()
    for concern in (medical, filed):
        with pytest.raises(InvalidTransition) as caught:
            concern_resolve(concern=concern, actor=officer, resolution="已办")
        assert caught.value.status == concern.status


def test_resolved_q_and_concern_resolved_agree(liaison, officer, talent, handler):
    visit = record(
        liaison,
        officer,
        [
            {"text": "备注一"},  # noted
            {"text": "备注二"},  # resolved by hand
            HOUSE,  # filed, the request still open
            HOUSE,  # filed, the request resolved
            HOUSE,  # filed, the request accepted only
            {"text": "体检", "service_type": "MEDICAL", "fields": MEDICAL},  # awaiting
            {"text": "体检", "service_type": "MEDICAL", "fields": MEDICAL},  # declined
        ],
    )
    c = {concern.n: concern for concern in visit.concerns.select_related("request")}
    concern_resolve(concern=c[2], actor=officer, resolution="已协调")
    request_resolve(
        req=request_accept(req=c[4].request, actor=handler), actor=handler, note="已配租"
    )
    request_accept(req=c[5].request, actor=handler)
    concern_decline(concern=c[7], talent=talent)
    rows = Concern.objects.select_related("request").order_by("n")
    answers = {concern.n: concern_resolved(concern) for concern in rows}
    assert answers == {1: False, 2: True, 3: False, 4: True, 5: False, 6: False, 7: False}
    assert set(Concern.objects.filter(RESOLVED_Q).values_list("n", flat=True)) == {2, 4}


# --- who may record a visit, and when -------------------------------------------------------
def test_only_the_officer_or_an_admin_records_a_visit(liaison, talent, handler, lead, auditor):
    for person in (talent, handler, lead, auditor):
        with pytest.raises(NotAllowed):
            record(liaison, person, [HOUSE])
    nothing_written(liaison)


def test_a_former_officer_may_no_longer_record(liaison, officer, admin_user, handler):
    with time_machine.travel(NOW - datetime.timedelta(days=1), tick=False):
        liaison_assign(
            card=liaison.card, leader="区委副书记 张某", officer=handler.username,
            visit_every_days=60, actor=admin_user,
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        record(liaison, officer)
    assert record(Liaison.objects.get(pk=liaison.pk), handler).recorded_by == handler


def test_no_visit_on_a_revoked_card(liaison, officer, admin_user):
    card_revoke(card=liaison.card, actor=admin_user, reason="已调离巴州区")
    liaison = Liaison.objects.select_related("card").get(pk=liaison.pk)
    for concerns in (None, [HOUSE]):
        with pytest.raises(InvalidTransition) as caught:
            record(liaison, officer, concerns)
        assert caught.value.status == "ended"
    nothing_written(liaison)


def test_a_suspended_card_records_the_visit_but_files_nothing(liaison, officer, admin_user):
    card_suspend(card=liaison.card, actor=admin_user, reason="核查中")
    liaison = Liaison.objects.select_related("card").get(pk=liaison.pk)
    # The officer may (403 like request_file's "no valid card", services.filing; the API
    # tests pin 403 too).
    with pytest.raises(NotAllowed, match="不是有效状态"):
        record(liaison, officer, [{"text": "备注"}, HOUSE])
    nothing_written(liaison)
    visit = record(liaison, officer, [{"text": "备注"}])
    assert visit.concerns.get().status == ConcernStatus.NOTED


def test_a_card_past_its_end_date_files_nothing(liaison, officer):
    Card.objects.filter(pk=liaison.card_id).update(valid_until=datetime.date(2026, 11, 1))
    liaison = Liaison.objects.select_related("card").get(pk=liaison.pk)
    with pytest.raises(NotAllowed, match="不是有效状态"):
        record(liaison, officer, [HOUSE])
    nothing_written(liaison)


def test_a_confirmation_on_a_card_no_longer_active_is_refused(liaison, officer, talent, admin_user):
    concern = medical_concern(liaison, officer)
    card_suspend(card=liaison.card, actor=admin_user, reason="核查中")
    with pytest.raises(NotAllowed, match="有效的巴州优才卡"):
        concern_confirm(concern=concern, talent=talent, consent=True)
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.AWAITING_CONSENT
    assert not ServiceRequest.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_confirmation_files_one_request(talent, admin_user, officer, client_for):
    seed_service_types()
    liaison = assign(card_for(talent, admin_user, client_for), officer, admin_user)
    concern = medical_concern(liaison, officer)
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            concern_confirm(concern=concern, talent=talent, consent=True)
            outcomes.append(("confirmed", ""))
        except InvalidTransition as exc:
            outcomes.append(("refused", exc.status))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [("confirmed", ""), ("refused", ConcernStatus.FILED)]
    assert ServiceRequest.objects.filter(talent=talent).count() == 1
    assert Concern.objects.get(pk=concern.pk).request is not None
