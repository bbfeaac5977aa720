"""The card application: draft, documents, submit, return (一次告知), resubmit, approve, reject.

Each transition locks the application row, refuses an illegal from-state with
InvalidTransition (409, carrying the current status), writes an ApplicationEvent the talent
sees and an audit event, and notifies the talent, all in one transaction.
"""

import datetime
from contextlib import ExitStack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from cards.actions import ApplicationEventAction as Step
from cards.actions import CardApplicationAction
from cards.hooks import card_granted
from cards.issuance import card_change, card_issue, card_renew, live_card
from cards.models import (
    ApplicationDocument,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    CardApplication,
    CardStatus,
    Criterion,
    DocumentKind,
    Tier,
)
from cards.models.applications import OPEN_STATUSES
from cards.permissions import APPLICATIONS
from cards.photos import photo_check
from cards.review_clock import review_recompute, review_start, review_stop
from portal.audit import audit_record
from portal.errors import InvalidTransition
from portal.notify import notification_create
from portal.uploads import check_upload, delete_upload, stored_upload

RENEWAL_WINDOW_DAYS = 90
MAX_DOCUMENTS = 30
PROFILE_FIELDS = ("employer", "position", "industry", "education", "professional_title")
_MAX_LENGTHS = {
    "employer": 100,
    "position": 60,
    "industry": 60,
    "education": 30,
    "professional_title": 60,
}


def _lock(application: CardApplication) -> CardApplication:
    return CardApplication.objects.select_for_update().get(pk=application.pk)


def _event(app, actor, action, from_status, note="", items=(), at=None) -> None:
    ApplicationEvent.objects.create(
        application=app,
        at=at or timezone.now(),
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=app.status,
        note=note,
        items=list(items),
    )


def _notify_talent(app: CardApplication, kind: str, title, body="") -> None:
    """``title`` and ``body`` are lazy texts: portal.notify writes them in the talent's
    language."""
    notification_create(
        recipient=app.talent,
        kind=kind,
        title=title,
        body=body,
        link=reverse("cards:application", args=[app.pk]),
        urgent=True,
    )


def _invalid_kind() -> str:
    choices = pgettext("list separator", "、").join(map(str, DocumentKind.labels))
    return gettext("材料类型无效，可选：%(choices)s。") % {"choices": choices}


def _clean_fields(data: dict, errors: dict) -> dict:
    """Profile fields and criteria as given (only the keys present are returned)."""
    cleaned = {}
    for field in PROFILE_FIELDS:
        if field in data:
            value = " ".join(str(data[field] or "").split())
            if len(value) > _MAX_LENGTHS[field]:
                errors.setdefault(field, []).append(
                    gettext("不能超过%(n)s个字符。") % {"n": _MAX_LENGTHS[field]}
                )
            cleaned[field] = value
    if "arrival_date" in data:
        value = data["arrival_date"]
        if value and not isinstance(value, datetime.date):
            errors.setdefault("arrival_date", []).append(
                gettext("日期格式应为 年-月-日（如 2024-03-01）。")
            )
        elif value and value > timezone.localdate():
            errors.setdefault("arrival_date", []).append(gettext("来巴工作时间不能晚于今天。"))
        cleaned["arrival_date"] = value or None
    if "criteria" in data:
        codes = list(dict.fromkeys(data["criteria"] or []))
        found = {c.code: c for c in Criterion.objects.current().filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            errors.setdefault("criteria", []).append(
                gettext("认定条件不存在或已停用：%(codes)s。")
                % {"codes": "、".join(map(str, unknown))}
            )
        cleaned["criteria"] = [found[code] for code in codes if code in found]
    return cleaned


def _check_kind(talent, kind: str) -> tuple[str, object]:
    """Which card (if any) the application is about; ValidationError when the kind does not fit."""
    if kind not in ApplicationKind.values:
        choices = pgettext("list separator", "、").join(map(str, ApplicationKind.labels))
        raise ValidationError(
            {"kind": [gettext("申请类型无效，可选：%(choices)s。") % {"choices": choices}]}
        )
    card = live_card(talent)
    today = timezone.localdate()
    status = card.effective_status(today) if card else None
    if kind == ApplicationKind.NEW:
        # A card past its end date no longer counts, even before the nightly job marks it.
        if card is not None and status != CardStatus.EXPIRED:
            raise ValidationError(
                {"kind": [gettext("您已持有优才卡，如需续期或更换单位，请选择相应的申请类型。")]}
            )
        return kind, None
    if kind == ApplicationKind.RENEWAL and status == CardStatus.EXPIRED:
        return kind, card  # renewing a card that ran out while the talent was away
    if card is None or status != CardStatus.ACTIVE:
        raise ValidationError({"kind": [gettext("您没有有效的优才卡，请选择首次申请。")]})
    if kind == ApplicationKind.RENEWAL:
        opens = card.valid_until - datetime.timedelta(days=RENEWAL_WINDOW_DAYS)
        if today < opens:
            raise ValidationError(
                {
                    "kind": [
                        gettext("优才卡有效期至 %(until)s，可于 %(opens)s 起申请续期。")
                        % {"until": card.valid_until, "opens": opens}
                    ]
                }
            )
    return kind, card


def application_create(*, talent, kind: str = ApplicationKind.NEW, ip: str | None = None, **data):
    """Open a draft application. A talent has one open application at most (constraint
    ``cardapplication_one_open_per_talent``): a second one is a 409 naming the first."""
    APPLICATIONS.require(talent, "create", talent)
    existing = CardApplication.objects.filter(talent=talent, status__in=OPEN_STATUSES).first()
    if existing:
        raise InvalidTransition(
            gettext("您已有一份未办结的申请（%(status)s），请在该申请上继续办理。")
            % {"status": existing.get_status_display()},
            status=existing.status,
            code="open_application_exists",
            id=existing.pk,
        )
    errors: dict = {}
    try:
        kind, card = _check_kind(talent, kind or ApplicationKind.NEW)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        card = None
    cleaned = _clean_fields(data, errors)
    if errors:
        raise ValidationError(errors)
    criteria = cleaned.pop("criteria", [])
    try:
        with transaction.atomic():
            app = CardApplication.objects.create(talent=talent, kind=kind, card=card, **cleaned)
            app.criteria.set(criteria)
            _event(app, talent, Step.CREATED, "")
            audit_record(action=CardApplicationAction.CREATE, actor=talent, obj=app, ip=ip)
    except IntegrityError:
        existing = CardApplication.objects.filter(talent=talent, status__in=OPEN_STATUSES).first()
        raise InvalidTransition(
            gettext("您已有一份未办结的申请，请在该申请上继续办理。"),
            status=existing.status if existing else ApplicationStatus.DRAFT,
            code="open_application_exists",
            id=existing.pk if existing else None,
        ) from None
    return app


def application_update(*, application, actor, ip: str | None = None, **data) -> CardApplication:
    """Change the draft or returned application's fields and criteria (owner only)."""
    APPLICATIONS.require_who(actor, "edit", application)
    errors: dict = {}
    cleaned = _clean_fields(data, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        app = _lock(application)
        APPLICATIONS.require(actor, "edit", app)
        criteria = cleaned.pop("criteria", None)
        for field, value in cleaned.items():
            setattr(app, field, value)
        if cleaned:
            app.save(update_fields=list(cleaned))
        if criteria is not None:
            app.criteria.set(criteria)
        changed = [*cleaned, *(["criteria"] if criteria is not None else [])]
        audit_record(
            action=CardApplicationAction.UPDATE,
            actor=actor,
            obj=app,
            ip=ip,
            fields=changed,
        )
    return app


def returned_at(app: CardApplication):
    """When the application was last returned for correction (None if it never was): the
    documents uploaded before it are the ones the reviewer saw."""
    # Through app.events.all(): the pages have the events prefetched already.
    return max((e.at for e in app.events.all() if e.action == Step.RETURNED), default=None)


def _check_document(kind: str, upload, field: str = "file"):
    """The upload checked for its kind: ``(checked, what to store)``. The holder's photo is
    checked more strictly (cards.photos) and stored re-encoded, without its metadata."""
    try:
        if kind == DocumentKind.PHOTO:
            return photo_check(upload)
        return check_upload(upload), upload
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _store_document(app, *, kind: str, checked, storage_name: str, actor, ip, field="file"):
    """The row of a stored evidence file, on the locked application ``app``.

    After a return, a document of the same kind the reviewer saw is superseded by the new
    one and kept as history (the reviewer reads what was replaced); before any review a new
    photo simply replaces the old one. Either way there is one current photo (constraint
    ``appdocument_one_current_photo``).
    """
    current = app.documents.current()
    since = returned_at(app) if app.status == ApplicationStatus.RETURNED else None
    same_kind = list(current.filter(kind=kind))
    reviewed = [d for d in same_kind if since is not None and d.uploaded_at < since]
    unreviewed = [d for d in same_kind if d not in reviewed]
    photo = kind == DocumentKind.PHOTO
    deleted = unreviewed if photo else []
    # What the new file replaces leaves the count of current documents.
    if current.count() - len(reviewed) - len(deleted) >= MAX_DOCUMENTS:
        raise ValidationError(
            {field: [gettext("每份申请最多上传%(n)s个文件。") % {"n": MAX_DOCUMENTS}]}
        )
    # What a deleted photo had replaced is now replaced by the new one.
    handed = list(
        ApplicationDocument.objects.filter(superseded_by__in=deleted).values_list("pk", flat=True)
    )
    for old in deleted:
        old.delete()
        transaction.on_commit(lambda name=old.storage_name: delete_upload(name))
    now = timezone.now()
    if reviewed:
        # Out of the way of the one-current-photo constraint before the new row arrives.
        ApplicationDocument.objects.filter(pk__in=[d.pk for d in reviewed]).update(
            superseded_at=now
        )
    document = ApplicationDocument.objects.create(
        application=app,
        kind=kind,
        name=checked.name,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        storage_name=storage_name,
        uploaded_at=now,
    )
    if reviewed or handed:
        ApplicationDocument.objects.filter(pk__in=[*(d.pk for d in reviewed), *handed]).update(
            superseded_by=document
        )
    audit_record(
        action=CardApplicationAction.DOCUMENT_ADD,
        actor=actor,
        obj=app,
        ip=ip,
        kind=kind,
        size=checked.size,
        replaced=len(deleted),
        superseded=len(reviewed),
    )
    return document


def application_add_document(*, application, actor, kind: str, upload, ip: str | None = None):
    """Attach an evidence file (PDF/JPEG/PNG judged by content, size-limited). A new photo
    replaces the previous one; after a return a new file of a kind the reviewer saw
    supersedes it (``_store_document``)."""
    APPLICATIONS.require_who(actor, "add_document", application)
    if kind not in DocumentKind.values:
        errors = {"kind": [_invalid_kind()]}
        try:
            _check_document(kind, upload)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        raise ValidationError(errors)
    checked, upload = _check_document(kind, upload)
    with stored_upload(upload, checked, folder="cards") as storage_name, transaction.atomic():
        app = _lock(application)
        APPLICATIONS.require(actor, "add_document", app)
        document = _store_document(
            app, kind=kind, checked=checked, storage_name=storage_name, actor=actor, ip=ip
        )
    return document


def application_remove_document(
    *, document: ApplicationDocument, actor, ip: str | None = None
) -> None:
    """Remove an evidence file while the application can still be changed — one the reviewer
    has not seen yet. What the reviewer saw stays on record: it is replaced by uploading a
    new file of its kind. Removing a replacement puts back what it replaced (or hands it to
    another new file of the same kind)."""
    APPLICATIONS.require_who(actor, "remove_document", document.application)
    with transaction.atomic():
        app = _lock(document.application)
        APPLICATIONS.require(actor, "remove_document", app)
        document = ApplicationDocument.objects.select_for_update().get(pk=document.pk)
        since = returned_at(app) if app.status == ApplicationStatus.RETURNED else None
        if document.superseded_at is not None or (since and document.uploaded_at < since):
            raise InvalidTransition(
                gettext(
                    "审核时已提交的材料不能删除；如需更正，请上传同类材料替换，原材料将作为记录保留。"
                ),
                status=app.status,
            )
        replaced = list(document.replaced.all())
        if replaced:
            successor = (
                app.documents.current()
                .filter(kind=document.kind)
                .exclude(pk=document.pk)
                .order_by("uploaded_at", "id")
                .first()
            )
            rows = ApplicationDocument.objects.filter(pk__in=[d.pk for d in replaced])
            if successor is None:
                rows.update(superseded_by=None, superseded_at=None)  # back in force
            else:
                rows.update(superseded_by=successor)
        storage_name = document.storage_name
        document.delete()
        audit_record(
            action=CardApplicationAction.DOCUMENT_REMOVE,
            actor=actor,
            obj=app,
            ip=ip,
            kind=document.kind,
        )
        transaction.on_commit(lambda: delete_upload(storage_name))


def required_evidence(app: CardApplication) -> list[str]:
    """Document kinds the application needs: the holder's photo, whatever the criteria (the
    card shows it), then what each chosen criterion names, in order, once each."""
    needed: list[str] = [DocumentKind.PHOTO]
    for criterion in app.criteria.all():
        for kind in criterion.evidence:
            if kind not in needed:
                needed.append(kind)
    return [str(kind) for kind in needed]


def missing_evidence(app: CardApplication) -> list[str]:
    """Document kinds the application needs (required_evidence) and has no current document
    of (a replaced one does not count)."""
    present = set(app.documents.current().values_list("kind", flat=True))
    return [kind for kind in required_evidence(app) if kind not in present]


def _uploads_checked(uploads) -> list[tuple]:
    """``(kind, checked, what to store)`` for each ``(kind, file)``; every refusal at once,
    under ``files.<kind>``."""
    done, errors = [], {}
    for kind, upload in uploads:
        field = f"files.{kind}"
        if kind not in DocumentKind.values:
            errors[field] = [_invalid_kind()]
            continue
        try:
            checked, stored = _check_document(kind, upload, field=field)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        done.append((kind, checked, stored))
    if errors:
        raise ValidationError(errors)
    return done


def application_submit(
    *, application, actor, note: str = "", items=(), uploads=(), ip: str | None = None
) -> CardApplication:
    """Submit, or resubmit after a return. Refused with a 400 naming every missing item.

    A resubmission answers the return (一次告知) as a 补正 does: it needs a note or a
    document uploaded since the return — the files given here (``uploads``: ``(kind,
    file)`` pairs, each checked like any document and superseding what the reviewer saw of
    its kind) or uploaded before. ``items`` are the returned items the talent ticks as
    corrected; with the note they are kept on the event. All or nothing: a refusal stores no
    file.
    """
    APPLICATIONS.require_who(actor, "submit", application)
    note = (note or "").strip()
    checked = _uploads_checked([(kind, upload) for kind, upload in uploads or () if upload])
    with ExitStack() as files, transaction.atomic():
        app = _lock(application)
        APPLICATIONS.require(actor, "submit", app)
        resubmit = app.status == ApplicationStatus.RETURNED
        returned = list(app.returned_items) if resubmit else []
        ticked = [" ".join(str(item).split()) for item in (items or []) if str(item).strip()]
        unknown = [item for item in ticked if item not in returned]
        if unknown:
            raise ValidationError(
                {
                    "items": [
                        gettext("以下事项不在退回补正的事项中：%(items)s。")
                        % {"items": "、".join(unknown)}
                    ]
                }
            )
        for kind, one, upload in checked:
            # Stored inside the ExitStack: a refusal below deletes the files again.
            name = files.enter_context(stored_upload(upload, one, folder="cards"))
            _store_document(
                app,
                kind=kind,
                checked=one,
                storage_name=name,
                actor=actor,
                ip=ip,
                field=f"files.{kind}",
            )
        errors: dict = {}
        if resubmit and not note:
            since = returned_at(app)
            answered = since is not None and (
                app.documents.current().filter(uploaded_at__gte=since).exists()
            )
            if not answered:
                errors["note"] = [
                    gettext("请上传补正材料或填写补正说明后再重新提交；不能提交空白的补正。")
                ]
        if not app.criteria.exists():
            errors["criteria"] = [gettext("请至少选择一项认定条件。")]
        for field, label in (("employer", _("工作单位")), ("position", _("职务/岗位"))):
            if not getattr(app, field):
                errors[field] = [gettext("请填写%(label)s。") % {"label": label}]
        missing = missing_evidence(app)
        if missing:
            errors["documents"] = [
                gettext("缺少证明材料：%(kind)s") % {"kind": DocumentKind(kind).label}
                for kind in missing
            ]
            errors["missing_evidence"] = missing
        if errors:
            raise ValidationError(errors)
        previous, now = app.status, timezone.now()
        app.status = ApplicationStatus.SUBMITTED
        app.submitted_at = now
        app.returned_items = []
        # The review clock starts at the first submission and resumes at a resubmission
        # (cards.review_clock reads the pause from the events, so the event comes first).
        started = review_start(app, now)
        supplied = [item for item in returned if item in ticked]
        _event(
            app,
            actor,
            Step.RESUBMITTED if resubmit else Step.SUBMITTED,
            previous,
            note=note,
            items=supplied,
            at=now,
        )
        clock = review_recompute(app)
        app.save(update_fields=["status", "submitted_at", "returned_items", *started, *clock])
        audit_record(
            action=(
                CardApplicationAction.RESUBMITTED if resubmit else CardApplicationAction.SUBMITTED
            ),
            actor=actor,
            obj=app,
            ip=ip,
            files=len(checked),
        )
    return app


def application_return(*, application, actor, items, note: str = "", ip: str | None = None):
    """Return for correction, listing every item at once (一次告知)."""
    APPLICATIONS.require_who(actor, "return", application)
    items = [" ".join(str(item).split()) for item in (items or []) if str(item).strip()]
    if not items:
        raise ValidationError({"items": ["请逐条列出需要补正的全部事项。"]})
    with transaction.atomic():
        app = _lock(application)
        APPLICATIONS.require(actor, "return", app)
        now = timezone.now()
        app.status = ApplicationStatus.RETURNED
        app.returned_items = items
        app.return_note = (note or "").strip()
        _event(
            app,
            actor,
            Step.RETURNED,
            ApplicationStatus.SUBMITTED,
            note=app.return_note,
            items=items,
            at=now,
        )
        # The review clock pauses while the talent corrects (unless already overdue).
        clock = review_recompute(app)
        app.save(update_fields=["status", "returned_items", "return_note", *clock])
        audit_record(
            action=CardApplicationAction.RETURN,
            actor=actor,
            obj=app,
            ip=ip,
            items=len(items),
        )
        _notify_talent(
            app,
            "application_returned",
            _("您的优才卡申请需要补正"),
            format_lazy(
                "{}\n{}",
                _("请补正以下事项后重新提交："),
                "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1)),
            ),
        )
    return app


def application_approve(
    *,
    application,
    actor,
    tier: str | None = None,
    note: str = "",
    accepted=None,
    ip: str | None = None,
):
    """Approve: the tier is the highest among the accepted criteria (就高原则); another tier
    only with a written reason (manual equivalence, 相当于X类).

    Issues, renews or changes the card, in the same transaction; the application's photo
    becomes the card's.
    """
    APPLICATIONS.require_who(actor, "approve", application)
    note = (note or "").strip()
    with transaction.atomic():
        app = _lock(application)
        APPLICATIONS.require(actor, "approve", app)
        criteria = list(app.criteria.all())
        if accepted is not None:
            criteria = [c for c in criteria if c.code in set(accepted)]
            if not criteria:
                raise ValidationError({"accepted": ["请至少接受本申请所申报的一项认定条件。"]})
        highest = Tier.highest(c.tier for c in criteria)
        if tier and tier not in Tier.values:
            raise ValidationError({"tier": ["层次无效，可选：A、B、C、D。"]})
        if tier and tier != highest and not note:
            raise ValidationError(
                {"note": [f"认定层次与所接受条件的最高层次（{highest}类）不一致，须填写理由。"]}
            )
        tier = tier or highest
        photo = app.documents.current().filter(kind=DocumentKind.PHOTO).first()
        given = {"tier": tier, "photo": photo, "actor": actor, "ip": ip}
        try:
            if app.kind == ApplicationKind.NEW:
                card = card_issue(holder=app.talent, **given)
            elif app.kind == ApplicationKind.RENEWAL:
                card = card_renew(card=app.card, **given)
            else:
                card = card_change(card=app.card, **given)
        except InvalidTransition as exc:
            # The 409 speaks of the object acted on: the application, still submitted.
            raise InvalidTransition(exc.detail, status=app.status) from None
        app.status = ApplicationStatus.APPROVED
        app.approved_tier = tier
        app.decision_note = note
        app.decided_at = timezone.now()
        app.card = card
        clock = review_stop(app, app.decided_at)
        app.save(
            update_fields=["status", "approved_tier", "decision_note", "decided_at", "card", *clock]
        )
        _event(app, actor, Step.APPROVED, ApplicationStatus.SUBMITTED, note=note)
        # 政策直达: the layers above offer what the new card entitles its holder to.
        card_granted(card=card, application=app, actor=actor, ip=ip)
        audit_record(
            action=CardApplicationAction.APPROVE,
            actor=actor,
            obj=app,
            ip=ip,
            tier=tier,
            highest=highest,
            card=card.number,
            on_time=app.reviewed_on_time,
        )
        _notify_talent(
            app,
            "application_approved",
            _("您的优才卡申请已通过认定"),
            format_lazy(
                _("认定层次：{tier}；卡号 {number}，有效期至 {until}。"),
                tier=Tier(tier).label,
                number=card.number,
                until=card.valid_until,
            ),
        )
    return app


def application_reject(*, application, actor, reason: str, ip: str | None = None):
    """Reject for good (不予认定), with the reason the talent will read."""
    APPLICATIONS.require_who(actor, "reject", application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写不予认定的理由。"]})
    with transaction.atomic():
        app = _lock(application)
        APPLICATIONS.require(actor, "reject", app)
        app.status = ApplicationStatus.REJECTED
        app.reject_reason = reason
        app.decided_at = timezone.now()
        clock = review_stop(app, app.decided_at)
        app.save(update_fields=["status", "reject_reason", "decided_at", *clock])
        _event(app, actor, Step.REJECTED, ApplicationStatus.SUBMITTED, note=reason)
        audit_record(
            action=CardApplicationAction.REJECT,
            actor=actor,
            obj=app,
            ip=ip,
            on_time=app.reviewed_on_time,
        )
        _notify_talent(
            app,
            "application_rejected",
            _("您的优才卡申请未予认定"),
            format_lazy(_("理由：{reason}"), reason=reason),
        )
    return app
