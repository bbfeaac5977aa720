"""Input and output shapes of the cards API. Types only: the rules live in the domain modules."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.applications import missing_evidence
from cards.models import (
    ApplicationDocument,
    ApplicationEvent,
    ApplicationKind,
    Card,
    CardApplication,
    Criterion,
    DocumentKind,
    Tier,
)
from cards.review_clock import review_sla
from portal.api.inputs import NoteInput, ReasonInput  # noqa: F401  (used by the views as s.*)
from portal.identity import mask_name
from portal.models import Role


class CriterionOutput(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = [
            "code",
            "tier",
            "category",
            "title",
            "title_en",
            "evidence",
            "policy_ref",
            "policy_ref_en",
        ]


class CriterionRef(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["code", "tier", "title", "title_en", "evidence"]


class ApplicationInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApplicationKind.choices, required=False)
    criteria = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    employer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    position = serializers.CharField(max_length=200, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=200, required=False, allow_blank=True)
    education = serializers.CharField(max_length=200, required=False, allow_blank=True)
    professional_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    arrival_date = serializers.DateField(required=False, allow_null=True)


class DocumentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(allow_empty_file=True)


class DocumentOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationDocument
        fields = ["id", "kind", "name", "size", "content_type", "uploaded_at", "url"]

    def get_url(self, obj) -> str:
        return reverse("api-application-document", args=[obj.application_id, obj.pk])


class SupersededDocumentOutput(DocumentOutput):
    """A document the reviewer saw that a later upload replaced (kept as history)."""

    class Meta(DocumentOutput.Meta):
        fields = [*DocumentOutput.Meta.fields, "superseded_at", "superseded_by"]


class EventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "note", "items"]

    def get_actor(self, obj) -> str:
        # Staff of the organization department act as an office, not as named persons.
        if obj.actor is None:
            return gettext("系统")
        return gettext("申请人") if obj.actor.role == Role.TALENT else obj.actor.get_role_display()


class CardRef(serializers.ModelSerializer):
    class Meta:
        model = Card
        fields = ["number", "tier", "valid_until"]


class ReviewClockOutput(serializers.Serializer):
    """审核时限 (cards.review_clock): the limit copied at the first submission, the running
    deadline (24:00 of its last working day, as the next day's 00:00), and the verdict frozen
    at the decision."""

    days = serializers.IntegerField(allow_null=True, help_text="审核时限（工作日）")
    started_at = serializers.DateTimeField(allow_null=True, help_text="首次提交，计时起点")
    due_at = serializers.DateTimeField(allow_null=True, help_text="审核期限；暂停或办结后为空")
    escalate_at = serializers.DateTimeField(allow_null=True, help_text="督办时间")
    paused = serializers.BooleanField(help_text="退回补正期间暂停计时")
    overdue = serializers.BooleanField()
    escalated = serializers.BooleanField()
    reviewed_on_time = serializers.BooleanField(allow_null=True, help_text="办结时是否按时")
    calendar_verified = serializers.BooleanField()


class ApplicationSummary(serializers.ModelSerializer):
    """A row of the application list."""

    criteria = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    talent = serializers.SerializerMethodField()
    card = CardRef(allow_null=True)
    review = serializers.SerializerMethodField()

    class Meta:
        model = CardApplication
        fields = [
            "id",
            "kind",
            "status",
            "talent",
            "criteria",
            "employer",
            "created_at",
            "submitted_at",
            "decided_at",
            "approved_tier",
            "card",
            "review",
        ]

    def get_talent(self, obj) -> dict:
        return {"real_name_masked": mask_name(obj.talent.real_name)}

    @extend_schema_field(ReviewClockOutput)
    def get_review(self, obj) -> dict:
        review = review_sla(obj, timezone.now())
        return ReviewClockOutput(review).data


class ApplicationOutput(ApplicationSummary):
    criteria = CriterionRef(many=True, read_only=True)
    # The documents that count, and apart the ones a re-upload after a return replaced.
    documents = serializers.SerializerMethodField()
    superseded_documents = serializers.SerializerMethodField()
    events = EventOutput(many=True, read_only=True)
    missing_evidence = serializers.SerializerMethodField()

    class Meta(ApplicationSummary.Meta):
        fields = [
            *ApplicationSummary.Meta.fields,
            "position",
            "industry",
            "education",
            "professional_title",
            "arrival_date",
            "documents",
            "superseded_documents",
            "missing_evidence",
            "returned_items",
            "return_note",
            "decision_note",
            "reject_reason",
            "events",
        ]

    def get_missing_evidence(self, obj) -> list[str]:
        return missing_evidence(obj)

    @extend_schema_field(DocumentOutput(many=True))
    def get_documents(self, obj):
        # From the prefetched documents: no query per kind of list.
        current = [d for d in obj.documents.all() if d.superseded_at is None]
        return DocumentOutput(current, many=True).data

    @extend_schema_field(SupersededDocumentOutput(many=True))
    def get_superseded_documents(self, obj):
        replaced = [d for d in obj.documents.all() if d.superseded_at is not None]
        return SupersededDocumentOutput(replaced, many=True).data


class SubmitInput(serializers.Serializer):
    """(Re)submission: after a return, a note and the returned items the talent ticks as
    corrected (files go to …/documents/ first); a resubmission with neither a note nor a
    document uploaded since the return is refused by the domain (400)."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    items = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list
    )


class ReturnInput(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField(max_length=500), allow_empty=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveInput(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    accepted = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text="接受的认定条件代码；省略则接受全部所申报条件",
    )


class CardOutput(serializers.ModelSerializer):
    holder_name_masked = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Card
        fields = ["number", "tier", "status", "issued_at", "valid_until", "holder_name_masked"]

    def get_holder_name_masked(self, obj) -> str:
        return mask_name(obj.holder.real_name)

    def get_status(self, obj) -> str:
        return obj.effective_status()


class CardAdminOutput(CardOutput):
    status_reason = serializers.CharField()

    class Meta(CardOutput.Meta):
        fields = [*CardOutput.Meta.fields, "status_reason"]


class QrOutput(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class VerifyInput(serializers.Serializer):
    token = serializers.CharField(max_length=500, allow_blank=True)


class VerifiedCard(serializers.Serializer):
    number = serializers.CharField()
    tier = serializers.CharField()
    holder_name_masked = serializers.CharField()
    valid_until = serializers.DateField()
    services = serializers.ListField(child=serializers.CharField())
    photo_url = serializers.URLField(
        required=False,
        help_text="持卡人证件照的签名地址，120秒内有效，无需登录即可获取（image/jpeg 或 "
        "image/png），过期后返回404。仅在核验有效且该卡有照片时返回。",
    )


class VerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)
    reason_label = serializers.CharField(
        help_text="核验结果的文字说明（如“有效”“二维码已过期，请持卡人刷新后重新出示”），"
        "随请求的语言（Accept-Language: en 时为英文）"
    )
    card = VerifiedCard(allow_null=True)
