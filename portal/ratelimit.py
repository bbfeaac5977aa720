"""A fixed-window rate limit in the cache, for actions that must not be scripted (registration).

It fails open: if the cache (Redis in production) is unreachable the action is allowed and a
warning is logged, because an outage must not stop people from registering. The sign-in
lockout does not use this; it lives in the database and never fails open.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def allow(bucket: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit in ``bucket``; False once ``limit`` hits fell in the current window."""
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{bucket}:{window}"
    try:
        if cache.add(key, 1, timeout=window_seconds + 5):
            return True
        return cache.incr(key) <= limit
    except Exception:
        logger.warning("rate-limit cache unavailable; %s allowed", bucket, exc_info=True)
        return True
