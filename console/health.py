"""The load balancer's probes: ``/healthz`` (liveness) and ``/readyz`` (readiness).

Both are public (a probe has no session), answer GET and HEAD only, are never cached and never rate limited
(nothing here consumes a rate limit), and render no template. ``/healthz`` asks nothing of the dependencies: a
process that answers is alive, and restarting it would not bring a database back. ``/readyz`` asks the database
and the cache, each in a thread of its own, and answers 503 when one of them fails or is slower than
``READYZ_TIMEOUT`` (with ``READYZ_REQUIRE_CACHE`` off, a failing cache alone answers 200, "degraded"). It answers
503 without asking anything while the file ``DRAIN_FILE`` exists, so that a process about to stop is taken out of
the load balancer first.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

PROBE_KEY = "console:readyz"


def database_check() -> None:
    """Run ``SELECT 1`` on a connection of this thread's own, closed afterwards."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def cache_check() -> None:
    """Ping the cache (Redis), or write and read a key back (any other backend)."""
    cache = caches["default"]  # this thread's own
    if hasattr(cache, "ping"):
        try:
            cache.ping()
        finally:
            cache.disconnect()  # the thread ends here: its connection would wait for the garbage collector
        return
    value = str(time.monotonic())
    cache.set(PROBE_KEY, value, 10)
    if cache.get(PROBE_KEY) != value:
        raise RuntimeError("the cache did not keep a value")


CHECKS = {"database": database_check, "cache": cache_check}


def run_checks(checks: dict, timeout: float) -> dict[str, str]:
    """``{name: "ok" | "timeout" | the exception's class name}``, every check run at once, within ``timeout``."""
    results = {}

    def run(name, check):
        try:
            check()
        except Exception as error:
            results[name] = type(error).__name__
        else:
            results[name] = "ok"

    # Daemon threads: a check stuck on a frozen server must not keep the process from exiting.
    threads = [
        threading.Thread(target=run, args=item, daemon=True, name=f"readyz-{item[0]}") for item in checks.items()
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: results.get(name, "timeout") for name in checks}


def draining() -> bool:
    return bool(settings.DRAIN_FILE) and os.path.exists(settings.DRAIN_FILE)


@login_not_required
@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def readyz(request):
    if draining():
        return JsonResponse({"status": "draining"}, status=503)
    checks = run_checks(CHECKS, settings.READYZ_TIMEOUT)
    failed = [name for name, result in checks.items() if result != "ok"]
    if not failed:
        return JsonResponse({"status": "ok", "checks": checks})
    logger.warning("Not ready: %s", ", ".join(f"{name} {checks[name]}" for name in failed))
    if failed == ["cache"] and not settings.READYZ_REQUIRE_CACHE:
        # Every process shares the one Redis: failing them all would turn a degraded console into none.
        return JsonResponse({"status": "degraded", "failed": failed, "checks": checks})
    return JsonResponse({"status": "unavailable", "failed": failed, "checks": checks}, status=503)
