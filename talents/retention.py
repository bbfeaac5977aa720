"""The retention period of the talent database and the liaison records (registered with
portal.retention).

《个人信息处理规则》 part 四: 人才信息（专业特长、科研成果）和联系服务记录（走访情况、反映的诉求）
are kept while the card lives and for 3 years after it expired or was revoked, exactly as the
card's own details: the rule runs on holders who have departed and whose card the cards rule
has already erased (cards.retention, 3 years after the card ended). It erases the specialties,
the research outputs, the visits' summaries and the concerns' texts, fields and resolutions.
What 人才画像 and the coverage figures count stays: the profile's tier, industry chain,
education, title, employer and arrival year, and the bare visit and concern rows (dates, mode,
status).
"""

from django.db.models import Q

from portal.retention import ERASED_TEXT, Period, Rule, register
from talents.models import Concern, ResearchOutput, Standing, TalentProfile, Visit


def due_profiles(cutoff):
    """Departed holders whose latest card was erased by ``cutoff`` (the card rule's own
    3 years have run), not erased yet (index profile_retention_idx)."""
    return (
        TalentProfile.objects.filter(
            standing=Standing.DEPARTED,
            erased_at__isnull=True,
            card__erased_at__isnull=False,
            card__erased_at__lte=cutoff,
        )
        .order_by("id")
        .only("pk")
    )


def profile_erase(row, now) -> int:
    profile = (
        TalentProfile.objects.select_for_update()
        .filter(pk=row.pk, standing=Standing.DEPARTED, erased_at__isnull=True)
        .first()
    )
    if profile is None:
        return 0
    ResearchOutput.objects.filter(profile=profile).delete()
    visits = Visit.objects.filter(liaison__card__holder_id=profile.holder_id)
    Concern.objects.filter(visit__in=visits).filter(~Q(text=ERASED_TEXT)).update(
        text=ERASED_TEXT, fields={}, resolution=""
    )
    visits.update(summary=ERASED_TEXT)
    TalentProfile.objects.filter(pk=profile.pk).update(specialties=[], erased_at=now)
    return 1


def register_rules() -> None:
    register(
        Rule(
            name="talents.profiles",
            label="人才信息和联系服务记录",
            # The card rule's 3 years have already run: erased the night after.
            period=Period(years=0),
            due=due_profiles,
            handle=profile_erase,
            row_label=lambda row: f"人才信息 #{row.pk}",
        )
    )
