"""How the OpenAPI schema names the portal's authentication (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
