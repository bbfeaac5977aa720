"""The talent database (人才信息库): the profile follows the card through the real application
approval (cards.applications → cards.hooks → talents.listeners), the talent keeps what is theirs
(talents.profiles.profile_update), and 人才画像's rollup (talents.rollups) always equals a recount:
after a sequence of changes, after rebuild(), after the data migration's fill, after the nightly
reconcile of a broken cell."""

import datetime
import importlib
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection

from cards.expiry import card_expire_due
from cards.issuance import card_reinstate, card_revoke, card_suspend
from cards.models import Card
from portal.errors import NotAllowed
from portal.models import AuditEvent
from talents import rollups
from talents.models import ResearchOutput, TalentCount, TalentProfile
from talents.profiles import CARD_FACTS, profile_of, profile_refresh, profile_update
from talents.tasks import rollup_reconcile
from tests.cards_support import submitted
from tests.factories import TalentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("criteria")]
SH = ZoneInfo("Asia/Shanghai")
MID_2026 = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=SH)

DOCTOR = {
    "employer": "巴州区人民医院",
    "position": "主任医师",
    "education": "全日制博士研究生",
    "professional_title": "正高级",
    "arrival_date": "2024-03-01",
}


def approve(talent, admin_user, client_for, criteria=("D02", "C03"), **facts) -> Card:
    """Submit the talent's application with ``facts`` and approve it as the 人才办 does."""
    t, a = client_for(talent), client_for(admin_user)
    app = submitted(t, criteria, **facts)
    response = a.post(f"/api/v1/card-applications/{app['id']}/approve/")
    assert response.status_code == 200, response.content
    return Card.objects.get(number=response.json()["card"]["number"])


def profile(user) -> TalentProfile:
    return TalentProfile.objects.get(holder=user)


def facts(p: TalentProfile) -> dict:
    return {
        "card": p.card_id,
        "tier": p.tier,
        "standing": p.standing,
        "employer": p.employer,
        "position": p.position,
        "education": p.education,
        "professional_title": p.professional_title,
        "arrival_year": p.arrival_year,
    }


def count(dimension, key, standing, year) -> int:
    row = TalentCount.objects.filter(
        dimension=dimension, key=key, standing=standing, arrival_year=year
    ).first()
    return row.n if row else 0


def stored() -> dict:
    return {
        (r.dimension, r.key, r.standing, r.arrival_year): r.n
        for r in TalentCount.objects.all()
        if r.n
    }


# --- the profile follows the card -----------------------------------------------------------
def test_the_approval_creates_the_profile_with_the_applications_facts_and_tier(
    talent, admin_user, client_for
):
    assert not TalentProfile.objects.filter(holder=talent).exists()
    card = approve(talent, admin_user, client_for, **DOCTOR)
    assert facts(profile(talent)) == {
        "card": card.pk,
        "tier": "C",  # D02 and C03: the highest accepted
        "standing": "active",
        "employer": "巴州区人民医院",
        "position": "主任医师",
        "education": "全日制博士研究生",
        "professional_title": "正高级",
        "arrival_year": 2024,
    }
    assert count("tier", "C", "active", 2024) == 1
    assert count("employer", "巴州区人民医院", "active", 2024) == 1
    assert count("arrival_year", "2024", "active", 2024) == 1
    assert count("industry_chain", "", "active", 2024) == 1  # not chosen yet
    assert rollups.differences() == []


def test_a_profile_made_before_the_card_is_counted_only_once_the_card_is_issued(
    talent, admin_user, client_for
):
    early = profile_of(talent)  # the talent opened 人才信息 before applying
    assert (early.card_id, early.standing) == (None, "")
    assert rollups.cells(early) == []
    profile_update(user=talent, data={"industry_chain": "biomedicine"})
    assert not TalentCount.objects.filter(n__gt=0).exists()
    approve(talent, admin_user, client_for, **DOCTOR)
    assert profile(talent).pk == early.pk
    assert count("industry_chain", "biomedicine", "active", 2024) == 1
    assert rollups.differences() == []


def test_a_change_application_updates_the_facts_and_the_tier(talent, admin_user, client_for):
    card = approve(talent, admin_user, client_for, **DOCTOR)
    change = {
        "employer": "巴中市中心医院",
        "position": "副院长",
        "education": "",  # not given again: the profile keeps what it had
        "professional_title": "",
        "arrival_date": "2025-07-01",
    }
    approve(talent, admin_user, client_for, ("D02",), kind="change", **change)
    assert facts(profile(talent)) == {
        "card": card.pk,  # the same card
        "tier": "D",
        "standing": "active",
        "employer": "巴中市中心医院",
        "position": "副院长",
        "education": "全日制博士研究生",
        "professional_title": "正高级",
        "arrival_year": 2025,
    }
    # The cells moved: nothing left under the old employer, tier or arrival year.
    assert count("employer", "巴州区人民医院", "active", 2024) == 0
    assert count("tier", "C", "active", 2024) == 0
    assert count("employer", "巴中市中心医院", "active", 2025) == 1
    assert count("tier", "D", "active", 2025) == 1
    assert rollups.differences() == []


def test_a_renewal_updates_the_tier_and_facts(talent, admin_user, client_for):
    card = approve(talent, admin_user, client_for, ("D02",), **DOCTOR)
    assert profile(talent).tier == "D"
    # The renewal window opens 90 days before the end date.
    Card.objects.filter(pk=card.pk).update(valid_until=datetime.date(2027, 1, 31))
    approve(
        talent, admin_user, client_for, ("D02", "C03"), kind="renewal",
        **{**DOCTOR, "position": "科主任"},
    )  # fmt: skip
    p = profile(talent)
    assert (p.card_id, p.tier, p.position, p.standing) == (card.pk, "C", "科主任", "active")
    assert count("tier", "D", "active", 2024) == 0
    assert count("tier", "C", "active", 2024) == 1
    assert rollups.differences() == []


def test_suspend_reinstate_revoke_and_a_new_card_move_the_standing(talent, admin_user, client_for):
    card = approve(talent, admin_user, client_for, **DOCTOR)
    steps = []

    def step():
        p = profile(talent)
        steps.append((p.standing, count("tier", "C", p.standing, 2024)))
        assert rollups.differences() == []

    card_suspend(card=card, actor=admin_user, reason="核查中")
    step()
    assert count("tier", "C", "active", 2024) == 0
    card_reinstate(card=Card.objects.get(pk=card.pk), actor=admin_user)
    step()
    card_revoke(card=Card.objects.get(pk=card.pk), actor=admin_user, reason="已调离巴州区")
    step()
    assert steps == [("suspended", 1), ("active", 1), ("departed", 1)]
    assert count("tier", "C", "active", 2024) == 0
    # Back in Bazhou with a new card: counted once, under the new card.
    new = approve(talent, admin_user, client_for, ("D02",), **DOCTOR)
    p = profile(talent)
    assert (p.card_id, p.standing, p.tier) == (new.pk, "active", "D")
    assert count("tier", "C", "departed", 2024) == 0
    assert count("tier", "D", "active", 2024) == 1
    assert TalentCount.objects.filter(dimension="tier").exclude(n=0).count() == 1
    assert rollups.differences() == []


def test_an_expired_card_departs_and_a_card_issued_over_it_is_active(
    talent, admin_user, client_for
):
    card = approve(talent, admin_user, client_for, **DOCTOR)
    Card.objects.filter(pk=card.pk).update(valid_until=datetime.date(2026, 1, 31))
    assert card_expire_due() == 1
    assert profile(talent).standing == "departed"
    assert count("tier", "C", "departed", 2024) == 1
    assert rollups.differences() == []
    # An expired card the nightly job has not marked yet: the new card's approval expires it
    # and the profile follows the new card.
    other = TalentFactory(real_name="赵六")
    old = approve(other, admin_user, client_for, **DOCTOR)
    Card.objects.filter(pk=old.pk).update(valid_until=datetime.date(2026, 1, 31))
    new = approve(other, admin_user, client_for, ("D02",), **DOCTOR)
    assert Card.objects.get(pk=old.pk).status == "expired"
    p = profile(other)
    assert (p.card_id, p.standing, p.tier) == (new.pk, "active", "D")
    assert count("tier", "C", "departed", 2024) == 1  # the first talent only
    assert count("tier", "D", "active", 2024) == 1
    assert rollups.differences() == []


def test_profile_refresh_is_idempotent(talent, admin_user, client_for):
    approve(talent, admin_user, client_for, **DOCTOR)
    before, cells = profile(talent), stored()
    again = profile_refresh(talent.pk)
    assert facts(again) == facts(before) and again.updated_at == before.updated_at
    assert stored() == cells


# --- what the talent keeps --------------------------------------------------------------------
@pytest.fixture
def holder(talent, admin_user, client_for):
    approve(talent, admin_user, client_for, **DOCTOR)
    return talent


def refused(user, data) -> dict:
    with time_machine.travel(MID_2026, tick=False), pytest.raises(ValidationError) as caught:
        profile_update(user=user, data=data)
    return caught.value.message_dict


def update(user, data, **kw) -> TalentProfile:
    with time_machine.travel(MID_2026, tick=False):
        return profile_update(user=user, data=data, **kw)


OUTPUT = {"kind": "paper", "title": "巴州区人才发展研究", "year": 2024, "ref": "巴中学刊 2024(3)"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"industry_chain": "tourism"}, "industry_chain"),
        ({"specialties": "中医"}, "specialties"),
        ({"specialties": ["中医", "  "]}, "specialties"),
        ({"specialties": ["中医", 3]}, "specialties"),
        ({"specialties": ["长" * 31]}, "specialties"),
        ({"specialties": [f"特长{i}" for i in range(11)]}, "specialties"),
        ({"outputs": {"kind": "paper"}}, "outputs"),
        ({"outputs": [OUTPUT] * 51}, "outputs"),
        ({"outputs": ["论文"]}, "outputs.0"),
        ({"outputs": [{**OUTPUT, "kind": "essay"}]}, "outputs.0.kind"),
        ({"outputs": [{**OUTPUT, "title": " "}]}, "outputs.0.title"),
        ({"outputs": [{**OUTPUT, "title": "题" * 201}]}, "outputs.0.title"),
        ({"outputs": [{**OUTPUT, "year": 1949}]}, "outputs.0.year"),
        ({"outputs": [{**OUTPUT, "year": 2027}]}, "outputs.0.year"),  # after this year
        ({"outputs": [{**OUTPUT, "year": True}]}, "outputs.0.year"),
        ({"outputs": [{**OUTPUT, "year": "二〇二四"}]}, "outputs.0.year"),
        ({"outputs": [{**OUTPUT, "ref": 12}]}, "outputs.0.ref"),
        ({"outputs": [{**OUTPUT, "ref": "x" * 201}]}, "outputs.0.ref"),
        ({"outputs": [{**OUTPUT, "doi": "10.1/x"}]}, "outputs.0"),
        ({"hobby": "登山"}, "hobby"),
        ({"employer": "别处"}, "employer"),
        ({"position": "院长"}, "position"),
        ({"education": "硕士研究生"}, "education"),
        ({"professional_title": ""}, "professional_title"),  # clearing is a change too
    ],
)
def test_each_rule(holder, data, key):
    errors = refused(holder, data)
    assert list(errors) == [key]
    assert not AuditEvent.objects.filter(action="talent_profile.update").exists()


def test_every_error_at_once_and_nothing_written(holder):
    errors = refused(
        holder,
        {
            "industry_chain": "tourism",
            "specialties": ["长" * 31],
            "outputs": [OUTPUT, {**OUTPUT, "kind": "x", "year": 1900}, {"title": ""}],
            "employer": "别处",
            "hobby": "登山",
        },
    )
    assert set(errors) == {
        "industry_chain", "specialties", "outputs.1.kind", "outputs.1.year", "outputs.2.kind",
        "outputs.2.title", "outputs.2.year", "employer", "hobby",
    }  # fmt: skip
    assert "信息变更" in errors["employer"][0]
    p = profile(holder)
    assert (p.industry_chain, p.specialties, p.outputs.count()) == ("", [], 0)


def test_card_facts_echoed_unchanged_are_ignored_and_the_rest_saved(holder):
    p = update(
        holder,
        {
            **{name: getattr(profile(holder), name) for name in CARD_FACTS},
            "industry_chain": "culture_tourism_health",
            "specialties": [" 中医康养 ", "中医康养", "文旅规划"],
            "outputs": [OUTPUT, {"kind": "patent", "title": "一种康养床", "year": "2025"}],
        },
    )
    assert p.industry_chain == "culture_tourism_health"
    assert p.specialties == ["中医康养", "文旅规划"]  # trimmed, duplicates dropped
    assert list(p.outputs.order_by("n").values_list("n", "kind", "title", "year", "ref")) == [
        (1, "paper", "巴州区人才发展研究", 2024, "巴中学刊 2024(3)"),
        (2, "patent", "一种康养床", 2025, ""),
    ]
    assert p.employer == "巴州区人民医院"
    assert count("industry_chain", "culture_tourism_health", "active", 2024) == 1
    assert count("industry_chain", "", "active", 2024) == 0
    assert rollups.differences() == []


def test_outputs_are_replaced_in_the_order_given_with_an_audit_row(holder):
    first = update(holder, {"outputs": [OUTPUT]}, ip="10.1.2.3")
    old_ids = set(first.outputs.values_list("pk", flat=True))
    given = [
        {"kind": "book", "title": "康养产业导论", "year": 2023},
        {**OUTPUT, "title": "第二篇论文"},
        {"kind": "award", "title": "四川省科技进步奖", "year": 2022, "ref": "川府〔2022〕1号"},
    ]
    p = update(holder, {"outputs": given})
    rows = list(p.outputs.order_by("n"))
    assert [(o.n, o.title) for o in rows] == [
        (1, "康养产业导论"),
        (2, "第二篇论文"),
        (3, "四川省科技进步奖"),
    ]
    assert not ResearchOutput.objects.filter(pk__in=old_ids).exists()
    events = list(
        AuditEvent.objects.filter(action="talent_profile.update", object_id=str(p.pk)).order_by(
            "pk"
        )
    )
    assert [(e.actor_id, e.detail["changed"], e.detail["outputs"]) for e in events] == [
        (holder.pk, "outputs", 1),
        (holder.pk, "outputs", 3),
    ]
    assert events[0].ip == "10.1.2.3"
    # The same again changes nothing and writes no audit row.
    update(holder, {"outputs": given, "specialties": []})
    assert AuditEvent.objects.filter(action="talent_profile.update").count() == 2
    # An empty list clears them.
    assert update(holder, {"outputs": []}).outputs.count() == 0


def test_only_the_talent_edits_their_own_profile(holder, admin_user, handler):
    for person in (admin_user, handler):
        with pytest.raises(NotAllowed):
            profile_update(user=person, data={"industry_chain": "other"})
    # A refused edit leaves no profile behind for the staff account.
    assert not TalentProfile.objects.filter(holder__in=[admin_user, handler]).exists()
    assert profile(holder).industry_chain == ""


# --- the rollup -------------------------------------------------------------------------------
def a_sequence(admin_user, client_for, *, chains=True) -> list:
    """Five talents through issue, change, suspend, revoke, expiry and profile edits."""
    people = [TalentFactory(real_name=f"人才{i}") for i in range(5)]
    cards = [
        approve(people[0], admin_user, client_for, **DOCTOR),
        approve(people[1], admin_user, client_for, ("D02",), **{**DOCTOR, "arrival_date": None}),
        approve(
            people[2],
            admin_user,
            client_for,
            ("C03",),
            employer="巴中市中心医院",
            education="硕士研究生",
            arrival_date="2025-05-01",
        ),
        approve(people[3], admin_user, client_for, **DOCTOR),
        approve(people[4], admin_user, client_for, ("D02",), **DOCTOR),
    ]
    approve(
        people[0], admin_user, client_for, ("D02",), kind="change",
        employer="巴州区中医医院", professional_title="副高级", arrival_date="2023-09-01",
    )  # fmt: skip
    card_suspend(card=cards[1], actor=admin_user, reason="核查中")
    card_revoke(card=cards[3], actor=admin_user, reason="已调离巴州区")
    Card.objects.filter(pk=cards[4].pk).update(valid_until=datetime.date(2026, 2, 1))
    card_expire_due()
    if chains:
        update(people[0], {"industry_chain": "biomedicine"})
        update(people[2], {"industry_chain": "food_beverage", "specialties": ["酿造"]})
        update(people[2], {"industry_chain": "new_energy_materials"})
    return people


def test_the_rollup_equals_a_recount_after_a_sequence_and_rebuild_gives_the_same(
    admin_user, client_for
):
    people = a_sequence(admin_user, client_for)
    assert rollups.differences() == []
    cells = stored()
    assert cells[("industry_chain", "new_energy_materials", "active", 2025)] == 1
    assert cells[("tier", "D", "active", 2023)] == 1  # people[0] after the change
    assert cells[("tier", "D", "suspended", 0)] == 1  # no arrival date given
    assert cells[("tier", "C", "departed", 2024)] == 1  # revoked
    assert cells[("tier", "D", "departed", 2024)] == 1  # expired
    assert sum(n for (d, *_), n in cells.items() if d == "tier") == len(people)
    assert rollups.rebuild() == len(TalentCount.objects.all())
    assert stored() == cells
    assert rollups.differences() == []


def test_the_migration_fill_gives_the_same_profiles_and_rollup(admin_user, client_for):
    a_sequence(admin_user, client_for, chains=False)
    profiles = {p.holder_id: facts(p) for p in TalentProfile.objects.all()}
    cells = stored()
    TalentProfile.objects.all().delete()
    TalentCount.objects.all().delete()
    migration = importlib.import_module("talents.migrations.0002_fill_profiles")
    migration.fill(django_apps, None)
    assert {p.holder_id: facts(p) for p in TalentProfile.objects.all()} == profiles
    assert stored() == cells
    assert rollups.differences() == []


def test_the_nightly_reconcile_fixes_a_broken_cell(admin_user, client_for):
    a_sequence(admin_user, client_for)
    cells = stored()
    assert rollup_reconcile() == 0
    TalentCount.objects.filter(dimension="tier", key="D", standing="active").update(n=7)
    TalentCount.objects.filter(dimension="employer", standing="departed").delete()
    broken = rollups.differences()
    assert len(broken) >= 2
    assert rollup_reconcile() == len(broken)
    assert stored() == cells
    assert rollups.differences() == []
    assert rollup_reconcile() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_edits_and_card_changes_at_once_keep_the_rollup_right(admin_user, client_for):
    """Six talents move the same cells at once (their chain, two cards suspended): the cells
    are written in a fixed order (no deadlock) and every move lands."""
    people = [TalentFactory(real_name=f"并发{i}") for i in range(6)]
    cards = [approve(person, admin_user, client_for, **DOCTOR) for person in people]
    barrier = threading.Barrier(len(people) + 2)
    failures = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    jobs = [
        (lambda p=p: profile_update(user=p, data={"industry_chain": "biomedicine"})) for p in people
    ]
    jobs += [
        (lambda c=c: card_suspend(card=c, actor=admin_user, reason="核查中")) for c in cards[:2]
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert count("industry_chain", "biomedicine", "active", 2024) == 4
    assert count("industry_chain", "biomedicine", "suspended", 2024) == 2
    assert count("industry_chain", "", "active", 2024) == 0
    assert rollups.differences() == []
