"""The portal's privacy texts and the consents given to them (PIPL art. 14–17, 29, 31).

The current version of each text lives here and nowhere else: the pages show it, the consent
checkboxes link to it, and every consent records the version it was given to. A new version
of a text is a new ``version`` (and ``effective``) here; the template always holds the current
wording (earlier wordings stay in the repository's history, named by version in the commit that
changed them); old consents keep the version they agreed to.

Versions: 1.0 (2026-12-01); 1.1 (2026-12-06) says what the nightly retention job does when a period
ends (content erased, a record without content kept) instead of "deleted"; the rules' 1.2
(2026-12-06) add the talent database's counts (人才画像), 一对一联系服务 (visit records, requests
filed for the talent, the service officer) and their retention period.
"""

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from portal.auditlog import object_labels
from portal.models import ConsentRecord

PRIVACY_RULES = "privacy_rules"
SENSITIVE_NOTICE = "sensitive_notice"


@dataclass(frozen=True)
class PrivacyText:
    document: str
    title: str
    version: str
    effective: datetime.date
    url_name: str
    template: str

    @property
    def effective_text(self) -> str:
        # "2026年12月1日" in Chinese (the locale's DATE_FORMAT), "Dec. 1, 2026" in English.
        return date_format(self.effective)


TEXTS = {
    PRIVACY_RULES: PrivacyText(
        document=PRIVACY_RULES,
        title=_("个人信息处理规则"),
        version="1.2",
        effective=datetime.date(2026, 12, 6),
        url_name="portal:privacy",
        template="portal/privacy_rules.html",
    ),
    SENSITIVE_NOTICE: PrivacyText(
        document=SENSITIVE_NOTICE,
        title=_("敏感个人信息处理告知"),
        version="1.1",
        effective=datetime.date(2026, 12, 6),
        url_name="portal:privacy-sensitive",
        template="portal/privacy_sensitive.html",
    ),
}

# Who answers for the processing (PIPL art. 17: the processor's name and contact). The address
# and phone are placeholders until the organization department publishes its own: the pages
# show them as such, never as a real-looking number.
CONTROLLER = gettext_noop("中共巴中市巴州区委组织部（人才办）")
CONTACT_ADDRESS = gettext_noop("【待区委组织部（人才办）公布办公地址】")
CONTACT_PHONE = gettext_noop("【待区委组织部（人才办）公布咨询电话】")
# How long a request to exercise one's rights may take (GB/T 35273-2020 §8.7).
ANSWER_WORKING_DAYS = 15

# Who gives the consent to a minors' matter: the applicant, as the child's guardian (art. 31).
GUARDIAN = gettext_noop("监护人")


def consent_record(*, user, document: str, obj=None, given_by: str = "") -> ConsentRecord:
    """Write down that ``user`` agreed to the current version of ``document`` (for ``obj``,
    e.g. the request it came with). Call it inside the transaction of what the consent is
    for, so that the two exist together or not at all."""
    text = TEXTS[document]
    return ConsentRecord.objects.create(
        user=user,
        document=document,
        version=text.version,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        given_by=given_by,
    )


def consents_of(user) -> list[dict]:
    """``user``'s consents, newest first, as their account page lists them: each with what it
    was given for (the request's number, through the audit log's object labels)."""
    rows = list(ConsentRecord.objects.filter(user=user).order_by("-given_at", "-id"))
    labels = object_labels((row.object_type, row.object_id) for row in rows)
    return [
        {
            "title": TEXTS[row.document].title if row.document in TEXTS else row.document,
            "url_name": TEXTS[row.document].url_name if row.document in TEXTS else "",
            "version": row.version,
            "given_at": row.given_at,
            "given_by": row.given_by,
            "object_label": labels.get((row.object_type, row.object_id), ""),
        }
        for row in rows
    ]


def privacy_context() -> dict:
    """What the privacy pages and the consent checkboxes show of the texts."""
    return {
        "privacy_rules": TEXTS[PRIVACY_RULES],
        "sensitive_notice": TEXTS[SENSITIVE_NOTICE],
        "controller": gettext(CONTROLLER),
        "contact_address": gettext(CONTACT_ADDRESS),
        "contact_phone": gettext(CONTACT_PHONE),
        "answer_days": ANSWER_WORKING_DAYS,
    }
