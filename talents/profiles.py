"""The talent's living profile (人才信息库): what the talent keeps (industry chain,
specialties, research outputs) and what the card says (copied here by ``profile_refresh``
whenever a card is granted or changes; employer, position, education and title change only
through the card's change application)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from cards.models import Card, CardStatus
from portal.audit import audit_record
from talents import rollups
from talents.actions import ProfileAction
from talents.models import IndustryChain, OutputKind, ResearchOutput, Standing, TalentProfile
from talents.permissions import PROFILES

MAX_SPECIALTIES = 10
MAX_SPECIALTY = 30
MAX_OUTPUTS = 50
# What only a card change application changes (API.md: read-only here).
CARD_FACTS = ("employer", "position", "education", "professional_title")
STANDING_OF = {
    CardStatus.ACTIVE: Standing.ACTIVE,
    CardStatus.SUSPENDED: Standing.SUSPENDED,
    CardStatus.REVOKED: Standing.DEPARTED,
    CardStatus.EXPIRED: Standing.DEPARTED,
}


def profile_of(user) -> TalentProfile:
    """``user``'s profile, made empty on first use (a talent without a card has one too: it
    is counted once a card is issued)."""
    profile = TalentProfile.objects.filter(holder=user).first()
    if profile is None:
        TalentProfile.objects.bulk_create([TalentProfile(holder=user)], ignore_conflicts=True)
        profile = TalentProfile.objects.get(holder=user)
    return profile


def _clean_specialties(value) -> list[str]:
    if not isinstance(value, list):
        raise ValidationError({"specialties": [gettext("专业特长应为一组文字。")]})
    items = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValidationError({"specialties": [gettext("专业特长不能为空。")]})
        text = item.strip()
        if len(text) > MAX_SPECIALTY:
            raise ValidationError(
                {"specialties": [gettext("每项专业特长不能超过%(n)s个字。") % {"n": MAX_SPECIALTY}]}
            )
        items.append(text)
    items = list(dict.fromkeys(items))
    if len(items) > MAX_SPECIALTIES:
        raise ValidationError(
            {"specialties": [gettext("专业特长最多填写%(n)s项。") % {"n": MAX_SPECIALTIES}]}
        )
    return items


def _clean_outputs(value) -> list[dict]:
    if not isinstance(value, list):
        raise ValidationError({"outputs": [gettext("科研成果应为一组记录。")]})
    if len(value) > MAX_OUTPUTS:
        raise ValidationError(
            {"outputs": [gettext("科研成果最多填写%(n)s项。") % {"n": MAX_OUTPUTS}]}
        )
    errors, cleaned = {}, []
    this_year = timezone.localdate().year
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors[f"outputs.{i}"] = [gettext("科研成果记录格式不正确。")]
            continue
        kind = item.get("kind")
        if kind not in OutputKind.values:
            errors[f"outputs.{i}.kind"] = [gettext("请选择成果类别。")]
        title = item.get("title")
        title = title.strip() if isinstance(title, str) else ""
        if not title:
            errors[f"outputs.{i}.title"] = [gettext("请填写成果名称。")]
        elif len(title) > 200:
            errors[f"outputs.{i}.title"] = [gettext("成果名称不能超过200个字。")]
        year = item.get("year")
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if not isinstance(year, int) or isinstance(year, bool) or not 1950 <= year <= this_year:
            errors[f"outputs.{i}.year"] = [
                gettext("年份应为1950至%(year)s年之间的整数。") % {"year": this_year}
            ]
        ref = item.get("ref") or ""
        ref = ref.strip() if isinstance(ref, str) else None
        if ref is None or len(ref) > 200:
            errors[f"outputs.{i}.ref"] = [gettext("出处或编号应为不超过200个字的文字。")]
        unknown = set(item) - {"kind", "title", "year", "ref"}
        if unknown:
            errors[f"outputs.{i}"] = [gettext("科研成果记录只能包含类别、名称、年份和出处。")]
        cleaned.append({"kind": kind, "title": title, "year": year, "ref": ref})
    if errors:
        raise ValidationError(errors)
    return cleaned


def profile_update(*, user, data: dict, ip: str | None = None) -> TalentProfile:
    """Change what the talent keeps. A card fact sent unchanged (a form that echoes the whole
    profile) is ignored; a changed one is refused with where to change it."""
    # Who, before profile_of makes a profile: a refused staff account must not get one.
    PROFILES.require_who(user, "edit", TalentProfile(holder_id=user.pk))
    profile = profile_of(user)
    PROFILES.require(user, "edit", profile)
    errors = {}
    for name in CARD_FACTS:
        if name in data and (data[name] or "") != getattr(profile, name):
            errors[name] = [
                gettext(
                    "工作单位、职务、学历和职称须通过优才卡“信息变更”申请修改，审核通过后自动更新。"
                )
            ]
    unknown = set(data) - {"industry_chain", "specialties", "outputs", *CARD_FACTS}
    for name in sorted(unknown):
        errors[name] = [gettext("人才信息没有这一项。")]
    changes: dict = {}
    if "industry_chain" in data:
        chain = data["industry_chain"] or ""
        if chain and chain not in IndustryChain.values:
            errors["industry_chain"] = [gettext("请从给定的产业链中选择。")]
        changes["industry_chain"] = chain
    for name, clean in (("specialties", _clean_specialties), ("outputs", _clean_outputs)):
        if name in data:
            try:
                changes[name] = clean(data[name])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile = TalentProfile.objects.select_for_update().get(pk=profile.pk)
        before = rollups.cells(profile)
        changed = []
        if "industry_chain" in changes and changes["industry_chain"] != profile.industry_chain:
            profile.industry_chain = changes["industry_chain"]
            changed.append("industry_chain")
        if "specialties" in changes and changes["specialties"] != profile.specialties:
            profile.specialties = changes["specialties"]
            changed.append("specialties")
        if "outputs" in changes:
            old = [
                {"kind": o.kind, "title": o.title, "year": o.year, "ref": o.ref}
                for o in profile.outputs.all()
            ]
            if old != changes["outputs"]:
                profile.outputs.all().delete()
                ResearchOutput.objects.bulk_create(
                    [
                        ResearchOutput(profile=profile, n=i + 1, **output)
                        for i, output in enumerate(changes["outputs"])
                    ]
                )
                changed.append("outputs")
        if changed:
            profile.updated_at = timezone.now()
            profile.save(update_fields=[*(f for f in changed if f != "outputs"), "updated_at"])
            rollups.move(before, rollups.cells(profile))
            audit_record(
                action=ProfileAction.UPDATE,
                actor=user,
                obj=profile,
                ip=ip,
                changed=",".join(changed),
                outputs=len(changes.get("outputs", [])),
            )
    return profile


def _latest_card(holder_id: int) -> Card | None:
    return Card.objects.filter(holder_id=holder_id).order_by("-issued_at", "-id").first()


def profile_refresh(holder_id: int, application=None) -> TalentProfile:
    """Copy the card's facts into the holder's profile (and the granting application's, when
    given: employer, position, education, title, arrival), moving the rollup cells. Idempotent:
    called again with nothing new it changes nothing."""
    with transaction.atomic():
        TalentProfile.objects.bulk_create(
            [TalentProfile(holder_id=holder_id)], ignore_conflicts=True
        )
        profile = TalentProfile.objects.select_for_update().get(holder_id=holder_id)
        before, before_facts = rollups.cells(profile), rollups.counted(profile)
        card = _latest_card(holder_id)
        fields = []

        def put(name, value):
            if getattr(profile, name) != value:
                setattr(profile, name, value)
                fields.append(name)

        if card is not None:
            put("card_id", card.pk)
            put("tier", card.tier)
            put("standing", STANDING_OF[CardStatus(card.status)])
        if application is not None:
            for name in CARD_FACTS:
                value = (getattr(application, name, "") or "").strip()
                if value:
                    put(name, value[: TalentProfile._meta.get_field(name).max_length])
            arrival: datetime.date | None = getattr(application, "arrival_date", None)
            if arrival is not None:
                put("arrival_year", arrival.year)
        if fields:
            profile.updated_at = timezone.now()
            profile.save(update_fields=[*fields, "updated_at"])
        if rollups.counted(profile) != before_facts:
            rollups.move(before, rollups.cells(profile))
    return profile
