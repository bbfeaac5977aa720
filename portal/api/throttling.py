"""Rate limits that never turn a cache outage into a failed request."""

import logging

from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)


class FailOpenScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that lets the request through when the cache (Redis in production)
    is unreachable: a registration must not fail because Redis is down. The sign-in lockout
    does not depend on the cache; it lives in the database."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("rate-limit cache unavailable; request allowed", exc_info=True)
            return True
