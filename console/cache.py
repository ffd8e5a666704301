"""Django's Redis cache backend, with one ``redis.Redis`` client per connection pool and a degraded mode.

One client per pool: Django's ``RedisCacheClient.get_client`` makes a new ``redis.Redis`` for every cache call, and
each one fills a table of some 200 response callbacks: about 0.1 ms a call here, three calls on a page (session,
shell, content). The client holds no connection of its own (the pool does) and is safe to share; Django's cache
handler already gives each thread its own backend instance.

Degraded mode: Redis is a cache, not a single point of failure. When it does not answer (refused, or silent past
the socket timeouts of ``OPTIONS``), a read is a miss, a write is dropped, and the process stops asking for
``retry_after`` seconds (an option of ``OPTIONS``, 5 by default), so that a request waits for one timeout at most
instead of one per cache call. What it means for the callers:

- sessions (``cached_db``) are read from and written to the database;
- the invoice PDFs are rendered again;
- ``add`` answers True, as if the key had been added: allauth's rate limits take a lock with ``add``, then count in
  a ``get``/``set``, so they *fail open* while Redis is down (sign-in keeps working; attempts are not counted). The
  other direction, closed, would refuse every sign-in of every person for as long as the outage lasts; an attacker
  gains only the outage's minutes, against password hashing. A warning is logged when the outage begins.

A write dropped during the outage leaves Redis's copy stale (a session signed out of, still there when Redis comes
back from a freeze or a network partition): the process remembers the keys it could not write and deletes them
before its first call once Redis answers. ``incr`` is not degraded (nothing of ours counts with it). ``ping`` raises,
for the readiness probe, which then closes its connections with ``disconnect``.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 5.0
# Keys whose write was dropped, remembered to be deleted when the server answers again; past this many, a warning.
MAX_STALE_KEYS = 100_000

# Servers (by their LOCATION) found unreachable, and until when (time.monotonic()) they are not asked again; the keys
# written while they were (their copy in Redis, if any, is stale). Shared by the process's threads, each of which has
# a backend instance of its own.
_down_until: dict[tuple, float] = {}
_stale: dict[tuple, set] = {}


def one_key(key, *args):
    return [key]


def many_keys(keys, *args):
    return list(keys)


def degrades_to(fallback, writes=None):
    """Answer ``fallback(*args)`` instead of the Redis call while the server is down or when the call fails;
    ``writes(*args)`` names the keys a dropped write leaves stale in Redis, deleted as soon as it answers again."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if _down_until.get(self._servers_key, 0.0) > time.monotonic():
                self.remember_stale(writes, args)
                return fallback(*args)
            try:
                if _stale.get(self._servers_key):
                    self.delete_stale()
                return method(self, *args, **kwargs)
            except RedisError as error:
                self.mark_down(error)
                self.remember_stale(writes, args)
                return fallback(*args)

        return wrapper

    return decorator


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, retry_after=DEFAULT_RETRY_AFTER, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self._servers_key = tuple(servers)
        self._retry_after = float(retry_after)

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client

    def mark_down(self, error):
        if _down_until.get(self._servers_key, 0.0) <= time.monotonic():
            logger.warning(
                "Redis is unreachable (%s: %s): for %.0f s, cache reads miss, writes are dropped, sessions are read "
                "from the database and rate limits are not counted.",
                type(error).__name__,
                error,
                self._retry_after,
            )
        _down_until[self._servers_key] = time.monotonic() + self._retry_after

    def ping(self):
        self.get_client(write=True).ping()
        _down_until.pop(self._servers_key, None)

    def disconnect(self):
        for pool in self._pools.values():
            pool.disconnect()
        self._pools.clear()
        self._clients.clear()

    def remember_stale(self, writes, args):
        """A write was dropped: the copy Redis may still hold (a session since signed out of) must not be read."""
        if writes is None:
            return
        stale = _stale.setdefault(self._servers_key, set())
        if len(stale) < MAX_STALE_KEYS:
            stale.update(writes(*args))
        elif None not in stale:
            stale.add(None)  # warned
            logger.warning("Too many writes dropped while Redis is unreachable: flush it once it is back.")

    def delete_stale(self):
        keys = _stale.pop(self._servers_key, set())
        keys.discard(None)
        try:
            client = self.get_client(write=True)
            batch = list(keys)
            for start in range(0, len(batch), 1000):
                client.delete(*batch[start : start + 1000])
        except RedisError:
            _stale.setdefault(self._servers_key, set()).update(keys)
            raise

    add = degrades_to(lambda key, value, timeout: True, writes=one_key)(RedisCacheClient.add)
    get = degrades_to(lambda key, default: default)(RedisCacheClient.get)
    set = degrades_to(lambda key, value, timeout: None, writes=one_key)(RedisCacheClient.set)
    touch = degrades_to(lambda key, timeout: False, writes=one_key)(RedisCacheClient.touch)
    delete = degrades_to(lambda key: False, writes=one_key)(RedisCacheClient.delete)
    get_many = degrades_to(lambda keys: {})(RedisCacheClient.get_many)
    has_key = degrades_to(lambda key: False)(RedisCacheClient.has_key)
    set_many = degrades_to(lambda data, timeout: None, writes=many_keys)(RedisCacheClient.set_many)
    delete_many = degrades_to(lambda keys: None, writes=many_keys)(RedisCacheClient.delete_many)
    clear = degrades_to(lambda: False)(RedisCacheClient.clear)


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def ping(self):
        """Raise unless Redis answers (the readiness probe); a success ends the degraded mode at once."""
        self._cache.ping()

    def disconnect(self):
        """Close this backend's connections: the readiness probe's, whose thread ends with the probe."""
        self._cache.disconnect()
