"""Demo data of the talents layer (``seed_demo``): every card holder's profile, the demo
talent's specialties and outputs, a liaison for the demo talent served by demo_staff with a
first visit, and the rollup recounted."""

import datetime

from django.utils import timezone

from cards.issuance import live_card
from cards.models import Card
from portal.models import User
from talents import rollups
from talents.models import Liaison, ResearchOutput, TalentProfile
from talents.profiles import profile_refresh


def seed_demo_talents() -> str:
    holders = set(Card.objects.values_list("holder_id", flat=True))
    for holder_id in sorted(holders):
        profile_refresh(holder_id)
    talent = User.objects.filter(username="demo_talent").first()
    card = live_card(talent) if talent is not None else None
    said = [f"人才信息库：{len(holders)} 名持卡人。"]
    if card is not None:
        from cards.models import CardApplication

        app = (
            CardApplication.objects.filter(card=card, status="approved")
            .order_by("-decided_at", "-id")
            .first()
        )
        profile = profile_refresh(talent.pk, application=app)
        if not profile.industry_chain:
            TalentProfile.objects.filter(pk=profile.pk).update(
                industry_chain="culture_tourism_health",
                specialties=["康养旅游规划", "森林康养基地运营"],
            )
            ResearchOutput.objects.get_or_create(
                profile=profile,
                n=1,
                defaults={
                    "kind": "paper",
                    "title": "川东北森林康养旅游发展路径研究",
                    "year": 2025,
                    "ref": "《四川旅游》2025年第3期",
                },
            )
        officer = User.objects.filter(username="demo_staff").first()
        admin = User.objects.filter(username="demo_admin").first()
        if officer is not None and not Liaison.objects.filter(card=card).exists():
            from talents.liaisons import liaison_assign
            from talents.visits import visit_record

            liaison, _ = liaison_assign(
                card=card,
                leader="区委副书记 张某",
                officer=officer.username,
                visit_every_days=90,
                actor=admin,
            )
            visit_record(
                liaison=liaison,
                actor=officer,
                visited_on=timezone.localdate() - datetime.timedelta(days=30),
                mode="in_person",
                summary="到单位走访，了解科研和生活情况，人才对园区配套总体满意。",
                concerns=[{"text": "希望园区增开通勤班车。"}],
            )
            said.append("联系服务：demo_talent 的服务专员为 demo_staff（每90天走访一次）。")
    rollups.rebuild()
    return "".join(said)
