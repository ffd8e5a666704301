"""Production settings, security headers, migrations and the demo command."""

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
