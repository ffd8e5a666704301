"""gunicorn's settings for the console, from the environment: `gunicorn console.wsgi` reads this file.

Meant to run behind a buffering reverse proxy (nginx, HAProxy): the proxy absorbs slow clients, so a few threads
per worker are enough and the timeouts can be short.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# The CPUs this process may use (a container's share, not the host's), one worker each and one more.
workers = int(os.environ.get("WEB_CONCURRENCY", str(len(os.sched_getaffinity(0)) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A request that takes longer than this is killed and its worker restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, the requests under way have this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than nginx's upstream keepalive, shorter than a load balancer's idle timeout.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A slow leak of memory (a library's, or ours) is bounded by restarting each worker now and then.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The proxies whose X-Forwarded-Proto (https) gunicorn believes: the reverse proxy's addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The console logs every request itself (JSON, secrets of paths masked: console/logs.py); GUNICORN_ACCESSLOG= (empty)
# leaves those alone.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
# The request id is the console's X-Request-ID response header: the same as in the logs.
access_log_format = os.environ.get(
    "GUNICORN_ACCESS_LOG_FORMAT", '%(h)s %({x-request-id}o)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
)


def on_starting(server):
    """A server that starts is not draining: remove a drain file left by the previous one (see /readyz)."""
    drain_file = os.environ.get("DRAIN_FILE")
    if drain_file and os.path.exists(drain_file):
        os.remove(drain_file)
