"""Output and input shapes of the requests API (API.md "Green-channel requests")."""

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from portal.api.accounts import DepartmentRefSerializer
from portal.api.inputs import NoteInput, ReasonInput  # noqa: F401  (used by the views as s.*)
from portal.identity import mask_name, mask_phone
from portal.pages import actor_label
from services.actions import request_event_label
from services.clocks import sla
from services.feedback import followup_promise
from services.models import ServiceRequest
from services.permissions import allowed


class ServiceTypeRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    sensitivity = serializers.CharField()


class PersonRef(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class SlaOutput(serializers.Serializer):
    accept_due_at = serializers.DateTimeField(allow_null=True)
    resolve_due_at = serializers.DateTimeField(allow_null=True)
    promised_due_at = serializers.DateTimeField(allow_null=True)
    paused = serializers.BooleanField()
    accepted_on_time = serializers.BooleanField(allow_null=True)
    resolved_on_time = serializers.BooleanField(allow_null=True)
    overdue = serializers.BooleanField()
    escalated = serializers.BooleanField()
    calendar_verified = serializers.BooleanField()


class FiledByRef(serializers.Serializer):
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        """The officer who filed it for the talent, as a timeline names people."""
        return actor_label(obj)


class RequestSummary(serializers.ModelSerializer):
    """A row of a request list."""

    status_label = serializers.CharField(source="get_status_display")
    filed_via = serializers.CharField(
        help_text="提交渠道：空为本人在门户提交；liaison 为服务专员代为提交（代办）"
    )
    service_type = ServiceTypeRef()
    department = DepartmentRefSerializer()
    assignee = PersonRef(allow_null=True)
    talent = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "number",
            "status",
            "status_label",
            "service_type",
            "department",
            "assignee",
            "talent",
            "tier",
            "submitted_at",
            "accepted_at",
            "resolved_at",
            "closed_at",
            "filed_via",
            "sla",
        ]

    def get_talent(self, obj) -> dict:
        return {
            "real_name_masked": mask_name(obj.talent.real_name),
            "phone_masked": mask_phone(obj.talent.phone),
        }

    def get_sla(self, obj) -> SlaOutput:
        return SlaOutput(sla(obj, self.context.get("now") or timezone.now())).data


class RequestEventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())

    def get_actor(self, obj) -> str:
        return actor_label(obj.actor)

    def get_action_label(self, obj) -> str:
        """The step in Chinese ("已自动归档", not ``auto_closed``)."""
        return request_event_label(obj.action)


class RequestCommentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    internal = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_author(self, obj) -> str:
        return actor_label(obj.author)


class RequestAttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    uploaded_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_uploaded_by(self, obj) -> str:
        return actor_label(obj.uploaded_by)

    def get_url(self, obj) -> str:
        return reverse("api-attachment", args=[obj.pk])


class StintOutput(serializers.Serializer):
    """How long one department held the request (transfers make several)."""

    department = DepartmentRefSerializer()
    entered_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    accepted_on_time = serializers.BooleanField(allow_null=True)
    hours_held = serializers.SerializerMethodField()

    def get_hours_held(self, obj) -> float:
        end = obj.left_at or timezone.now()
        return round((end - obj.entered_at).total_seconds() / 3600, 1)


class RatingOutput(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class FollowUpOutput(serializers.Serializer):
    due_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, obj) -> bool:
        return obj.closed_at is None and timezone.now() >= obj.due_at


class FollowUpPromiseOutput(serializers.Serializer):
    due_at = serializers.DateTimeField()
    text = serializers.CharField(help_text="例如：部门负责人将在 2026-12-21 24:00 前回访。")


class RequestOutput(RequestSummary):
    """One request, as its viewer may see it: internal notes only for the handling side,
    medical and minors' details only for the talent and the routed department."""

    # (method named apart from Serializer.get_fields, which DRF uses itself)
    fields = serializers.SerializerMethodField(method_name="form_values")
    # Only on the detail: a list would read the officer per row.
    filed_by = FiledByRef(
        allow_null=True, help_text="代办人（服务专员代为提交时；人才本人提交时为 null）"
    )
    fields_hidden = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    events = RequestEventOutput(many=True)
    comments = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    stints = StintOutput(many=True)
    rating = serializers.SerializerMethodField()
    followup = serializers.SerializerMethodField()
    followup_promise = serializers.SerializerMethodField()

    class Meta(RequestSummary.Meta):
        fields = [
            *RequestSummary.Meta.fields,
            "filed_by",
            "fields",
            "fields_hidden",
            "description",
            "events",
            "comments",
            "attachments",
            "stints",
            "rating",
            "followup",
            "followup_promise",
        ]

    @property
    def viewer(self):
        return self.context["request"].user

    def form_values(self, obj) -> dict:
        return obj.fields if allowed(self.viewer, "see_sensitive", obj) else {}

    def get_fields_hidden(self, obj) -> bool:
        """True when the form, the description and the files are withheld (sensitive)."""
        return not allowed(self.viewer, "see_sensitive", obj)

    def get_description(self, obj) -> str:
        return obj.description if allowed(self.viewer, "see_sensitive", obj) else ""

    def get_attachments(self, obj) -> RequestAttachmentOutput(many=True):
        if not allowed(self.viewer, "see_sensitive", obj):
            return []
        return RequestAttachmentOutput(obj.attachments.all(), many=True).data

    def get_comments(self, obj) -> RequestCommentOutput(many=True):
        comments = obj.comments.all()
        if not allowed(self.viewer, "see_internal", obj):
            comments = [c for c in comments if not c.internal]
        return RequestCommentOutput(comments, many=True).data

    def get_rating(self, obj) -> RatingOutput(allow_null=True):
        rating = getattr(obj, "rating", None)
        return RatingOutput(rating).data if rating else None

    def get_followup(self, obj) -> FollowUpOutput(allow_null=True):
        followup = getattr(obj, "followup", None)
        if followup is None or not allowed(self.viewer, "see_internal", obj):
            return None
        return FollowUpOutput(followup).data

    def get_followup_promise(self, obj) -> FollowUpPromiseOutput(allow_null=True):
        """While the follow-up of a bad rating is open: who calls back, by when. The talent
        reads this (not ``followup``: what the department changed is for the handling side)."""
        followup = getattr(obj, "followup", None)
        if followup is None or followup.closed_at is not None:
            return None
        return FollowUpPromiseOutput(
            {"due_at": followup.due_at, "text": followup_promise(followup)}
        ).data


class FileInput(serializers.Serializer):
    service_type = serializers.CharField(max_length=20)
    fields = serializers.DictField(required=False, default=dict)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    consent = serializers.BooleanField(required=False, default=False)


class AssignInput(serializers.Serializer):
    assignee = serializers.CharField(max_length=150)


class ItemsInput(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField(max_length=500))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SupplyInput(serializers.Serializer):
    """补正: a note, and the asked items the talent ticks as supplied (optional). Files go
    to …/attachments/ first; an empty 补正 is refused by the domain (400)."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    items = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list
    )


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TransferInput(serializers.Serializer):
    department = serializers.CharField(max_length=10)
    reason = serializers.CharField(allow_blank=True)


class RateInput(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class CommentInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True)
    internal = serializers.BooleanField(required=False, default=False)


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField()
