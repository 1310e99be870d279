"""API throttling, shared by every node.

Counts live in Redis (the "throttle" cache), so every web node counts the same client. A
client over its rate gets 429 with Retry-After (DRF's Throttled). The rates are settings
(API_RATE_PER_TOKEN, API_RATE_PER_ADDRESS; "off" turns one off, e.g. for a load test).
Wrong API tokens are counted by ifixit.accounts.authentication in the same cache.

Its own module, not ifixit.api: DRF reads DEFAULT_THROTTLE_CLASSES while defining APIView,
which ifixit.api imports.
"""

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling



class _RedisRateThrottle(throttling.SimpleRateThrottle):
    def __init__(self):
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        return super().allow_request(request, view)


class TokenRateThrottle(_RedisRateThrottle):
    """Per API token (a script), or per user for a signed-in browser using the API."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        ident = f"token-{request.auth.pk}" if getattr(request.auth, "pk", None) else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_RedisRateThrottle):
    """Per client address, signed in or not: what one machine (or one office) may send."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_counts_clear() -> int:
    """Forget every API request count and token failure (an admin lifting a block at once,
    and the test suite between tests). Only the throttle cache's keys: never a FLUSHDB, which
    would take the cached answers and the job queue with it."""
    cache = caches["throttle"]
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    return client.delete(*keys) if keys else 0
