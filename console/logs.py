"""Structured logs: a request id on every record logged during a request, and one line per request.

``RequestLogMiddleware`` (the outermost middleware) takes the request id from ``X-Request-ID`` when the proxy sent
a well-formed one, makes one otherwise, echoes it in the response's ``X-Request-ID`` and logs one record per request
on ``console.request``: method, path (its secrets masked), status, duration, and the user's and organisation's ids
when known.
``RequestIdFilter`` (on the handler) adds the request id to every record of the request, whoever logs it. The
settings' ``LOGGING`` writes them as JSON lines (python-json-logger) with the time in UTC, ISO 8601.
"""

import contextvars
import logging
import re
import time
import uuid

logger = logging.getLogger("console.request")

# Letters, digits and a few separators (a UUID, nginx's $request_id, a trace id): nothing that could forge a line.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
PROBES = {"/healthz", "/readyz"}
# URL arguments that are secrets (an invitation's token, allauth's email confirmation and password reset keys).
SECRET_ARGUMENTS = {"token", "key"}

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_of(request) -> str:
    """The proxy's request id when it is well-formed, otherwise a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to the records logged while a request is served."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            request_id = request_id_var.get()
            if request_id is not None:
                record.request_id = request_id
        return True


def _user_id(request):
    # The user is read from the session, already loaded by every page that needs it; a probe has no session.
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:  # the database is what failed the request: log it without the user
        return None


def logged_path(request) -> str:
    """The path, its secrets masked: logs are read by more people than may accept an invitation."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_ARGUMENTS & match.kwargs.keys():
            if match.kwargs[name]:
                path = path.replace(str(match.kwargs[name]), "***")
    return path


def _organisation_id(request):
    access = getattr(request, "organisation_access", None)
    return access.organisation.pk if access is not None else None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id_of(request)
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            status = response.status_code
            if status >= 500:
                level = logging.ERROR
            elif request.path in PROBES and status == 200:
                level = logging.DEBUG  # every few seconds from each load balancer: only failures are news
            else:
                level = logging.INFO
            path = logged_path(request)
            logger.log(
                level,
                "%s %s %s",
                request.method,
                path,
                status,
                extra={
                    "request_id": request.request_id,
                    "method": request.method,
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(request),
                    "organisation_id": _organisation_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)
