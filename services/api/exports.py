"""Big exports, with progress (API.md): start one, follow it, download the file.

Thin callers of services.exports (what is exported, the audit events) and portal.jobs (the
job's life, the file). A job is seen by the admin who started it, nobody else (404).
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.downloads import FileNegotiation
from portal.api.permissions import IsAdmin
from portal.api.responses import EXPORT_TYPES, conflict, error, field_errors, file_download
from portal.audit import client_ip
from portal.jobs import JobFileGone, JobNotReady, job_download
from portal.models import Job, JobStatus
from services import dashboard, exports

TAG = ["exports"]
PERIOD_ERROR = (
    "日期格式应为 年-月-日（如 2026-03-01），年份在 1900 至 2200 之间，"
    "截止日期不能早于起始日期，期间不超过十年。"
)


class ExportInput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=list(exports.KINDS.items()),
        help_text="requests：申请明细（XLSX 另含两张汇总表）；"
        "summary：按部门汇总（XLSX 另含按事项汇总）",
        error_messages={
            "required": "请选择导出内容：requests（申请明细）或 summary（汇总）。",
            "null": "请选择导出内容：requests（申请明细）或 summary（汇总）。",
            "invalid_choice": "导出内容只能是 requests（申请明细）或 summary（汇总）。",
        },
    )
    from_ = serializers.DateField(
        required=False,
        help_text="起始日期 YYYY-MM-DD，默认本月1日",
        error_messages={"invalid": PERIOD_ERROR},
    )
    to = serializers.DateField(
        required=False,
        help_text="截止日期 YYYY-MM-DD（含），默认今天",
        error_messages={"invalid": PERIOD_ERROR},
    )
    format = serializers.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "Excel")],
        error_messages={
            "required": "请选择文件格式：csv 或 xlsx。",
            "null": "请选择文件格式：csv 或 xlsx。",
            "invalid_choice": "文件格式只能是 csv 或 xlsx。",
        },
    )

    def get_fields(self):
        # "from" is a Python keyword: declared as from_, read and written as "from".
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        first, last = attrs.get("from"), attrs.get("to")
        try:
            attrs["period"] = dashboard.Period.parse(
                first.isoformat() if first else None, last.isoformat() if last else None
            )
        except ValueError:
            raise serializers.ValidationError({"to": [PERIOD_ERROR]}) from None
        return attrs


class ExportCreated(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="queued")


class ExportOutput(serializers.ModelSerializer):
    format = serializers.SerializerMethodField(help_text="csv 或 xlsx")
    period = serializers.SerializerMethodField(help_text="统计期间 {from, to}")
    status_label = serializers.CharField(source="get_status_display", help_text="状态（中文）")
    download_url = serializers.SerializerMethodField(
        help_text="完成后下载文件的地址（仅发起人可用，保留24小时）；未完成或已过期时为空"
    )
    expired = serializers.SerializerMethodField(help_text="文件是否已过期删除")
    error = serializers.SerializerMethodField(help_text="失败原因（中文），未失败时为空")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "format",
            "period",
            "status",
            "status_label",
            "progress",
            "rows",
            "total",
            "download_url",
            "expired",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
        ]

    def get_format(self, job) -> str:
        return job.params.get("format", "")

    def get_period(self, job) -> dict[str, str]:
        return {"from": job.params.get("from", ""), "to": job.params.get("to", "")}

    def get_download_url(self, job) -> str | None:
        if job.status != JobStatus.DONE or job.file_expired:
            return None
        return reverse("api-export-download", args=[job.pk])

    def get_expired(self, job) -> bool:
        return job.file_expired

    def get_error(self, job) -> str | None:
        return job.error or None


class ExportCreate(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="发起后台导出（大数据量，带进度）",
        request=ExportInput,
        responses={202: ExportCreated, 400: field_errors("参数错误（中文说明）")},
        tags=TAG,
    )
    def post(self, request):
        data = ExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = exports.export_start(
            user=request.user,
            kind=data.validated_data["kind"],
            fmt=data.validated_data["format"],
            period=data.validated_data["period"],
            ip=client_ip(request),
        )
        return Response(
            {"id": job.pk, "status": job.status},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api-export", args=[job.pk])},
        )


class ExportDetail(APIView):
    @extend_schema(
        summary="后台导出的状态与进度",
        responses={200: ExportOutput, 404: error("不存在，或不是调用者发起的导出")},
        tags=TAG,
    )
    def get(self, request, pk: int):
        job = get_object_or_404(exports.export_jobs(request.user), pk=pk)
        return Response(ExportOutput(job).data)


class ExportDownload(APIView):
    content_negotiation_class = FileNegotiation  # Accept: text/csv gets the file

    @extend_schema(
        summary="下载后台导出的文件（证件号码等已脱敏）",
        responses={
            **file_download(EXPORT_TYPES, "CSV 或 XLSX 文件，作为附件下载；证件号码等已脱敏"),
            404: error("不存在，或不是调用者发起的导出"),
            409: conflict("尚未完成：{detail, code: not_ready, status}"),
            410: error("文件已过期删除（保留24小时，code: expired）"),
        },
        tags=TAG,
    )
    def get(self, request, pk: int):
        job = get_object_or_404(exports.export_jobs(request.user), pk=pk)
        try:
            response = job_download(job)
        except JobNotReady as error:
            body = {"detail": str(error), "code": "not_ready", "status": job.status}
            return Response(body, status=status.HTTP_409_CONFLICT)
        except JobFileGone as error:
            body = {"detail": str(error), "code": "expired"}
            return Response(body, status=status.HTTP_410_GONE)
        exports.export_downloaded(user=request.user, job=job, ip=client_ip(request))
        return response
