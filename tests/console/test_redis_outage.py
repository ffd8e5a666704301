"""A Redis outage degrades the console, it does not stop it: a redis-server of the test's own, stopped and frozen.

Never the machine's shared Redis: each test starts its own server on a free port and always cleans it up.
"""

import logging
import shutil
import signal
import socket
import subprocess
import time
from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse

from billing import services as billing_services
from console import cache as console_cache
from organisations.roles import ACCOUNTING, ADMIN
from tests.accounts.factories import PASSWORD, UserFactory
from tests.billing.factories import ApplicationFactory, usage_of
from tests.organisations.factories import MembershipFactory

TIMEOUT = 0.2
# The longest a request may take with Redis gone: one timeout, and the page's own work on a busy machine.
BOUND = TIMEOUT + 1.3

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def free_port(start=6390) -> int:
    for port in range(start, start + 200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port")


class OwnRedis:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        self.thaw()
        self.process.terminate()
        self.process.wait(10)

    def cleanup(self):
        if self.process.poll() is None:
            self.stop()


@pytest.fixture
def redis(settings):
    server = OwnRedis()
    settings.CACHES = {
        "default": {
            "BACKEND": "console.cache.SharedClientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "OPTIONS": {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT, "retry_after": 5},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    console_cache._down_until.clear()
    console_cache._stale.clear()
    try:
        yield server
    finally:
        server.cleanup()
        console_cache._down_until.clear()
        console_cache._stale.clear()


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"{url} took {elapsed:.2f} s"
    return response


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=ADMIN).user


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_signed_in_pages_answer_through_an_outage(client, redis, organisation, admin, outage):
    sign_in(client, admin)
    overview = reverse("organisations:overview", args=[organisation.slug])
    assert timed_get(client, overview).status_code == 200
    assert any(b"sessions.cached_db" in key for key in _keys(redis)), "the session is in Redis before the outage"
    redis.stop() if outage == "stopped" else redis.freeze()
    for url in [overview, reverse("organisations:members", args=[organisation.slug]), reverse("home")]:
        response = timed_get(client, url)
        assert response.status_code == 200, url  # still signed in: the session is read from the database


def test_one_request_waits_for_one_timeout_at_most_then_the_cache_is_skipped(redis, caplog):
    cache.set("k", "v")
    redis.freeze()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="console.cache"):
        assert cache.get("k") is None
        assert cache.get_many(["k"]) == {}
        assert cache.add("lock", True) is True  # allauth's rate limits take their lock: fail open
        cache.set("k", "w")
        assert "k" not in cache
    assert time.monotonic() - started < TIMEOUT + 0.3
    warnings = [record for record in caplog.records if record.name == "console.cache"]
    assert len(warnings) == 1, "one warning when the outage begins, not one per call"
    assert "rate limits are not counted" in warnings[0].getMessage()


def test_a_session_signed_out_of_during_the_outage_is_not_revived_when_redis_comes_back(
    client, redis, settings, organisation, admin
):
    settings.CACHES["default"]["OPTIONS"]["retry_after"] = 0.3
    sign_in(client, admin)
    overview = reverse("organisations:overview", args=[organisation.slug])
    assert client.get(overview).status_code == 200  # the session, copied in Redis
    stolen = client.cookies["sessionid"].value
    redis.freeze()
    assert client.post(reverse("account_logout")).status_code == 302  # deleted in the database, not in Redis
    redis.thaw()
    time.sleep(0.4)
    client.cookies["sessionid"] = stolen
    response = client.get(overview)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_readiness_probe_leaves_no_connection_behind(client, redis):
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert _connected_clients(redis) <= 2  # the test's own (its session) and the one counting


def test_readyz_answers_503_in_time_when_redis_is_frozen(client, redis, settings):
    settings.READYZ_TIMEOUT = 1
    redis.freeze()
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < BOUND
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


def test_the_cache_comes_back_after_the_outage(redis):
    redis.freeze()
    assert cache.get("k") is None
    redis.thaw()
    cache.ping()  # the readiness probe: a success ends the degraded mode at once
    cache.set("k", "v")
    assert cache.get("k") == "v"


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_signing_in_works_during_an_outage(client, redis, organisation, admin, outage):
    redis.stop() if outage == "stopped" else redis.freeze()
    started = time.monotonic()
    sign_in(client, admin)
    assert time.monotonic() - started < BOUND
    assert timed_get(client, reverse("organisations:overview", args=[organisation.slug])).status_code == 200


def test_rate_limits_fail_open_with_a_warning(client, redis, settings, caplog):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "2/m/ip"}
    user = UserFactory()
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="console.cache"):
        for _ in range(4):
            response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
            assert response.status_code == 200  # the form again, not 429
    assert any("rate limits are not counted" in record.getMessage() for record in caplog.records)


def test_billing_pages_compute_what_the_cache_would_have_kept(client, redis, organisation):
    accountant = MembershipFactory(organisation=organisation, role=ACCOUNTING).user
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    for day in range(1, 31):
        usage_of(app, date(2026, 11, day), 24)
    invoice = billing_services.invoice_issue(
        organisation=organisation, month=date(2026, 11, 1), issued_on=date(2026, 12, 1)
    )
    client.force_login(accountant)
    redis.freeze()
    pdf = timed_get(client, reverse("billing:invoice_pdf", args=[organisation.slug, invoice.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert timed_get(client, reverse("billing:consumption", args=[organisation.slug])).status_code == 200


def _keys(redis):
    import redis as redis_py

    return redis_py.Redis(port=redis.port).keys("*")


def _connected_clients(redis):
    import redis as redis_py

    return redis_py.Redis(port=redis.port).info("clients")["connected_clients"]
