"""The OpenAPI schema: how it names the portal's authentication (drf-spectacular extensions),
and the AutoSchema that documents every operation's error answers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from portal.api.responses import DESCRIPTIONS, PHOTO_TYPES, body_for


class GatedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.gate.GatedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "令牌认证：`Authorization: Token <key>`（由 /api/v1/auth/token/ 签发）",
        }


class GatedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "portal.gate.GatedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


# Query parameters no value of which is refused: a page out of range is a 404, a page size
# out of range is clamped, and ``inline`` is either "1" or ignored.
NEVER_REFUSED = {"page", "page_size", "inline"}


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, telling every answer an operation can give besides its
    own (API.md "Conventions"; the bodies are portal.api.responses'):

    - 401 and 403 wherever a token or session is read (an invalid token is refused even where
      anyone may call; the account gate answers 403 with a code everywhere but a few paths);
    - 404 wherever the path names an object, or a list is paged (a page out of range);
    - 400 wherever the request has a body, a header, or a query parameter that can be refused,
      and 415 wherever it has a body (of a media type the operation does not read);
    - a 4xx the view declared without a body gets the component of its status (409
      ``Conflict``, 400 ``ValidationError``, otherwise ``Error``); 429 answers document the
      ``Retry-After`` header of a lockout.

    A DELETE that reads a body (``request=`` on its extend_schema) documents it too.
    """

    _explicit_only = False

    def get_request_serializer(self):
        # Under _explicit_only, only what extend_schema(request=...) named (its override
        # answers before calling this): no serializer guessed from the view.
        return None if self._explicit_only else super().get_request_serializer()

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self._explicit_only = True
        try:
            if self.get_request_serializer() is None:
                return None
        finally:
            self._explicit_only = False
        self.method = "POST"  # drf-spectacular documents bodies of PUT, PATCH and POST only
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        expected = set()
        if self.view.get_authenticators():
            expected |= {"401", "403"}
        elif not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            expected.add("403")
        if any(p["in"] == "path" for p in parameters) or any(
            p["in"] == "query" and p["name"] == "page" for p in parameters
        ):
            expected.add("404")
        if operation.get("requestBody"):
            expected.add("415")
        if operation.get("requestBody") or any(
            p["in"] != "path" and p["name"] not in NEVER_REFUSED for p in parameters
        ):
            expected.add("400")
        for code in expected - set(responses):
            responses[code] = {"description": DESCRIPTIONS[code]}
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                body = self._get_response_for_code(body_for(code), code)
                response["content"] = body["content"]
            if code == "429":
                response.setdefault("headers", {})["Retry-After"] = {
                    "schema": {"type": "integer"},
                    "description": "登录锁定时：多少秒后可再试",
                }
        operation["responses"] = dict(sorted(responses.items()))
        return operation


def document_signed_photo(result, generator, request, public):
    """Postprocessing hook: the one file the API hands out from outside /api/, the holder's
    photo behind ``card.photo_url`` of POST /api/v1/cards/verify/ (a Django view, so
    drf-spectacular does not see it)."""
    result["paths"]["/verify/photos/{token}/"] = {
        "get": {
            "operationId": "verify_photo_retrieve",
            "summary": "持卡人证件照（核验结果 card.photo_url 所指的签名地址）",
            "description": "签名地址 120 秒内有效，无需登录；过期、被改动或该卡已无照片时"
            "回答 404（网页）。",
            "parameters": [
                {
                    "in": "path",
                    "name": "token",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "签名令牌（取自 photo_url）",
                }
            ],
            "tags": ["cards"],
            "security": [{}],
            "responses": {
                "200": {
                    "description": "证件照（JPEG 或 PNG，已去除元数据）",
                    "content": {
                        media_type: {"schema": {"type": "string", "format": "binary"}}
                        for media_type in PHOTO_TYPES
                    },
                },
                "404": {
                    "description": "地址已过期、无效，或该卡已无照片（中文网页）",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            },
        }
    }
    return result
