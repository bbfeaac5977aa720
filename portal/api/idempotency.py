"""The ``Idempotency-Key`` header on the API's creating endpoints (API.md "Submitting once").

``@idempotent`` on an APIView's ``post``: without the header the view runs as always; with it,
the key is claimed in the transaction that creates (portal.idempotency.key_claim) and the
answer is stored there too, so the same key from the same user within 24 hours gets the first
answer again (same status, same body, header ``Idempotent-Replayed: true``) and creates
nothing — also when the two requests arrive at the same moment.

Only a success is remembered: a refused request (400, 403, 409 …) created nothing, its claim
rolls back with it, and the client may correct the request and send it with the same key.
"""

import json
from functools import wraps

from django.db import transaction
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from portal.idempotency import MAX_KEY_LENGTH, key_claim, scope_of

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"选填，最长{MAX_KEY_LENGTH}个字符（建议使用 UUID）。同一用户24小时内以同一键重复提交，"
        f"返回首次成功提交的结果（状态码和内容相同，响应头 {REPLAYED_HEADER}: true），"
        "不会重复创建。未成功的提交不占用该键。"
    ),
)


def _stored_body(data):
    """The response body as JSON (dates, decimals and lazy texts as the renderer writes them)."""
    return json.loads(json.dumps(data, cls=JSONEncoder, ensure_ascii=False))


def _replay(stored) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.response, status=stored.status_code, headers=headers)


def idempotent(method):
    """Decorate an APIView's creating ``post`` to honour the ``Idempotency-Key`` header."""

    @wraps(method)
    def wrapped(view, request, *args, **kwargs):
        key = (request.headers.get(HEADER) or "").strip()
        if not key:
            return method(view, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationError(
                {HEADER: [gettext("幂等键不能超过%(n)s个字符。") % {"n": MAX_KEY_LENGTH}]}
            )
        with transaction.atomic():
            claim, stored = key_claim(user=request.user, scope=scope_of(request), key=key)
            if stored is not None:
                return _replay(stored)
            response = method(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                # Nothing was created: give the key back with everything else.
                transaction.set_rollback(True)
                return response
            claim.status_code = response.status_code
            claim.response = _stored_body(response.data)
            claim.location = response.get("Location", "")
            claim.save(update_fields=["status_code", "response", "location"])
        return response

    return extend_schema(parameters=[IDEMPOTENCY_PARAMETER])(wrapped)
