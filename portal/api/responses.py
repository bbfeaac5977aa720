"""The API's answers besides success, as OpenAPI components (API.md "Conventions").

The bodies are those portal.api.exceptions writes:

- 400 ``ValidationError``: field → list of messages (Chinese); ``non_field_errors`` for the
  request as a whole; a list or nested field answers an object (or list) of the same shape; a
  few errors a client must act on carry ``code`` too (``otp_required``).
- 401, 403, 404, 410, 415, 429 ``Error``: ``{detail, code?}``.
- 409 ``Conflict``: ``{detail, code, status}`` (``code`` is ``invalid_transition`` unless a
  more precise one is given), sometimes with a field naming the object in the way.

portal.api.schema.PortalAutoSchema adds 401/403/404/400 to every operation where they can
happen; views declare 409 (transitions), 429 (throttles and lockouts) and anything else with
the helpers below.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField(help_text="说明（中文，Accept-Language: en 时为英文）")
    code = serializers.CharField(
        required=False,
        help_text="错误代码（部分错误带有），如 password_change_required、otp_setup_required、"
        "locked_out、rate_limited、expired",
    )


@extend_schema_serializer(component_name="Conflict")
class ConflictOutput(serializers.Serializer):
    detail = serializers.CharField(help_text="说明（中文）")
    code = serializers.CharField(
        help_text="invalid_transition；少数情况更具体，如 open_application_exists、not_ready"
    )
    status = serializers.CharField(help_text="对象的当前状态")


class FieldErrorsOutput(serializers.Serializer):
    """Documented by FieldErrorsSchema (an object whose keys are the request's fields)."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsOutput

    def get_name(self, auto_schema, direction):
        return "ValidationError"

    def map_serializer(self, auto_schema, direction):
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "description": "字段 → 错误信息列表（中文）。列表或嵌套字段的错误按下标或子字段"
            "给出同样结构的对象；non_field_errors 为整体错误。",
            "properties": {
                "non_field_errors": messages,
                "code": {
                    "anyOf": [{"type": "string"}, messages],
                    "description": "须由客户端处理的少数错误带有代码（字符串），如 otp_required；"
                    "请求中名为 code 的字段（验证码）有误时与其他字段一样为错误信息列表",
                },
            },
            "additionalProperties": {
                "anyOf": [
                    {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
                    {"type": "object"},
                ]
            },
        }


# Descriptions of the answers PortalAutoSchema adds where a view did not describe them.
DESCRIPTIONS = {
    "400": "输入有误：字段 → 错误信息列表（中文）",
    "401": "未登录，或令牌无效、已失效",
    "403": "已登录但角色无权执行此操作，或账户须先修改初始密码 / 绑定身份验证器"
    "（code: password_change_required / otp_setup_required）",
    "404": "不存在，或对调用者不可见（列表的页码超出范围时亦然）",
    "409": "对象的当前状态不允许此操作：{detail, code: invalid_transition, status}",
    "410": "已过期删除",
    "415": "请求体的媒体类型不受支持或无法解析（JSON、表单或 multipart，见 requestBody）",
    "429": "过于频繁或已锁定，请稍后再试",
}
# The component each error status answers with.
BODIES = {"400": FieldErrorsOutput, "409": ConflictOutput}


def body_for(code: str):
    return BODIES.get(str(code), ErrorOutput)


def field_errors(description: str = DESCRIPTIONS["400"]) -> OpenApiResponse:
    return OpenApiResponse(FieldErrorsOutput, description=description)


def error(description: str) -> OpenApiResponse:
    """A ``{detail, code?}`` answer (401, 403, 404, 410, 429)."""
    return OpenApiResponse(ErrorOutput, description=description)


def conflict(description: str = DESCRIPTIONS["409"]) -> OpenApiResponse:
    return OpenApiResponse(ConflictOutput, description=description)


def throttled(description: str = DESCRIPTIONS["429"]) -> OpenApiResponse:
    return OpenApiResponse(ErrorOutput, description=description)


FIELD_ERRORS = field_errors()
CONFLICT = conflict()
THROTTLED = throttled()
NOT_FOUND = error(DESCRIPTIONS["404"])
FORBIDDEN = error(DESCRIPTIONS["403"])
# Sign-in lockout: the password asked again counts towards it (portal.signin).
LOCKED_OUT = throttled(
    "密码错误次数过多，已暂停登录（code: locked_out，响应头 Retry-After 为秒数）"
)

# Files the API streams, by what they are.
UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png")
PHOTO_TYPES = ("image/jpeg", "image/png")
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_TYPES = (CSV_TYPE, XLSX_TYPE)


def file_download(media_types, description: str, code: int = 200) -> dict:
    """``responses`` entry of an operation that answers a file of one of ``media_types``."""
    return {(code, *media_types): OpenApiResponse(OpenApiTypes.BINARY, description=description)}
