"""Who may do what to a card and to a card application, and from which states: the tables
(portal.permissions.Table). The domain functions (cards.applications, cards.issuance,
cards.reveal) call ``require``; pages and templates ask ``allowed`` / ``offered`` (the card
page's 暂停 / 恢复 / 注销 buttons are exactly the verbs allowed now)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cards.models import CardApplication
from cards.models.applications import EDITABLE_STATUSES, ApplicationStatus
from cards.models.cards import LIVE_STATUSES, CardStatus
from portal.models import Role
from portal.permissions import Rule, Table, active


def _admin(user, obj) -> bool:
    return active(user) and user.role == Role.ADMIN


def _applicant(user, app: CardApplication) -> bool:
    return active(user) and user.role == Role.TALENT and user.pk == app.talent_id


def _holder(user, card) -> bool:
    return active(user) and user.role == Role.TALENT and user.pk == card.holder_id


def _for_themselves(user, person) -> bool:
    """A talent applying for their own card (``person``: who the application is for)."""
    return active(user) and user.role == Role.TALENT and user.pk == person.pk


CARD_RULES = {
    "suspend": Rule(
        _admin,
        (CardStatus.ACTIVE,),
        _("只有组织部人才办可以管理优才卡。"),
        state_message=_("只有有效状态的优才卡可以暂停。"),
    ),
    "reinstate": Rule(
        _admin,
        (CardStatus.SUSPENDED,),
        _("只有组织部人才办可以管理优才卡。"),
        state_message=_("只有已暂停的优才卡可以恢复。"),
    ),
    "revoke": Rule(
        _admin,
        LIVE_STATUSES,
        _("只有组织部人才办可以管理优才卡。"),
        state_message=_("该优才卡已注销或已过期，不能再注销。"),
    ),
    # Keeping the card (cards.keep): the holder's own PDF e-certificate and phone image, of a
    # card that is valid now. An active card past its end date is refused too (cards.keep
    # checks the effective status; the table reads the stored one).
    "download_certificate": Rule(
        _holder,
        (CardStatus.ACTIVE,),
        _("只有持卡人本人可以下载电子证书。"),
        state_message=_("您的优才卡当前{status}，不能下载电子证书。"),
    ),
    "download_image": Rule(
        _holder,
        (CardStatus.ACTIVE,),
        _("只有持卡人本人可以保存优才卡图片。"),
        state_message=_("您的优才卡当前{status}，不能保存优才卡图片。"),
    ),
}
CARDS = Table(CARD_RULES, noun=pgettext_lazy("noun", "优才卡"))

REVIEWER = _("只有组织部人才办可以审核申请。")
SUBMITTED = (ApplicationStatus.SUBMITTED,)
APPLICATION_RULES = {
    # ``obj`` is the person the application is for (there is no application yet).
    "create": Rule(_for_themselves, None, _("只有人才账户可以申请优才卡。")),
    "edit": Rule(
        _applicant,
        EDITABLE_STATUSES,
        _("只有申请人可以修改申请。"),
        pgettext_lazy("cannot", "修改"),
    ),
    "add_document": Rule(
        _applicant,
        EDITABLE_STATUSES,
        _("只有申请人可以上传材料。"),
        pgettext_lazy("cannot", "修改"),
    ),
    "remove_document": Rule(
        _applicant,
        EDITABLE_STATUSES,
        _("只有申请人可以删除材料。"),
        pgettext_lazy("cannot", "修改"),
    ),
    "submit": Rule(
        _applicant,
        EDITABLE_STATUSES,
        _("只有申请人可以提交申请。"),
        pgettext_lazy("cannot", "提交"),
    ),
    "return": Rule(_admin, SUBMITTED, REVIEWER, pgettext_lazy("cannot", "退回")),
    "approve": Rule(_admin, SUBMITTED, REVIEWER, pgettext_lazy("cannot", "认定")),
    "reject": Rule(_admin, SUBMITTED, REVIEWER, pgettext_lazy("cannot", "作出不予认定决定")),
    "reveal": Rule(_admin, None, _("只有组织部人才办可以查看申请人的完整信息。")),
}
APPLICATIONS = Table(APPLICATION_RULES, noun=pgettext_lazy("noun", "申请"))


def reviews(user) -> bool:
    """Whether ``user`` reviews card applications (the table's return/approve/reject), for
    pages that list applications to review before any one of them is at hand (the 督办 list,
    the morning digest)."""
    return bool(APPLICATION_RULES["approve"].who(user, None))
