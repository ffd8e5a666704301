"""Accounts through django-allauth: sign-up by email, verification, sign-in, password reset, TOTP, rate limits."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from organisations.models import Organisation
from tests.accounts.factories import PASSWORD, UserFactory

User = get_user_model()


def link_in(message) -> str:
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


def current_totp(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.django_db
class TestSignUp:
    def test_sign_up_by_email_requires_verification_then_signs_in(self, client, mailoutbox):
        response = client.post(
            reverse("account_signup"),
            {
                "name": "Ada Lovelace",
                "email": "Newcomer@Example.com",
                "password1": "a-long-enough-passphrase",
                "password2": "a-long-enough-passphrase",
            },
        )
        assert response.status_code == 302
        user = User.objects.get(email="newcomer@example.com")
        assert user.name == "Ada Lovelace"
        assert Organisation.objects.filter(memberships__user=user, is_personal=True).exists()
        # Not signed in before the address is verified.
        assert client.get("/").status_code == 302
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == ["newcomer@example.com"]
        confirm_url = link_in(mailoutbox[0])
        client.post(confirm_url)
        assert client.get("/").status_code == 200

    def test_sign_in_before_verification_sends_to_verification(self, client, mailoutbox):
        user = UserFactory(verified=False)
        response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302
        assert "confirm-email" in response["Location"]
        assert client.get("/").status_code == 302

    def test_there_is_no_username_field(self, client):
        page = client.get(reverse("account_signup")).content.decode()
        assert 'name="email"' in page
        assert 'name="username"' not in page

    def test_an_email_address_signs_up_once(self, client):
        UserFactory(email="taken@example.com")
        client.post(
            reverse("account_signup"),
            {
                "name": "Someone",
                "email": "TAKEN@example.com",
                "password1": "a-long-enough-passphrase",
                "password2": "a-long-enough-passphrase",
            },
        )
        assert User.objects.filter(email__iexact="taken@example.com").count() == 1


@pytest.mark.django_db
class TestSignIn:
    def test_sign_in_with_email_and_password(self, client):
        user = UserFactory()
        response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert response.status_code == 302
        assert client.get("/").status_code == 200

    def test_failed_sign_ins_are_rate_limited(self, client):
        user = UserFactory()
        for _ in range(5):
            client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
        response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        # Even the right password is refused while the limit holds.
        assert client.get("/").status_code == 302
        assert response.status_code in {200, 429}

    def test_a_foreign_next_is_not_followed(self, client):
        user = UserFactory()
        response = client.post(
            reverse("account_login") + "?next=https://evil.example/",
            {"login": user.email, "password": PASSWORD, "next": "https://evil.example/"},
        )
        assert response.status_code == 302
        assert "evil.example" not in response["Location"]

    def test_password_reset_by_email(self, client, mailoutbox):
        user = UserFactory()
        client.post(reverse("account_reset_password"), {"email": user.email})
        assert len(mailoutbox) == 1
        reset_url = client.get(link_in(mailoutbox[0]))["Location"]
        client.post(reset_url, {"password1": "another-long-passphrase", "password2": "another-long-passphrase"})
        user.refresh_from_db()
        assert user.check_password("another-long-passphrase")


PROXY = "10.0.0.1"  # the load balancer: every request reaches the console from its address


def sign_in_through_proxy(client, email, password, *, forwarded_for, host="testserver"):
    """A sign-in as the proxy passes it on: the client's X-Forwarded-For with the client's address appended."""
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
        HTTP_HOST=host,
    )


@pytest.mark.django_db
class TestRateLimitsBehindAProxy:
    @pytest.fixture(autouse=True)
    def one_proxy(self, settings):
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def test_ten_failed_sign_ins_from_one_client_do_not_lock_out_another(self, client):
        for index in range(10):
            sign_in_through_proxy(client, f"nobody{index}@example.com", "wrong", forwarded_for="203.0.113.1")
        user = UserFactory()
        refused = sign_in_through_proxy(client, user.email, PASSWORD, forwarded_for="203.0.113.1")
        assert refused.status_code in {200, 429}  # the first client has used its budget
        other = Client()
        response = sign_in_through_proxy(other, user.email, PASSWORD, forwarded_for="203.0.113.2")
        assert response.status_code == 302
        assert other.get("/").status_code == 200

    def test_entries_a_client_writes_before_the_proxy_s_are_not_trusted(self, client):
        # The client makes up a new address on every attempt; the proxy appends the real one, which is counted.
        for index in range(10):
            sign_in_through_proxy(
                client, f"nobody{index}@example.com", "wrong", forwarded_for=f"198.51.100.{index}, 203.0.113.1"
            )
        user = UserFactory()
        response = sign_in_through_proxy(client, user.email, PASSWORD, forwarded_for="198.51.100.99, 203.0.113.1")
        assert response.status_code in {200, 429}
        assert client.get("/").status_code == 302

    def test_an_account_has_one_budget_whatever_the_host_header(self, client, settings):
        settings.ALLOWED_HOSTS = ["console.example"]
        user = UserFactory()
        hosts = ["console.example", "CONSOLE.EXAMPLE", "console.example:443", "Console.Example:80", "console.example."]
        for index, host in enumerate(hosts):
            # From five addresses, so that only the account's own limit (5 per 5 minutes) can refuse.
            sign_in_through_proxy(client, user.email, "wrong", forwarded_for=f"203.0.113.{index}", host=host)
        response = sign_in_through_proxy(
            client, user.email, PASSWORD, forwarded_for="203.0.113.50", host="console.example:8000"
        )
        assert response.status_code in {200, 429}
        assert client.get("/", HTTP_HOST="console.example").status_code == 302


@pytest.mark.django_db
class TestTwoFactor:
    def test_with_totp_the_sign_in_asks_for_a_code(self, client):
        user = UserFactory()
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert response["Location"] == reverse("mfa_authenticate")
        assert client.get("/").status_code == 302  # not signed in yet
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert client.get("/").status_code == 302
        client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
        assert client.get("/").status_code == 200

    def test_enrolment_pages_are_reachable(self, client):
        client.force_login(UserFactory())
        assert client.get(reverse("mfa_index")).status_code == 200


@pytest.mark.django_db
class TestAdminSignIn:
    def test_the_admin_sign_in_goes_through_allauth(self, client):
        response = client.get("/admin/")
        assert response.status_code == 302
        response = client.get(response["Location"])
        assert response["Location"].startswith(reverse("account_login"))

    def test_a_signed_in_non_staff_person_is_refused(self, client):
        client.force_login(UserFactory())
        response = client.get("/admin/", follow=True)
        assert response.status_code == 403

    def test_staff_reach_the_admin(self, client):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        assert client.get("/admin/").status_code == 200
        assert client.get("/admin/organisations/organisation/").status_code == 200
