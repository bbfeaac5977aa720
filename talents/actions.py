"""What happens in the talent database and the liaison service, as people read it: the audit
actions and the liaison's timeline; registered from TalentsConfig.ready()."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.audit import AuditAction, register_actions
from portal.auditlog import register_detail_labels, register_object_labels


class ProfileAction(AuditAction):
    UPDATE = "talent_profile.update", "更新人才信息"
    EXPORT = "talent_profile.export", "导出人才画像统计"


class LiaisonAction(AuditAction):
    ASSIGN = "liaison.assign", "确定联系领导和服务专员"
    CHANGE = "liaison.change", "调整联系服务"
    VISIT = "liaison.visit", "记录走访"
    CONCERN_CONFIRM = "liaison.concern_confirm", "本人确认代办诉求"
    CONCERN_DECLINE = "liaison.concern_decline", "本人不同意代办诉求"
    CONCERN_RESOLVE = "liaison.concern_resolve", "诉求标记为已解决"


class LiaisonStep(models.TextChoices):
    ASSIGNED = "assigned", _("确定联系服务")
    CHANGED = "changed", _("调整联系服务")
    VISITED = "visited", _("走访")
    # A concern's own steps (talents.visits), labelled as the concern's statuses are.
    CONCERN_FILED = "concern_filed", _("已代办提交")
    CONCERN_DECLINED = "concern_declined", _("本人未同意代办")
    CONCERN_RESOLVED = "concern_resolved", _("已解决")


def _profile_labels(ids: list[str]) -> dict[str, str]:
    return {pk: f"人才信息 #{pk}" for pk in ids}


def _liaison_labels(ids: list[str]) -> dict[str, str]:
    from talents.models import Liaison

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = Liaison.objects.filter(pk__in=pks).values_list("pk", "card__number")
    return {str(pk): f"联系服务 {number}" for pk, number in rows}


def _concern_labels(ids: list[str]) -> dict[str, str]:
    return {pk: f"走访诉求 #{pk}" for pk in ids}


def register() -> None:
    register_actions(ProfileAction, label="人才信息")
    register_actions(LiaisonAction, label="联系服务")
    register_object_labels("talents.talentprofile", _profile_labels)
    register_object_labels("talents.liaison", _liaison_labels)
    register_object_labels("talents.concern", _concern_labels)
    register_detail_labels(
        {
            "changed": ("修改项", None),
            "outputs": ("科研成果数", None),
            "leader": ("联系领导", None),
            "officer": ("服务专员", None),
            "visit_every_days": ("走访周期（天）", None),
            "visited_on": ("走访日期", None),
            "mode": ("方式", {"in_person": "上门走访", "phone": "电话联系", "online": "线上联系"}),
            "concerns": ("诉求数", None),
            "filed": ("代办申请数", None),
            "group_by": ("统计维度", None),
        }
    )
