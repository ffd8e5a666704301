"""Django's Redis cache backend, building one ``redis.Redis`` client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` makes a new ``redis.Redis`` for every cache call, and each one fills a
table of some 200 response callbacks: about 0.1 ms a call here, three calls on a page (session, shell, content).
The client holds no connection of its own (the pool does) and is safe to share; Django's cache handler already
gives each thread its own backend instance.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
