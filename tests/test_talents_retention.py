"""人才信息和联系服务记录 are erased with the card's details (《个人信息处理规则》 1.2 part 四;
talents.retention): 3 years after the card was revoked, the night the cards rule erases the
card, to the second; what 人才画像 and the coverage count stays."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cards.issuance import card_revoke
from portal import retention
from portal.retention import ERASED_TEXT
from talents.models import Concern, ResearchOutput, TalentProfile, Visit
from talents.profiles import profile_update
from talents.rollups import differences
from talents.visits import visit_record
from tests.talents_support import holder, liaison_for, officer

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SH)
SECOND = datetime.timedelta(seconds=1)
RULES = ["cards.cards", "talents.profiles"]


def run() -> dict:
    return {o.rule.name: o for o in retention.run(names=RULES)}


@pytest.fixture
def world(departments, admin_user):
    with time_machine.travel(START, tick=False):
        talent, card = holder("B")
        profile_update(
            user=talent,
            data={
                "industry_chain": "biomedicine",
                "specialties": ["中药材种植"],
                "outputs": [{"kind": "patent", "title": "一种川明参种植方法", "year": 2024}],
            },
        )
        staff = officer()
        liaison = liaison_for(card, staff, admin_user)
        visit_record(
            liaison=liaison,
            actor=staff,
            visited_on=START.date(),
            mode="in_person",
            summary="走访了解到人才家属就业需求。",
            concerns=[{"text": "配偶希望在巴州就业。"}],
        )
    revoked_at = START + datetime.timedelta(days=30)
    with time_machine.travel(revoked_at, tick=False):
        card_revoke(card=card, actor=admin_user, reason="已调离巴州")
    return talent, card, revoked_at


def test_the_profile_and_visit_texts_go_with_the_cards_details(world):
    talent, card, revoked_at = world
    profile = TalentProfile.objects.get(holder=talent)
    assert profile.standing == "departed"
    three_years = revoked_at.replace(year=revoked_at.year + 3)

    with time_machine.travel(three_years - SECOND, tick=False):
        outcomes = run()
    assert outcomes["talents.profiles"].handled == 0
    profile.refresh_from_db()
    assert profile.specialties == ["中药材种植"] and profile.erased_at is None

    with time_machine.travel(three_years + SECOND, tick=False):
        outcomes = run()
    assert outcomes["cards.cards"].handled == 1
    assert (outcomes["talents.profiles"].due, outcomes["talents.profiles"].handled) == (1, 1)
    profile.refresh_from_db()
    assert profile.specialties == [] and profile.erased_at is not None
    assert not ResearchOutput.objects.filter(profile=profile).exists()
    visit = Visit.objects.get(liaison__card=card)
    assert visit.summary == ERASED_TEXT
    concern = Concern.objects.get(visit=visit)
    assert concern.text == ERASED_TEXT and concern.fields == {}
    # What the counts read stays: the profile's facts, the bare visit and concern rows.
    assert (profile.industry_chain, profile.tier, profile.employer) == (
        "biomedicine",
        "B",
        "巴州区人民医院",
    )
    assert (visit.visited_on, visit.mode, concern.status) == (START.date(), "in_person", "noted")
    assert differences() == []
    with time_machine.travel(three_years.replace(year=three_years.year + 1), tick=False):
        assert run()["talents.profiles"].due == 0  # never due again


def test_a_live_holders_profile_is_never_due(departments, admin_user):
    with time_machine.travel(START, tick=False):
        talent, _card = holder("C")
        profile_update(user=talent, data={"specialties": ["康养旅游"]})
    with time_machine.travel(START.replace(year=2035), tick=False):
        assert run()["talents.profiles"].due == 0
    assert TalentProfile.objects.get(holder=talent).specialties == ["康养旅游"]


def test_a_sensitive_concern_never_answered_is_closed_after_a_month(departments, admin_user):
    from services.seed import seed_service_types
    from talents.models import ConcernStatus
    from talents.retention import UNANSWERED

    seed_service_types()
    with time_machine.travel(START, tick=False):
        _talent, card = holder("B")
        staff = officer()
        liaison = liaison_for(card, staff, admin_user)
        visit = visit_record(
            liaison=liaison,
            actor=staff,
            visited_on=START.date(),
            mode="phone",
            summary="电话了解体检需求。",
            concerns=[
                {
                    "text": "希望安排年度体检",
                    "service_type": "MEDICAL",
                    "fields": {"service": "年度健康体检", "hospital": "巴州区人民医院"},
                }
            ],
        )
    concern = visit.concerns.get()
    assert concern.status == ConcernStatus.AWAITING_CONSENT and concern.fields

    def closed() -> int:
        (outcome,) = retention.run(names=["talents.unanswered_concerns"])
        return outcome.handled

    a_month = START.replace(month=1, year=START.year + 1)
    with time_machine.travel(a_month - SECOND, tick=False):
        assert closed() == 0
    with time_machine.travel(a_month + SECOND, tick=False):
        assert closed() == 1
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.DECLINED and concern.fields == {}
    assert concern.resolution == UNANSWERED and concern.request_id is None
    with time_machine.travel(a_month.replace(month=6), tick=False):
        assert closed() == 0
