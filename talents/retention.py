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

A concern of a sensitive type (medical, minors) that the talent has not confirmed or declined
within a month of the visit's record is closed as not agreed, and what the officer typed of it
is erased (《个人信息处理规则》: 1 个月内未确认的……即删除).
"""

from django.db.models import Q
from django.utils.translation import gettext_noop

from portal.retention import ERASED_TEXT, Period, Rule, register
from talents.models import (
    Concern,
    ConcernStatus,
    ResearchOutput,
    Standing,
    TalentProfile,
    Visit,
)


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


def due_unanswered(cutoff):
    """Concerns of a sensitive type still awaiting the talent's consent, recorded before
    ``cutoff`` (index concern_open_idx)."""
    return (
        Concern.objects.filter(status=ConcernStatus.AWAITING_CONSENT, visit__recorded_at__lt=cutoff)
        .order_by("id")
        .only("pk")
    )


def unanswered_close(row, now) -> int:
    """Close a concern the talent never answered: what the officer typed of a medical or
    minor's matter goes; the concern reads as not agreed, with the reason."""
    concern = (
        Concern.objects.select_for_update()
        .filter(pk=row.pk, status=ConcernStatus.AWAITING_CONSENT)
        .first()
    )
    if concern is None:
        return 0
    Concern.objects.filter(pk=concern.pk).update(
        status=ConcernStatus.DECLINED, fields={}, resolution=UNANSWERED
    )
    return 1


# What a concern closed unanswered says (shown to the talent and the officer; the talent's
# page translates it).
UNANSWERED = gettext_noop("一个月内未确认，已自动关闭，服务专员记录的申请内容已删除。")


def register_rules() -> None:
    # Sensitive details typed for a talent who never answered: kept one month.
    register(
        Rule(
            name="talents.unanswered_concerns",
            label="待本人确认的代办诉求",
            period=Period(months=1),
            due=due_unanswered,
            handle=unanswered_close,
            row_label=lambda row: f"走访诉求 #{row.pk}",
        )
    )
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
