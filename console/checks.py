"""Deployment checks of the project's own (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Sign-in rate limits must be counted once for every worker: with a cache of each process's own, each worker
    counts its own attempts and the limits are multiplied by the number of workers."""
    if settings.CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES:
        return [
            Warning(
                "The cache is local to each process: sign-in rate limits are not shared by the workers.",
                hint="Set REDIS_URL to a Redis server shared by every worker.",
                id="console.W001",
            )
        ]
    return []
