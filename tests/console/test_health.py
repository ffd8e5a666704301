"""The load balancer's probes: /healthz and /readyz."""

import socket
import time
from unittest import mock

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from console import health


def closed_port() -> int:
    """A port of this machine on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_asks_no_dependency(client):
    # No database access is allowed in this test: the liveness probe does not need one.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_answers_200_when_the_database_and_the_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-store" in response["Cache-Control"]
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_the_probes_are_not_rate_limited_nor_need_a_session(client):
    for _ in range(40):
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert "sessionid" not in client.cookies


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_unreachable(client):
    if connection.vendor == "postgresql":
        unreachable = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": closed_port()}
    else:
        unreachable = {**connection.settings_dict, "NAME": "/no/such/directory/db.sqlite3"}
    with mock.patch.object(health, "connections", ConnectionHandler({"default": unreachable})):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_readyz_answers_503_when_the_cache_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "console.cache.SharedClientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["checks"]["database"] == "ok"
    settings.READYZ_REQUIRE_CACHE = False
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["failed"] == ["cache"]


def test_readyz_answers_503_in_time_when_a_check_hangs(client, settings):
    settings.READYZ_TIMEOUT = 0.2
    checks = {"database": lambda: time.sleep(3), "cache": lambda: None}
    started = time.monotonic()
    with mock.patch.object(health, "CHECKS", checks):
        response = client.get("/readyz")
    assert time.monotonic() - started < 1
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "timeout", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_answers_503_while_the_drain_file_exists(client, settings, tmp_path):
    settings.DRAIN_FILE = str(tmp_path / "drain")
    assert client.get("/readyz").status_code == 200
    (tmp_path / "drain").touch()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "draining"}
    assert client.get("/healthz").status_code == 200  # alive: it finishes the requests it has
    (tmp_path / "drain").unlink()
    assert client.get("/readyz").status_code == 200
