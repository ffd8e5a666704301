"""Settings from the environment, read by the production settings in a subprocess: the pool, the key fallbacks."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from tests.console.test_deployment import ROOT, production_env

READ = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
print(json.dumps({
    "options": settings.DATABASES["default"]["OPTIONS"],
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "pooled": connection.pool is not None,
}))
"""


def run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(DJANGO_SETTINGS_MODULE="console.settings", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def own_database_url() -> str:
    """The test database of this run (the subprocess only runs SELECT 1 in it)."""
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")


@postgres_only
@pytest.mark.django_db
def test_database_pool_uses_psycopg_s_pool_without_persistent_connections():
    result = run(READ, DATABASE_URL=own_database_url(), DATABASE_POOL="1", DATABASE_POOL_MAX_SIZE="4")
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["pooled"] is True
    assert read["conn_max_age"] == 0
    assert read["options"]["pool"]["max_size"] == 4
    assert read["options"]["connect_timeout"] == 5


@postgres_only
@pytest.mark.django_db
def test_without_the_pool_connections_persist():
    result = run(READ, DATABASE_URL=own_database_url())
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert (read["pooled"], read["conn_max_age"]) == (False, 60)
    assert "pool" not in read["options"]


def test_database_pool_and_conn_max_age_exclude_each_other():
    result = run("import django; django.setup()", DATABASE_POOL="1", CONN_MAX_AGE="60")
    assert result.returncode != 0
    assert "CONN_MAX_AGE" in result.stderr


def test_database_pool_needs_postgresql():
    result = run("import django; django.setup()", DATABASE_POOL="1", DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_POOL=1 needs PostgreSQL" in result.stderr


SIGNED_WITH_THE_OLD_KEY = """
import django
django.setup()
from django.conf import settings
from django.core import signing
signed = signing.dumps("still valid", key="the-previous-production-secret-key", salt="test")
print(settings.SECRET_KEY_FALLBACKS)
print(signing.loads(signed, salt="test"))
"""


def test_secret_key_fallbacks_keep_what_the_previous_key_signed():
    result = run(SIGNED_WITH_THE_OLD_KEY, SECRET_KEY_FALLBACKS="the-previous-production-secret-key, an-older-one")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['the-previous-production-secret-key', 'an-older-one']", "still valid"]


def test_without_fallbacks_the_previous_key_s_signatures_fail():
    result = run(SIGNED_WITH_THE_OLD_KEY)
    assert result.returncode != 0
    assert "BadSignature" in result.stderr
