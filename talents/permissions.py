"""Who may do what to a profile, a liaison and a concern (portal.permissions.Table). The
domain functions (talents.profiles, talents.liaisons, talents.visits) call ``require``; pages,
templates and the API ask ``allowed`` / ``offered``.

The organization department (人才办) sees every profile and assigns liaisons; a service
officer (any staff, lead or admin account named on a liaison) records visits for the holders
they serve; the talent keeps their own profile and confirms or declines what an officer would
file for them that needs their own consent.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cards.models.cards import LIVE_STATUSES
from portal.models import Role
from portal.permissions import Rule, Table, active
from talents.models import ConcernStatus as C


def _talent_self(user, profile) -> bool:
    return active(user) and user.role == Role.TALENT and user.pk == profile.holder_id


def _admin(user, obj) -> bool:
    return active(user) and user.role == Role.ADMIN


def _self_or_admin(user, profile) -> bool:
    return _talent_self(user, profile) or _admin(user, profile)


PROFILE_RULES = {
    "edit": Rule(_talent_self, None, _("只有本人可以维护自己的人才信息。")),
    "view": Rule(_self_or_admin, None, _("只有本人和组织部人才办可以查看人才信息。")),
    # 人才画像's counts (no one profile: asked with None).
    "export_counts": Rule(_admin, None, _("人才画像仅组织部人才办可以导出。")),
}
PROFILES = Table(PROFILE_RULES, noun=pgettext_lazy("noun", "人才信息"), state=lambda p: "")


def _officer(user, liaison) -> bool:
    return (
        active(user)
        and user.role in (Role.STAFF, Role.LEAD, Role.ADMIN)
        and (user.pk == liaison.officer_id)
    )


def _officer_or_admin(user, liaison) -> bool:
    return _officer(user, liaison) or _admin(user, liaison)


def _card_state(liaison) -> str:
    return "live" if liaison.card.status in LIVE_STATUSES else "ended"


def _card_label(liaison) -> str:
    return str(_("优才卡有效")) if _card_state(liaison) == "live" else str(_("优才卡已失效"))


LIAISON_RULES = {
    "assign": Rule(
        _admin,
        ("live",),
        _("只有组织部人才办可以确定联系领导和服务专员。"),
        pgettext_lazy("cannot", "确定联系服务"),
    ),
    "visit": Rule(
        _officer_or_admin,
        ("live",),
        _("只有该人才的服务专员或组织部人才办可以记录走访。"),
        pgettext_lazy("cannot", "记录走访"),
    ),
}
LIAISONS = Table(
    LIAISON_RULES, noun=pgettext_lazy("noun", "联系服务"), state=_card_state, label=_card_label
)


def _concern_owner(user, concern) -> bool:
    return active(user) and user.role == Role.TALENT and user.pk == concern.visit.liaison.talent_id


def _concern_officer(user, concern) -> bool:
    return _officer_or_admin(user, concern.visit.liaison)


CONCERN_RULES = {
    # The talent files what needs their own separate consent (medical, minors).
    "confirm": Rule(
        _concern_owner,
        (C.AWAITING_CONSENT,),
        _("只有本人可以确认。"),
        pgettext_lazy("cannot", "确认代办"),
    ),
    "decline": Rule(
        _concern_owner,
        (C.AWAITING_CONSENT,),
        _("只有本人可以确认。"),
        pgettext_lazy("cannot", "不同意代办"),
    ),
    # A concern without a request is resolved when the officer says so.
    "resolve": Rule(
        _concern_officer,
        (C.NOTED, C.DECLINED),
        _("只有该人才的服务专员或组织部人才办可以办理。"),
        pgettext_lazy("cannot", "标记为已解决"),
    ),
}
CONCERNS = Table(CONCERN_RULES, noun=pgettext_lazy("noun", "诉求"))


def serves(user) -> bool:
    """Whether ``user`` may be named a service officer (staff, lead or admin)."""
    return bool(active(user) and user.role in (Role.STAFF, Role.LEAD, Role.ADMIN))
