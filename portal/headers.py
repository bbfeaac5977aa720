"""Permissions-Policy: the browser features the portal uses, and no others.

Every response gets the header built from ``settings.PERMISSIONS_POLICY`` (feature → list of
allowed origins; an empty list switches the feature off, ``"self"`` allows this origin). A
page that needs a feature opens it for itself only with :func:`permissions_policy`, e.g. the
verifier's page, which scans QR codes with the camera.

The Content-Security-Policy comes from django-csp (``settings.CONTENT_SECURITY_POLICY``);
``Referrer-Policy`` and ``X-Content-Type-Options`` from Django's SecurityMiddleware.
"""

from functools import wraps

from django.conf import settings

HEADER = "Permissions-Policy"


def _origin(value: str) -> str:
    return value if value in ("self", "*") else f'"{value}"'


def header_value(policy: dict[str, list[str]]) -> str:
    """``{"camera": ["self"], "usb": []}`` → ``camera=(self), usb=()``."""
    return ", ".join(
        f"{feature}=({' '.join(_origin(origin) for origin in origins)})"
        for feature, origins in policy.items()
    )


def permissions_policy(**features: list[str]):
    """Open features for one view's responses, e.g. ``@permissions_policy(camera=["self"])``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = view(*args, **kwargs)
            response._permissions_policy = {
                **getattr(response, "_permissions_policy", {}),
                **features,
            }
            return response

        return wrapped

    return decorator


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            policy = {
                **getattr(settings, "PERMISSIONS_POLICY", {}),
                **getattr(response, "_permissions_policy", {}),
            }
            if policy:
                response[HEADER] = header_value(policy)
        return response
