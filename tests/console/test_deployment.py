"""Production settings, security headers, migrations and the demo command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra):
    env = {
        key: value for key, value in os.environ.items() if key not in {"DEBUG", "PYTEST_VERSION", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="console.example",
        DEBUG="0",
        REDIS_URL="redis://127.0.0.1:6379/0",  # read, not connected to, by the checks
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_the_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_cache_is_each_process_s_own():
    env = production_env()
    del env["REDIS_URL"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "console.W001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_security_headers_on_every_response(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_page_of_the_shell_carries_inline_script_or_style(client, member):
    from organisations.roles import ADMIN

    client.force_login(member(ADMIN))
    for path in ["/", "/o/acme/overview/", "/o/acme/settings/", "/accounts/login/"]:
        page = client.get(path).content.decode()
        assert "<script>" not in page
        assert "style=" not in page


class TestDemoData:
    def test_refused_without_debug(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="DEBUG"):
            call_command("seed_demo")

    @pytest.mark.django_db
    def test_idempotent_and_signs_in_each_role(self, settings, client):
        from organisations.models import Membership, Organisation
        from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER

        settings.DEBUG = True
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        acme = Organisation.objects.get(name="Acme Web Agency")
        roles_by_email = dict(Membership.objects.filter(organisation=acme).values_list("user__email", "role__key"))
        assert roles_by_email == {
            "admin@acme.example": ADMIN,
            "manager@acme.example": MANAGER,
            "developer@acme.example": DEVELOPER,
            "accountant@acme.example": ACCOUNTING,
        }
        assert not Membership.objects.filter(organisation=acme, user__email="outsider@example.com").exists()
        response = client.post("/accounts/login/", {"login": "admin@acme.example", "password": "acme-demo-2026"})
        assert response.status_code == 302
        assert client.get(f"/o/{acme.slug}/overview/").status_code == 200


CONCURRENT_WRITES = """
import json
import threading
import time

import django

django.setup()
from django.conf import settings
from django.db import connection, connections, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE hit (id integer PRIMARY KEY, seen integer NOT NULL)")
    journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
connection.close()
errors = []
barrier = threading.Barrier(8)


def post_forms():
    # What a form's service does: read, then write, in one transaction; several requests at once.
    try:
        barrier.wait()
        for _ in range(20):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM hit")
                (seen,) = cursor.fetchone()
                time.sleep(0.002)
                cursor.execute("INSERT INTO hit (seen) VALUES (%s)", [seen])
    except Exception as error:
        errors.append(repr(error))
    finally:
        connections.close_all()


threads = [threading.Thread(target=post_forms) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*), count(DISTINCT seen) FROM hit")
    rows, distinct = cursor.fetchone()
print(json.dumps({"errors": errors, "rows": rows, "distinct": distinct, "journal_mode": journal_mode,
                  "options": settings.DATABASES["default"]["OPTIONS"]}))
"""


def test_the_default_sqlite_database_takes_concurrent_writes(tmp_path):
    """`make run` on SQLite: eight threads posting at once all succeed, one writer after the other."""
    env = {key: value for key, value in os.environ.items() if key not in {"PYTEST_VERSION", "PYTEST_CURRENT_TEST"}}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", CONCURRENT_WRITES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    assert out["journal_mode"] == "wal"
    assert out["options"]["transaction_mode"] == "IMMEDIATE" and out["options"]["timeout"] >= 5
    # Every transaction saw the one before it: the writes were one after the other, none lost.
    assert out["rows"] == out["distinct"] == 8 * 20


DATABASE_SETTINGS = """
import json

import django

django.setup()
from django.conf import settings

print(json.dumps(settings.DATABASES["default"], default=str))
"""


@pytest.mark.parametrize("disable", ["", "1"])
def test_postgresql_gets_no_sqlite_options_and_server_side_cursors_from_the_environment(disable):
    env = {key: value for key, value in os.environ.items() if key not in {"PYTEST_VERSION", "PYTEST_CURRENT_TEST"}}
    env.update(DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/db", DISABLE_SERVER_SIDE_CURSORS=disable)
    result = subprocess.run(
        [sys.executable, "-c", DATABASE_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout.strip().splitlines()[-1])
    assert "transaction_mode" not in database["OPTIONS"] and "init_command" not in database["OPTIONS"]
    # Django reads it beside OPTIONS, not in them.
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is bool(disable)


CLIENT_ADDRESS = """
import django

django.setup()
from allauth.account.adapter import get_adapter
from django.test import RequestFactory

request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="{forwarded}", HTTP_X_REAL_IP="{real}")
print(get_adapter().get_client_ip(request))
"""


@pytest.mark.parametrize(
    ("env", "address"),
    [
        ({}, "10.0.0.2"),  # no proxy of ours: X-Forwarded-For is the client's own word
        ({"TRUSTED_PROXY_COUNT": "1"}, "10.0.0.1"),
        ({"TRUSTED_PROXY_COUNT": "2"}, "203.0.113.7"),
        ({"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}, "192.0.2.4"),
    ],
)
def test_the_client_address_follows_the_trusted_proxies_of_the_environment(env, address):
    script = CLIENT_ADDRESS.format(forwarded="198.51.100.1, 203.0.113.7, 10.0.0.1", real="192.0.2.4")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(DATABASE_URL="sqlite:///:memory:", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == address
