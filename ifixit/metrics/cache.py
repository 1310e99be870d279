"""Django's RedisCache, counting hits and misses (the CACHES backend in settings).

A thin subclass: reads go through Django's own code and are counted by whether the key was
there. The label is the cache's KEY_PREFIX ("ifixit", "ifixit-throttle"): the backend is not told
its alias, and a prefix names one cache as surely. Reads are counted where Django's own methods
read: `get_or_set` of an absent key is a miss, then a hit as it reads back what it wrote;
writes and `incr` (the throttles' counts) are not reads.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from ifixit.metrics import instruments

_ABSENT = object()


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._hits = instruments.cache_hits.labels(self.key_prefix or "default")
        self._misses = instruments.cache_misses.labels(self.key_prefix or "default")

    def get(self, key, default=None, version=None):
        value = super().get(key, _ABSENT, version)
        if value is _ABSENT:
            self._misses.inc()
            return default
        self._hits.inc()
        return value

    def get_many(self, keys, version=None):
        keys = list(keys)
        found = super().get_many(keys, version)
        if found:
            self._hits.inc(len(found))
        if len(keys) > len(found):
            self._misses.inc(len(keys) - len(found))
        return found
