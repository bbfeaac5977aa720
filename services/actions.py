"""What happens to requests, the catalogue and the calendar, as people read it: the audit actions
(one AuditAction enum per object type) and the steps of a request's timeline, each with its
Chinese label; and how the audit log names this layer's objects and details.

``register()`` is called from ServicesConfig.ready(): portal reads these through its
registries and never imports this module.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.audit import AuditAction, register_actions
from portal.auditlog import register_detail_codes, register_detail_labels, register_object_labels


class ServiceRequestAction(AuditAction):
    """Audit actions on a green-channel request (services.servicerequest)."""

    FILE = "service_request.file", "提交服务申请"
    ACCEPT = "service_request.accept", "受理"
    ASSIGN = "service_request.assign", "指派经办人"
    REQUEST_INFO = "service_request.request_info", "要求补正"
    SUPPLY_INFO = "service_request.supply_info", "提交补正"
    RESOLVE = "service_request.resolve", "办结"
    REJECT = "service_request.reject", "不予办理"
    TRANSFER = "service_request.transfer", "转办"
    WITHDRAW = "service_request.withdraw", "撤回申请"
    AUTO_CLOSE = "service_request.auto_close", "办结15天未评价自动归档"
    RATE = "service_request.rate", "评价"
    FOLLOWUP_CLOSE = "service_request.followup_close", "差评回访整改办结"
    COMMENT = "service_request.comment", "留言"
    ATTACH = "service_request.attach", "上传附件"


class ServiceTypeAction(AuditAction):
    """Audit actions on the catalogue (services.servicetype)."""

    CREATE = "service_type.create", "新增服务事项"
    CHANGE = "service_type.change", "修改服务事项"
    DEACTIVATE = "service_type.deactivate", "停用服务事项"


class CalendarAction(AuditAction):
    """Audit actions on the working-day calendar."""

    SYNC = "calendar.sync", "载入法定节假日安排"
    IMPORT = "calendar.import", "导入工作日历"
    CHANGE = "calendar.change", "修改工作日历"


class SlaAction(AuditAction):
    """Supervision data leaving the portal."""

    EXPORT = "sla.export", "导出督查数据"
    EXPORT_START = "sla.export_start", "发起督查数据后台导出"
    EXPORT_DOWNLOAD = "sla.export_download", "下载督查数据导出文件"


class RequestEventAction(models.TextChoices):
    """Steps of a request's timeline (RequestEvent.action), as the talent reads them."""

    FILED = "filed", _("提交申请")
    ACCEPTED = "accepted", _("受理")
    ASSIGNED = "assigned", _("指派经办人")
    INFO_REQUESTED = "info_requested", _("要求补正")
    INFO_SUPPLIED = "info_supplied", _("提交补正")
    RESOLVED = "resolved", _("办结")
    REJECTED = "rejected", _("不予办理")
    TRANSFERRED = "transferred", _("转办")
    WITHDRAWN = "withdrawn", _("撤回申请")
    RATED = "rated", _("评价")
    FOLLOWUP_CLOSED = "followup_closed", _("差评回访整改办结")
    AUTO_CLOSED = "auto_closed", _("已自动归档")


def request_event_label(action: str) -> str:
    """A timeline step's Chinese name (the code itself for a step no version names)."""
    if action not in RequestEventAction.values:
        return action
    return str(RequestEventAction(action).label)  # in the request's language


def _request_labels(ids: list[str]) -> dict[str, str]:
    from services.models import ServiceRequest

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = ServiceRequest.objects.filter(pk__in=pks).values_list("pk", "number")
    return {str(pk): number for pk, number in rows}


def _service_type_labels(ids: list[str]) -> dict[str, str]:
    from services.models import ServiceType

    pks = [int(pk) for pk in ids if pk.isdigit()]
    rows = ServiceType.objects.filter(pk__in=pks).values_list("pk", "code", "name")
    return {str(pk): f"服务事项 {code} {name}" for pk, code, name in rows}


def _service_type_names(codes: list[str]) -> dict[str, str]:
    from services.models import ServiceType

    return dict(ServiceType.objects.filter(code__in=codes).values_list("code", "name"))


def _calendar_day_labels(ids: list[str]) -> dict[str, str]:
    # The object id is the date itself.
    return {day: f"工作日历 {day}" for day in ids}


def register() -> None:
    """Hand this layer's vocabulary to portal's registries (ServicesConfig.ready)."""
    register_actions(ServiceRequestAction, label="服务申请")
    register_actions(ServiceTypeAction, label="服务事项")
    register_actions(CalendarAction, label="工作日历")
    register_actions(SlaAction, label="督查数据")
    register_object_labels("services.servicerequest", _request_labels)
    register_object_labels("services.servicetype", _service_type_labels)
    register_object_labels("services.calendarday", _calendar_day_labels)
    # Details name a service type by its code (HOUSING) and a transfer's departments by
    # theirs (ZJJ): the log shows their names, resolved a page at a time.
    register_detail_codes("service_type", ["service_type"], _service_type_names)
    register_detail_codes("department", ["source", "target"])
    register_detail_labels(
        {
            "number": ("申请编号", None),
            "service_type": ("服务事项", None),
            "consent": ("已取得单独同意或监护人同意", None),
            "filed_via": (
                "代办渠道",
                {"liaison": "一对一联系服务", "open311": "合作系统（Open311）"},
            ),
            "on_time": ("按时", None),
            "assignee": ("经办人", None),
            "items": ("补正事项数", None),
            "source": ("转出部门", None),
            "target": ("转入部门", None),
            "score": ("评分（星）", None),
            "internal": ("内部备注", None),
            "files": ("上传文件数", None),
            "size": ("文件大小（字节）", None),
            "reason": ("原因", {"department_deactivated": "承办部门已停用"}),
            "year": ("年度", None),
            "days": ("天数", None),
            "first": ("起始日期", None),
            "last": ("截止日期", None),
            "before": ("原为工作日", None),
            "after": ("改为工作日", None),
            "note": ("备注", None),
            "format": ("格式", {"csv": "CSV", "xlsx": "Excel"}),
            "kind": ("类型", {"requests": "申请明细", "summary": "汇总", "all": "全部"}),
            "period": ("统计期间", None),
            "at": ("时间", None),
        }
    )
