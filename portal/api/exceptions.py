"""Turn domain errors and Django validation errors into the API's error bodies."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError, InvalidTransition, LoginLocked
from portal.gate import GateDenied


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.detail, "code": exc.code}
        headers = {}
        if isinstance(exc, InvalidTransition):
            body["status"] = exc.status
            body.update(exc.extra)
        if isinstance(exc, LoginLocked):
            headers["Retry-After"] = str(exc.retry_after)
        if exc.status_code == status.HTTP_400_BAD_REQUEST:
            # 400 bodies map field → messages, like every other validation error; a few errors
            # a client must act on (a second factor is needed) carry their code too.
            body = {getattr(exc, "field", "non_field_errors"): [exc.detail]}
            if getattr(exc, "include_code", False):
                body["code"] = exc.code
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404 | exceptions.NotFound):
        # Never Django's "No <Model> matches the given query.": it is English and names models.
        return Response({"detail": gettext("未找到。")}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, GateDenied):
        return Response(
            {"detail": str(exc.detail), "code": exc.detail.code}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"non_field_errors": [gettext("请求内容格式不正确，无法解析。")]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)
