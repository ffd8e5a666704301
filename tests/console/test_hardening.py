"""Hardening: no open redirect, security headers on every kind of page (and HSTS, secure cookies in production),
error pages in the console's style that reveal nothing."""

import json
import re
import subprocess
import sys
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from billing import services as billing_services
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import AddonFactory, ApplicationFactory, GrantFactory
from tests.billing.factories import usage_of

from .test_deployment import ROOT, production_env

FOREIGN = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "http:/evil.example",
    " //evil.example",
    "\t//evil.example",
    "javascript:alert(document.cookie)",
    "//evil.example@testserver",
    "http://testserver@evil.example/",
    "%2F%2Fevil.example",
]


def assert_stays_home(response):
    """A redirect that stays on the console (or no redirect at all)."""
    location = response.get("Location")
    if location is None:
        return
    assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}), location
    assert "evil.example" not in urlsplit(location).netloc, location
    assert not location.lstrip().lower().startswith("javascript:"), location


# No open redirect


@pytest.mark.django_db
@pytest.mark.parametrize("target", FOREIGN)
def test_signing_in_never_follows_a_foreign_next(client, target):
    user = UserFactory()
    response = client.post(f"{reverse('account_login')}?next={target}", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert_stays_home(response)
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert_stays_home(response)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("target", FOREIGN)
def test_the_language_switch_never_follows_a_foreign_next_or_referer(client, target, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    response = client.post(reverse("set_language"), {"language": "fr", "next": target})
    assert_stays_home(response)
    response = client.post(reverse("set_language"), {"language": "en"}, headers={"referer": target})
    assert_stays_home(response)
    response = client.get(reverse("set_language"), {"next": target})
    assert_stays_home(response)


@pytest.mark.django_db
@pytest.mark.parametrize("target", FOREIGN)
def test_signing_out_and_reauthenticating_never_follow_a_foreign_next(client, target):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert_stays_home(response)
    response = client.post(reverse("account_logout"), {"next": target})
    assert response.status_code == 302
    assert_stays_home(response)


@pytest.mark.django_db
@pytest.mark.parametrize("target", FOREIGN[:4])
def test_signing_up_never_follows_a_foreign_next(client, target):
    response = client.post(
        f"{reverse('account_signup')}?next={target}",
        {
            "name": "New Person",
            "email": "new@example.com",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    assert_stays_home(response)


@pytest.mark.django_db
@pytest.mark.parametrize("target", FOREIGN[:4])
def test_the_admin_sign_in_never_follows_a_foreign_next(client, target):
    response = client.get(reverse("admin:login"), {"next": target})
    assert_stays_home(response)


# Security headers on every kind of page


@pytest.fixture
def pages(organisation, member):
    """A sample of pages of every part of the console, with who sees them."""
    admin = member(ADMIN)
    application = ApplicationFactory(organisation=organisation, name="shop-front")
    addon = AddonFactory(organisation=organisation)
    for day in range(1, 6):
        usage_of(application, date(2026, 9, day), 24)
    invoice = billing_services.invoice_issue(
        organisation=organisation, month=date(2026, 9, 1), issued_on=date(2026, 10, 1), notify=False
    )
    grantee = GrantFactory(application=application, level="view").user
    staff = UserFactory(is_staff=True, is_superuser=True)
    app = {"slug": "acme", "pk": application.pk}
    return [
        (None, reverse("account_login")),
        (None, reverse("account_signup")),
        (None, reverse("account_reset_password")),
        (None, "/no-such-page/"),
        (admin, reverse("home")),
        (admin, reverse("organisations:create")),
        (admin, reverse("organisations:overview", args=["acme"])),
        (admin, reverse("organisations:settings", args=["acme"])),
        (admin, reverse("organisations:members", args=["acme"])),
        (admin, reverse("organisations:invite", args=["acme"])),
        (admin, reverse("organisations:activity", args=["acme"])),
        (admin, reverse("organisations:activity_export", args=["acme"])),
        (admin, reverse("apps:list", args=["acme"])),
        (admin, reverse("apps:create", args=["acme"])),
        (admin, reverse("apps:overview", kwargs=app)),
        (admin, reverse("apps:variables", kwargs=app)),
        (admin, reverse("apps:access", kwargs=app)),
        (admin, reverse("apps:addons", args=["acme"])),
        (admin, reverse("apps:addon", args=["acme", addon.pk])),
        (admin, reverse("billing:invoices", args=["acme"])),
        (admin, reverse("billing:invoice", args=["acme", invoice.pk])),
        (admin, reverse("billing:invoice_pdf", args=["acme", invoice.pk])),
        (admin, reverse("billing:invoices_csv", args=["acme"])),
        (admin, reverse("billing:consumption", args=["acme"])),
        (admin, reverse("billing:card_add", args=["acme"])),
        (admin, reverse("billing:profile_edit", args=["acme"])),
        (admin, reverse("mfa_index")),
        (admin, reverse("account_email")),
        (member(ACCOUNTING), reverse("organisations:members", args=["acme"])),  # the refusal page
        (member(DEVELOPER), "/o/no-such-organisation/overview/"),  # the not-found page
        (grantee, reverse("apps:shared")),
        (grantee, reverse("apps:overview", kwargs=app)),
        (staff, reverse("admin:index")),
        (staff, reverse("admin:organisations_organisation_changelist")),
    ]


def assert_security_headers(response, path):
    csp = response["Content-Security-Policy"]
    directives = dict(item.strip().split(" ", 1) for item in csp.split(";"))
    assert directives["default-src"] == "'self'", path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert directives["frame-ancestors"] == "'none'", path
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'", path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["Referrer-Policy"] == "same-origin", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", path


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@pytest.mark.django_db
def test_every_kind_of_page_carries_the_security_headers_and_no_inline_code(pages):
    seen = set()
    for user, path in pages:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        seen.add(response.status_code)
        assert_security_headers(response, path)
        content_type = response["Content-Type"]
        if content_type.startswith("text/html") and not path.startswith("/admin/"):
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), path
            assert "<style" not in html and " style=" not in html, path
            assert re.search(r"\son[a-z]+=\"", html) is None, f"inline event handler on {path}"
    assert {200, 403, 404} <= seen


# Private responses: no shared or browser cache keeps them


def assert_private(response, path):
    directives = {item.strip() for item in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (path, response.get("Cache-Control"))
    assert "public" not in directives, path


@pytest.mark.django_db
def test_every_response_but_a_static_asset_is_private_and_never_stored(pages, organisation, member):
    """Pages of every app, the downloads (PDF, CSV), secrets shown once, refusals, redirects and public pages."""
    admin = member(ADMIN)
    extra = [
        (admin, reverse("mfa_activate_totp")),  # shows the TOTP secret
        (None, reverse("organisations:invitation", args=["no-such-token"])),
        (None, reverse("organisations:overview", args=["acme"])),  # the redirect to sign in
    ]
    statuses = set()
    for user, path in [*pages, *extra]:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        statuses.add(response.status_code)
        assert_private(response, path)
    assert {200, 302, 403, 404} <= statuses
    client = Client()
    client.force_login(admin)
    posted = client.post(reverse("organisations:settings", args=["acme"]), {"name": ""})
    assert_private(posted, "a posted form")
    signed_in = Client().post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert_private(signed_in, "a sign-in")


@pytest.mark.django_db
def test_static_assets_stay_cacheable(client):
    response = client.get("/static/css/console.css")
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "") and "no-store" not in response.get("Cache-Control", "")


def test_production_sends_hsts_and_secure_cookies_and_redirects_to_https():
    script = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

out = {name: getattr(settings, name) for name in [
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT",
]}
# The static files' manifest is built at deployment (collectstatic); the headers do not depend on it.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    client = Client(SERVER_NAME="console.example")
    response = client.get("/accounts/login/", secure=True)
    out["status"] = response.status_code
    out["headers"] = dict(response.headers)
    out["cookies"] = {name: {"secure": morsel["secure"], "httponly": morsel["httponly"]}
                      for name, morsel in response.cookies.items()}
    plain = client.get("/accounts/login/")
    out["plain"] = [plain.status_code, plain.get("Location")]
print(json.dumps(out))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(DATABASE_URL="sqlite:///:memory:", DJANGO_SETTINGS_MODULE="console.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["DEBUG"] is False
    assert out["SECURE_HSTS_SECONDS"] >= 31536000 and out["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert out["SESSION_COOKIE_SECURE"] and out["CSRF_COOKIE_SECURE"] and out["SESSION_COOKIE_HTTPONLY"]
    assert out["status"] == 200
    headers = out["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert out["cookies"]["csrftoken"] == {"secure": True, "httponly": True}
    assert out["plain"] == [301, "https://console.example/accounts/login/"]


# Error pages


@pytest.mark.django_db
def test_the_not_found_page_of_an_anonymous_visitor_reveals_nothing(client):
    response = client.get("/o/acme/billing/invoices/1/<script>x</script>/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert "<script>" not in page and "invoices" not in page
    assert "error-page" in page


@pytest.mark.django_db
def test_the_refusal_page_names_no_right_or_role(client, member):
    client.force_login(member(ACCOUNTING))
    page = client.get(reverse("organisations:settings", args=["acme"])).content.decode()
    assert "You are not allowed to do this" in page
    for word in ["change_organisation", "Right.", "PermissionDenied", "required_right"]:
        assert word not in page


@pytest.mark.django_db
def test_a_form_refused_by_the_csrf_check_gets_the_console_page(client):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "someone@example.com", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form could not be sent" in page
    assert "error-page" in page
    assert "<style" not in page and "CSRF" not in page and "DEBUG" not in page
    assert_security_headers(response, "csrf failure")
