"""The organisation pages cached as rendered fragments (organisations/generations.py, {% organisation_fragment %}):
what people see is never out of date, and never someone else's.

Each test renders a page twice first (the second time from the cache: same HTML, fewer queries), then makes a change
the way a person would (a service, staff in the Django admin, a model save), then renders again and looks for the
change. At the end, a table of changes checks every piece of the wiring on its own: the services also record an
activity entry, which retires the generation by itself, so the pages alone would not notice a missing piece.

The tests run inside a transaction that never commits, so the generation is retired only where a test says
``with committed():`` (pytest-django runs the on-commit callbacks at the end of the block), as the end of the
request's transaction would. The tests about rollback (``TestCommit`` and one test with real commits) check that step.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection, transaction
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from apps import services as app_services
from apps.models import Application, ApplicationGrant
from billing import services as billing_services
from billing.models import Credit, Flavor, Invoice, Payment
from billing.selectors import month_start, previous_month
from console.templatetags.fragments import CSRF_PLACEHOLDER
from organisations import services
from organisations.generations import organisation_changed, organisation_generation
from organisations.models import Activity, Invitation, Membership, OrganisationGroupObjectPermission
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right
from tests.accounts.factories import UserFactory
from tests.apps.factories import (
    AddonFactory,
    ApplicationFactory,
    DeploymentFactory,
    DomainFactory,
    GrantFactory,
    VariableFactory,
)
from tests.billing.factories import BillingProfileFactory, CardFactory, usage_of
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.organisations.members_support import BASE_URL, enable_totp, invite

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


# Reading pages


def url(name: str, slug: str = "acme", **kwargs) -> str:
    return reverse(name, kwargs={"slug": slug, **kwargs})


def app_url(application, name: str = "overview") -> str:
    return url(f"apps:{name}", slug=application.organisation.slug, pk=application.pk)


def page(client, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 200, response
    return response.content.decode()


def content(html: str) -> str:
    """The page's content (where the cached fragments are), without its CSRF tokens (masked afresh each time)."""
    main = html.split('<main class="content" id="content">', 1)[1].split("</main>", 1)[0]
    return TOKEN.sub("", main)


def rendered(client, address: str) -> tuple[str, int]:
    """The page and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        html = page(client, address)
    return html, len(queries)


def cached_page(client, address: str) -> str:
    """Render the page twice: the second time comes from the cache (same content, fewer queries)."""
    first, first_queries = rendered(client, address)
    second, second_queries = rendered(client, address)
    assert content(second) == content(first)
    assert second_queries < first_queries, "the second rendering did not come from the cache"
    return second


def row_of(html: str, text: str) -> str:
    """The table row holding ``text``."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if text in row]
    assert len(rows) == 1, f"{len(rows)} rows hold {text!r}"
    return rows[0]


def member_count(html: str) -> int:
    return int(re.search(r"<dt>Members</dt><dd>(\d+)</dd>", html).group(1))


def tokens(html: str) -> list[str]:
    found = TOKEN.findall(html)
    assert found, "no form with a CSRF token in the page"
    return found


def csrf_secret(client) -> str:
    """The secret that the browser's CSRF cookie holds: the tokens of its pages are masks of it."""
    return client.cookies[settings.CSRF_COOKIE_NAME].value


# Fixtures


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():``: what the block leaves for after the commit runs at its end, as after a request."""
    return partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def admin(client, member):
    """An Admin of Acme, signed in with ``client``."""
    user = member(ADMIN, user__name="Alice Admin")
    client.force_login(user)
    return user


@pytest.fixture
def application(organisation):
    """A running application of Acme, deployed once."""
    application = ApplicationFactory(organisation=organisation, name="shop-front", state=Application.State.RUNNING)
    DeploymentFactory(application=application)
    return application


def membership_of(organisation, user) -> Membership:
    return Membership.objects.get(organisation=organisation, user=user)


def browser_of(user, **kwargs) -> Client:
    """Another browser, signed in as ``user``."""
    other = Client(**kwargs)
    other.force_login(user)
    return other


# 1. The members page follows the members


class TestMembersPage:
    def test_a_role_change_shows(self, client, organisation, admin, member, committed):
        developer = member(DEVELOPER, user__name="Dana Dev")
        assert "Developer" in row_of(cached_page(client, url("organisations:members")), "Dana Dev")
        with committed():
            services.membership_change_role(
                actor=admin, membership=membership_of(organisation, developer), role=MANAGER
            )
        row = row_of(page(client, url("organisations:members")), "Dana Dev")
        assert "Manager" in row and "Developer" not in row

    def test_a_removed_member_disappears(self, client, organisation, admin, member, committed):
        developer = member(DEVELOPER, user__name="Dana Dev")
        assert "Dana Dev" in cached_page(client, url("organisations:members"))
        with committed():
            services.membership_remove(actor=admin, membership=membership_of(organisation, developer))
        html = page(client, url("organisations:members"))
        assert "Dana Dev" not in html and developer.email not in html

    def test_a_renamed_person_shows_under_the_new_name(self, client, admin, member, committed):
        developer = member(DEVELOPER, user__name="Dana Dev")
        assert "Dana Dev" in cached_page(client, url("organisations:members"))
        with committed():
            developer.name = "Dana Renamed"
            developer.save()
        html = page(client, url("organisations:members"))
        assert "Dana Renamed" in html and "Dana Dev" not in html

    def test_two_factor_turned_on_and_off_shows(self, client, admin, member, committed):
        developer = member(DEVELOPER, user__name="Dana Dev")
        assert "Not set up" in row_of(cached_page(client, url("organisations:members")), "Dana Dev")
        with committed():
            Authenticator.objects.create(user=developer, type=Authenticator.Type.TOTP, data={"secret": "x"})
        assert "Enabled" in row_of(cached_page(client, url("organisations:members")), "Dana Dev")
        with committed():
            Authenticator.objects.filter(user=developer).get().delete()
        assert "Not set up" in row_of(page(client, url("organisations:members")), "Dana Dev")

    def test_two_factor_through_allauth_shows(self, client, admin, member, committed):
        developer = member(DEVELOPER, user__name="Dana Dev")
        cached_page(client, url("organisations:members"))
        with committed():
            enable_totp(developer)
        assert "Enabled" in row_of(page(client, url("organisations:members")), "Dana Dev")

    def test_an_invitation_shows_then_goes_when_revoked(self, client, organisation, admin, committed):
        assert "No pending invitation." in cached_page(client, url("organisations:members"))
        with committed():
            invitation, _token = invite(actor=admin, organisation=organisation, email="new@example.com", role=MANAGER)
        assert "new@example.com" in cached_page(client, url("organisations:members"))
        with committed():
            services.invitation_revoke(actor=admin, invitation=invitation)
        assert "new@example.com" not in page(client, url("organisations:members"))


# 2. Each viewer sees their own page


class TestViewers:
    def test_the_links_are_those_of_the_viewer(self, client, organisation, admin, member):
        """The Admin's page is cached; a Manager, then a Developer, on the same address see their own actions."""
        manager, developer = member(MANAGER), member(DEVELOPER)
        admin_row, developer_row = membership_of(organisation, admin), membership_of(organisation, developer)
        html = cached_page(client, url("organisations:members"))
        assert url("organisations:member_role", pk=admin_row.pk) in html
        assert url("organisations:member_remove", pk=developer_row.pk) in html

        client.force_login(manager)
        html = page(client, url("organisations:members"))
        assert url("organisations:member_remove", pk=developer_row.pk) in html
        assert url("organisations:member_role", pk=admin_row.pk) not in html  # only an Admin manages Admins
        assert url("organisations:member_remove", pk=admin_row.pk) not in html

        client.force_login(developer)
        html = page(client, url("organisations:members"))
        assert "/role/" not in html and "/remove/" not in html
        assert "Change role" not in html and "Invite a member" not in html

    def test_the_you_badge_marks_each_viewers_own_row(self, client, organisation, admin, member):
        """Two Admins hold the same rights: only the viewer tells their pages apart."""
        other = member(ADMIN, user__name="Bob Admin")
        you = '<span class="badge">you</span>'
        html = cached_page(client, url("organisations:members"))
        assert you in row_of(html, "Alice Admin") and you not in row_of(html, "Bob Admin")
        assert url("organisations:member_remove", pk=membership_of(organisation, admin).pk) not in html

        html = page(browser_of(other), url("organisations:members"))
        assert you in row_of(html, "Bob Admin") and you not in row_of(html, "Alice Admin")
        assert url("organisations:member_remove", pk=membership_of(organisation, admin).pk) in html
        assert url("organisations:member_remove", pk=membership_of(organisation, other).pk) not in html

    def test_the_page_shell_names_the_viewer(self, client, admin, member):
        other = member(ADMIN, user__name="Bob Admin")
        assert "<summary>Alice Admin</summary>" in cached_page(client, url("organisations:members"))
        html = page(browser_of(other), url("organisations:members"))
        assert "<summary>Bob Admin</summary>" in html and "<summary>Alice Admin</summary>" not in html

    def test_the_role_on_the_overview_is_the_viewers(self, client, admin, member):
        assert "<dd>Admin</dd>" in cached_page(client, url("organisations:overview"))
        html = page(browser_of(member(DEVELOPER)), url("organisations:overview"))
        assert "<dd>Developer</dd>" in html and "<dd>Admin</dd>" not in html

    def test_a_grantee_sees_no_member_actions_on_a_cached_application(self, client, admin, application):
        """An Admin's application page, with its Stop button and danger zone, is cached; a person holding only a
        view grant gets the page of their own access."""
        html = cached_page(client, app_url(application))
        assert app_url(application, "stop") in html and "Delete this application" in html
        grantee = GrantFactory(application=application, level=ApplicationGrant.Level.VIEW).user
        html = page(browser_of(grantee), app_url(application))
        assert "shop-front" in html and "shared with you" in html
        assert app_url(application, "stop") not in html and "Delete this application" not in html
        assert app_url(application, "access") not in html


# 3. Language


class TestLanguage:
    def test_a_french_viewer_gets_french_after_an_english_one(self, client, admin):
        assert "<h1>Members</h1>" in cached_page(client, url("organisations:members"))
        client.post(reverse("set_language"), {"language": "fr", "next": url("organisations:members")})
        french = page(client, url("organisations:members"))
        assert "<h1>Membres</h1>" in french and "Inviter un membre" in french
        assert "<h1>Members</h1>" not in french

    def test_an_english_browser_gets_english_after_a_french_one(self, client, admin):
        """The same person in another browser (the same page but for the language)."""
        client.post(reverse("set_language"), {"language": "fr", "next": "/"})
        assert "<h1>Membres</h1>" in cached_page(client, url("organisations:members"))
        english = page(browser_of(admin), url("organisations:members"))
        assert "<h1>Members</h1>" in english and "Membres" not in english


# 4. Applications


def create_application(actor, organisation, name: str):
    return app_services.application_create(
        actor=actor,
        organisation=organisation,
        name=name,
        runtime=Application.Runtime.PYTHON,
        region=Application.Region.PARIS,
        flavor=Flavor.objects.get(code="xs"),
    )


class TestApplications:
    def test_a_new_application_shows_in_the_list(self, client, organisation, admin, committed):
        assert "No application yet." in cached_page(client, url("apps:list"))
        with committed():
            create_application(admin, organisation, "billing-api")
        html = page(client, url("apps:list"))
        assert "billing-api" in html and "No application yet." not in html

    def test_stopping_and_starting_show_in_the_list_and_on_the_overview(self, client, admin, application, committed):
        assert "Running" in row_of(cached_page(client, url("apps:list")), "shop-front")
        assert app_url(application, "stop") in cached_page(client, app_url(application))
        with committed():
            app_services.application_stop(actor=admin, application=application)
        assert "Stopped" in row_of(cached_page(client, url("apps:list")), "shop-front")
        html = cached_page(client, app_url(application))
        assert app_url(application, "start") in html and app_url(application, "stop") not in html
        with committed():
            app_services.application_start(actor=admin, application=application)
        assert "Running" in row_of(page(client, url("apps:list")), "shop-front")
        html = page(client, app_url(application))
        assert app_url(application, "stop") in html and app_url(application, "start") not in html

    def test_a_new_domain_shows_on_the_overview(self, client, admin, application, committed):
        assert "shop.example.com" not in cached_page(client, app_url(application))
        with committed():
            app_services.domain_add(actor=admin, application=application, hostname="shop.example.com")
        assert "<li>shop.example.com</li>" in page(client, app_url(application))

    def test_a_deployment_shows_in_the_list_and_on_the_overview(self, client, admin, application, committed):
        cached_page(client, url("apps:list"))
        cached_page(client, app_url(application))
        with committed():
            app_services.deployment_create(actor=admin, application=application, commit="c0ffee" + "0" * 34)
        assert "<code>c0ffee0</code>" in row_of(page(client, url("apps:list")), "shop-front")
        assert "<code>c0ffee0</code>" in page(client, app_url(application))


# 5. Who has access


class TestWhoHasAccess:
    def test_granting_by_email_then_revoking(self, client, admin, application, committed):
        person = UserFactory(name="Gary Grantee", email="gary@example.com")
        assert "Gary Grantee" not in cached_page(client, app_url(application, "access"))
        with committed():
            grant = app_services.grant_by_email(
                actor=admin, application=application, email="gary@example.com", level="deploy", base_url=BASE_URL
            )
        assert "direct access" in row_of(cached_page(client, app_url(application, "access")), "Gary Grantee")
        with committed():
            app_services.grant_revoke(actor=admin, grant=grant)
        assert "Gary Grantee" not in page(client, app_url(application, "access"))
        assert person.email not in page(client, app_url(application, "access"))

    def test_inviting_a_person_without_an_account_shows_the_invitation(self, client, admin, application, committed):
        cached_page(client, app_url(application, "access"))
        with committed():
            app_services.grant_by_email(
                actor=admin, application=application, email="nobody@example.com", level="view", base_url=BASE_URL
            )
        assert "nobody@example.com" in row_of(page(client, app_url(application, "access")), "nobody@example.com")

    def test_a_renamed_grantee_shows_under_the_new_name(self, client, admin, application, committed):
        grantee = GrantFactory(application=application, user__name="Gary Grantee").user
        assert "Gary Grantee" in cached_page(client, app_url(application, "access"))
        with committed():
            grantee.name = "Gary Renamed"
            grantee.save()
        html = page(client, app_url(application, "access"))
        assert "Gary Renamed" in html and "Gary Grantee" not in html

    def test_a_member_given_the_right_through_a_group_shows_then_goes(
        self, client, organisation, admin, member, application, committed
    ):
        """An Accountant does not see applications; joining a group holding that right makes them appear, and the
        group emptied makes them go."""
        group = Group.objects.create(name="readers")
        OrganisationGroupObjectPermission.objects.create(
            group=group,
            content_object=organisation,
            permission=Permission.objects.get(
                content_type__app_label="organisations", codename=Right.VIEW_APPLICATIONS.value
            ),
        )
        accountant = member(ACCOUNTING, user__name="Anna Accountant")
        assert "Anna Accountant" not in cached_page(client, app_url(application, "access"))
        with committed():
            accountant.groups.add(group)
        assert "Anna Accountant" in cached_page(client, app_url(application, "access"))
        with committed():
            group.user_set.clear()  # from the group's side: the signal names no user
        assert "Anna Accountant" not in page(client, app_url(application, "access"))


# 6. Activity and overview


class TestActivityAndOverview:
    def test_a_new_entry_shows_in_the_activity_log_and_on_the_overview(self, client, organisation, admin, committed):
        assert "<td>Created an application</td>" not in cached_page(client, url("organisations:activity"))
        assert "<td>Created an application</td>" not in cached_page(client, url("organisations:overview"))
        with committed():
            create_application(admin, organisation, "billing-api")
        activity = page(client, url("organisations:activity"))
        assert "billing-api" in row_of(activity, "<td>Created an application</td>")
        assert "billing-api" in row_of(page(client, url("organisations:overview")), "<td>Created an application</td>")

    def test_the_member_count_follows_an_acceptance_and_a_removal(self, client, organisation, admin, committed):
        assert member_count(cached_page(client, url("organisations:overview"))) == 1
        newcomer = UserFactory(email="new@example.com")
        with committed():
            _invitation, token = invite(actor=admin, organisation=organisation, email=newcomer.email, role=DEVELOPER)
        cached_page(client, url("organisations:overview"))
        with committed():
            services.invitation_accept(user=newcomer, token=token)
        assert member_count(cached_page(client, url("organisations:overview"))) == 2
        with committed():
            services.membership_remove(actor=admin, membership=membership_of(organisation, newcomer))
        assert member_count(page(client, url("organisations:overview"))) == 1

    def test_a_renamed_organisation_shows_on_the_overview(self, client, organisation, admin, committed):
        assert "<h1>Acme Web Agency</h1>" in cached_page(client, url("organisations:overview"))
        with committed():
            services.organisation_update(actor=admin, organisation=organisation, name="Acme Studio", description="")
        assert "<h1>Acme Studio</h1>" in page(client, url("organisations:overview"))


# 7. Billing


@pytest.fixture
def last_month_invoiced(organisation, application):
    """Issue Acme's invoice for last month's usage of its application (as the monthly run would)."""

    def issue() -> Invoice:
        today = timezone.localdate()
        month = previous_month(month_start(today))
        for day in (1, 2, 3):
            usage_of(application, month.replace(day=day), 24)
        return billing_services.invoice_issue(organisation=organisation, month=month, issued_on=today, notify=False)

    return issue


class TestBilling:
    def test_an_issued_invoice_shows_then_its_payment(
        self, client, organisation, admin, last_month_invoiced, committed
    ):
        CardFactory(organisation=organisation)
        assert "No invoices in" in cached_page(client, url("billing:invoices"))
        with committed():
            invoice = last_month_invoiced()
        row = row_of(cached_page(client, url("billing:invoices")), invoice.number)
        assert "badge--warn" in row and "Pending" in row
        with committed():
            billing_services.invoice_pay(actor=admin, invoice=invoice)
        row = row_of(page(client, url("billing:invoices")), invoice.number)
        assert "badge--ok" in row and "Paid" in row

    def test_new_usage_shows_in_the_consumption(self, client, admin, application):
        assert "No consumption this month." in cached_page(client, url("billing:consumption"))
        usage_of(application, timezone.localdate(), 24)  # metering: no signal, a new usage version
        html = page(client, url("billing:consumption"))
        assert "No consumption this month." not in html
        assert "shop-front" in row_of(content(html), "Application")


# 8. CSRF tokens in cached forms


CACHED_PAGES = [
    "organisations:overview",
    "organisations:members",
    "organisations:activity",
    "apps:list",
    "apps:overview",
    "apps:access",
    "billing:invoices",
    "billing:consumption",
]


def address_of(name: str, application) -> str:
    if name in {"apps:overview", "apps:access"}:
        return app_url(application, name.removeprefix("apps:"))
    return url(name)


def assert_each_browser_has_its_own_tokens(first, second, address: str, action: str) -> None:
    """``first`` fills the cache, ``second`` (enforcing CSRF checks) is served from it; the form of ``action`` in
    the second page posts with the second browser's own token."""
    first_html = cached_page(first, address)
    second_html = page(second, address)
    assert content(second_html) == content(first_html)
    first_tokens, second_tokens = tokens(first_html), tokens(second_html)
    assert {_unmask_cipher_token(token) for token in first_tokens} == {csrf_secret(first)}
    assert {_unmask_cipher_token(token) for token in second_tokens} == {csrf_secret(second)}
    assert not set(first_tokens) & set(second_tokens)
    assert CSRF_PLACEHOLDER not in first_html + second_html
    assert f'action="{action}"' in second_html
    # The other browser's token is refused (this check can fail), the page's own is accepted.
    assert second.post(action, {"csrfmiddlewaretoken": first_tokens[0]}).status_code == 403
    assert second.post(action, {"csrfmiddlewaretoken": second_tokens[0]}).status_code == 302


class TestCsrf:
    def test_the_start_stop_forms_of_a_cached_application_page(self, client, admin, member, application):
        second = browser_of(member(ADMIN), enforce_csrf_checks=True)
        # Stopping is confirmed on a page of its own (a link); restarting is a form of the application's page.
        assert_each_browser_has_its_own_tokens(client, second, app_url(application), app_url(application, "restart"))
        application.refresh_from_db()
        assert application.state == Application.State.RUNNING

    def test_the_invitation_forms_of_a_cached_members_page(self, client, organisation, admin, member):
        invitation, _token = invite(actor=admin, organisation=organisation, email="new@example.com", role=DEVELOPER)
        second = browser_of(admin, enforce_csrf_checks=True)  # the same person's other device: the same fragment
        action = url("organisations:invitation_revoke", pk=invitation.pk)
        assert_each_browser_has_its_own_tokens(client, second, url("organisations:members"), action)
        invitation.refresh_from_db()
        assert invitation.state == invitation.State.REVOKED

    @pytest.mark.parametrize("name", CACHED_PAGES)
    def test_no_page_carries_the_placeholder(self, client, organisation, admin, application, name):
        """Not when rendered, nor when served from the cache, nor from a fragment rendered for a HEAD request;
        every token in the page is the browser's own."""
        invite(actor=admin, organisation=organisation, email="new@example.com", role=DEVELOPER)
        address = address_of(name, application)
        cold, cold_queries = rendered(client, address)
        warm, warm_queries = rendered(client, address)
        assert warm_queries < cold_queries
        cache.clear()  # cold again; a HEAD request renders the fragment this time
        assert client.head(address).status_code == 200
        after_head, queries = rendered(client, address)
        assert queries == warm_queries
        for html in (cold, warm, after_head):
            assert CSRF_PLACEHOLDER not in html
            assert {_unmask_cipher_token(token) for token in tokens(html)} == {csrf_secret(client)}

    def test_a_name_written_like_the_placeholder_stays_text(self, client, organisation, admin, member):
        """Only the token attribute the fragment tag wrote is replaced: a member calling themselves by the
        placeholder's name shows that name, never the viewer's token."""
        member(DEVELOPER, user__name=CSRF_PLACEHOLDER)
        address = url("organisations:members")
        for html in (cached_page(client, address), page(client, address)):  # rendered, then from the cache
            assert f"<td>{CSRF_PLACEHOLDER}" in html
            assert {_unmask_cipher_token(token) for token in tokens(html)} == {csrf_secret(client)}


# 9. A form sent back with its errors


class TestFormErrors:
    def test_a_form_with_errors_is_neither_cached_nor_served_from_the_cache(self, client, admin, application):
        address, error = app_url(application, "access"), "Enter a valid email address."
        response = client.post(address, {"email": "not-an-email", "level": "view"})
        assert response.status_code == 200 and error in response.content.decode()
        html = cached_page(client, address)
        assert error not in html and "not-an-email" not in html
        response = client.post(address, {"email": "still-not-an-email", "level": "view"})
        assert error in response.content.decode() and 'value="still-not-an-email"' in response.content.decode()
        html = page(client, address)
        assert error not in html and "still-not-an-email" not in html


# 10. Only what commits retires the generation


class Abort(Exception):
    pass


class TestCommit:
    def test_the_generation_is_retired_once_the_change_commits(self, organisation, django_capture_on_commit_callbacks):
        generation = organisation_generation(organisation.pk)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            organisation_changed(organisation.pk)
            assert organisation_generation(organisation.pk) == generation  # not before the commit
        assert len(callbacks) == 1
        assert organisation_generation(organisation.pk) != generation

    def test_a_change_rolled_back_retires_nothing(
        self, organisation, admin, member, django_capture_on_commit_callbacks
    ):
        developer = member(DEVELOPER)
        generation = organisation_generation(organisation.pk)
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort), transaction.atomic():
            services.membership_change_role(
                actor=admin, membership=membership_of(organisation, developer), role=MANAGER
            )
            raise Abort
        assert callbacks == []
        assert organisation_generation(organisation.pk) == generation


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_a_rollback_keeps_the_page_and_a_commit_replaces_it(client, organisation, member):
    admin, developer = member(ADMIN), member(DEVELOPER, user__name="Dana Dev")
    client.force_login(admin)
    address = url("organisations:members")
    cached_page(client, address)
    _html, warm = rendered(client, address)
    generation = organisation_generation(organisation.pk)
    with pytest.raises(Abort), transaction.atomic():
        services.membership_change_role(actor=admin, membership=membership_of(organisation, developer), role=MANAGER)
        raise Abort
    assert organisation_generation(organisation.pk) == generation
    html, queries = rendered(client, address)
    assert queries == warm and "Developer" in row_of(html, "Dana Dev")
    services.membership_change_role(actor=admin, membership=membership_of(organisation, developer), role=MANAGER)
    assert organisation_generation(organisation.pk) != generation
    assert "Manager" in row_of(page(client, address), "Dana Dev")


# 11. Organisations apart


@pytest.fixture
def globex(db):
    return OrganisationFactory(name="Globex Corporation", slug="globex")


class TestIsolation:
    def test_a_change_in_another_organisation_keeps_this_ones_pages(
        self, client, organisation, admin, globex, committed
    ):
        globex_admin = MembershipFactory(organisation=globex, role=ADMIN).user
        globex_developer = MembershipFactory(organisation=globex, role=DEVELOPER).user
        address = url("organisations:members")
        cached_page(client, address)
        _html, warm = rendered(client, address)
        generation = organisation_generation(organisation.pk)
        with committed():
            services.membership_change_role(
                actor=globex_admin, membership=membership_of(globex, globex_developer), role=MANAGER
            )
            app_services.application_create(
                actor=globex_admin,
                organisation=globex,
                name="globex-api",
                runtime=Application.Runtime.PYTHON,
                region=Application.Region.PARIS,
                flavor=Flavor.objects.get(code="xs"),
            )
        assert organisation_generation(organisation.pk) == generation
        _html, queries = rendered(client, address)
        assert queries == warm

    def test_two_organisations_never_share_a_fragment(self, client, organisation, admin, globex):
        """The overview's key is the same in both (same viewer, role and rights): only the organisation differs."""
        MembershipFactory(organisation=globex, user=admin, role=ADMIN)
        MembershipFactory(organisation=globex, user__name="Greta Globex", role=DEVELOPER)
        MembershipFactory(organisation=organisation, user__name="Dana Dev", role=DEVELOPER)
        ApplicationFactory(organisation=globex, name="globex-api")
        acme = cached_page(client, url("organisations:overview"))
        assert "<h1>Acme Web Agency</h1>" in acme and member_count(acme) == 2
        cached_page(client, url("organisations:members"))
        cached_page(client, url("apps:list"))

        html = content(page(client, url("organisations:overview", slug="globex")))
        assert "<h1>Globex Corporation</h1>" in html and "Acme" not in html
        html = content(page(client, url("organisations:members", slug="globex")))
        assert "Greta Globex" in html and "Dana Dev" not in html
        html = content(page(client, url("apps:list", slug="globex")))
        assert "globex-api" in html
        assert "No application yet." in content(page(client, url("apps:list")))

    def test_a_person_renamed_shows_in_each_of_their_organisations(
        self, client, organisation, admin, globex, committed
    ):
        MembershipFactory(organisation=globex, user=admin, role=ADMIN)
        both = MembershipFactory(organisation=organisation, user__name="Dana Dev", role=DEVELOPER).user
        MembershipFactory(organisation=globex, user=both, role=DEVELOPER)
        for slug in ("acme", "globex"):
            assert "Dana Dev" in cached_page(client, url("organisations:members", slug=slug))
        with committed():
            both.name = "Dana Renamed"
            both.save()
        for slug in ("acme", "globex"):
            assert "Dana Renamed" in page(client, url("organisations:members", slug=slug))


# 12. Changes made without the services: staff in the Django admin, guardian, allauth, rows written directly


@pytest.fixture
def staff(db):
    """A browser signed in as platform staff (the Django admin)."""
    return browser_of(UserFactory(is_staff=True, is_superuser=True))


class TestChangesOutsideTheServices:
    def test_a_membership_expiry_set_by_staff_shows(self, client, organisation, admin, member, staff, committed):
        developer = member(DEVELOPER, user__name="Dana Dev")
        assert "until" not in row_of(cached_page(client, url("organisations:members")), "Dana Dev")
        change = reverse("admin:organisations_membership_change", args=[membership_of(organisation, developer).pk])
        with committed():
            response = staff.post(change, {"role": DEVELOPER, "expires_at_0": "2099-01-31", "expires_at_1": "12:00"})
        assert response.status_code == 302
        assert "until" in row_of(page(client, url("organisations:members")), "Dana Dev")

    def test_a_flavor_renamed_by_staff_shows(self, client, admin, application, staff, committed):
        flavor = application.flavor
        assert flavor.name in row_of(cached_page(client, url("apps:list")), "shop-front")
        cached_page(client, app_url(application))
        fields = ["code", "vcpus", "memory_mb", "hourly_price", "position"]
        data = {field: getattr(flavor, field) for field in fields} | {"name": "Tiny", "is_active": "on"}
        with committed():
            response = staff.post(reverse("admin:billing_flavor_change", args=[flavor.pk]), data)
        assert response.status_code == 302
        assert "<td>Tiny</td>" in row_of(page(client, url("apps:list")), "shop-front")
        assert "<dd>Tiny</dd>" in page(client, app_url(application))

    def test_a_right_given_with_guardian_shows_on_who_has_access(
        self, client, organisation, admin, member, application, committed
    ):
        """A right given directly (the organisation's object permissions page in the admin) changes what the
        person can do, as "who has access" says."""
        developer = member(DEVELOPER, user__name="Dana Dev")
        assert "share" not in row_of(cached_page(client, app_url(application, "access")), "Dana Dev")
        with committed():
            assign_perm(Right.INVITE_MEMBERS.value, developer, organisation)
        assert "share" in row_of(page(client, app_url(application, "access")), "Dana Dev")

    def test_an_organisation_saved_by_staff_shows(self, client, organisation, admin, committed):
        assert "<h1>Acme Web Agency</h1>" in cached_page(client, url("organisations:overview"))
        with committed():
            organisation.name = "Acme Renamed"
            organisation.save()
        assert "<h1>Acme Renamed</h1>" in page(client, url("organisations:overview"))


@dataclass
class Acme:
    """What the wiring cases below change: Acme, one of its applications, a member, a group."""

    organisation: object
    application: Application
    person: object
    group: Group

    def invoice(self) -> Invoice:
        today = timezone.localdate()
        usage_of(self.application, today.replace(day=1), 24)
        return billing_services.invoice_issue(organisation=self.organisation, month=today, notify=False)


@pytest.fixture
def acme(organisation, application, member):
    return Acme(organisation, application, member(DEVELOPER), Group.objects.create(name="operators"))


# Each case prepares what it needs and gives back the change: every one retires Acme's generation once committed.
# (The services record an activity entry with every change, which retires it too: these cases have none.)
CHANGES = {
    "organisation saved": lambda acme: acme.organisation.save,
    "membership added": lambda acme: partial(MembershipFactory, organisation=acme.organisation),
    "membership deleted": lambda acme: membership_of(acme.organisation, acme.person).delete,
    "invitation saved": lambda acme: partial(
        Invitation.objects.create,
        organisation=acme.organisation,
        email="new@example.com",
        role=DEVELOPER,
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    ),
    "activity recorded": lambda acme: partial(
        Activity.objects.create, organisation=acme.organisation, organisation_name="Acme", verb="organisation.updated"
    ),
    "member right given": lambda acme: partial(assign_perm, "view_billing", acme.person, acme.organisation),
    "member right taken": lambda acme: partial(remove_perm, "view_applications", acme.person, acme.organisation),
    "group right given": lambda acme: partial(assign_perm, "view_billing", acme.group, acme.organisation),
    "person renamed": lambda acme: partial(setattr_and_save, acme.person, name="Someone Else"),
    "person's email changed": lambda acme: partial(setattr_and_save, acme.person, email="else@example.com"),
    "second factor added": lambda acme: partial(enable_totp, acme.person),
    "second factor removed": lambda acme: enable_totp(acme.person).instance.delete,
    "person joined a group": lambda acme: partial(acme.person.groups.add, acme.group),
    "group gained a person": lambda acme: partial(acme.group.user_set.add, acme.person),
    "person left their groups": lambda acme: after(acme.person.groups.add(acme.group), acme.person.groups.clear),
    "group emptied": lambda acme: after(acme.group.user_set.add(acme.person), acme.group.user_set.clear),
    "group deleted": lambda acme: after(assign_perm("view_billing", acme.group, acme.organisation), acme.group.delete),
    "application added": lambda acme: partial(ApplicationFactory, organisation=acme.organisation),
    "application saved": lambda acme: acme.application.save,
    "flavor renamed": lambda acme: partial(setattr_and_save, acme.application.flavor, name="Tiny"),
    "add-on added": lambda acme: partial(AddonFactory, organisation=acme.organisation),
    "add-on deleted": lambda acme: AddonFactory(organisation=acme.organisation).delete,
    "variable added": lambda acme: partial(VariableFactory, application=acme.application),
    "variable deleted": lambda acme: VariableFactory(application=acme.application).delete,
    "domain added": lambda acme: partial(DomainFactory, application=acme.application),
    "domain deleted": lambda acme: DomainFactory(application=acme.application).delete,
    "deployment saved": lambda acme: partial(DeploymentFactory, application=acme.application),
    "grant saved": lambda acme: partial(GrantFactory, application=acme.application),
    "grant deleted": lambda acme: GrantFactory(application=acme.application).delete,
    "grantee renamed": lambda acme: partial(
        setattr_and_save, GrantFactory(application=acme.application).user, name="Someone Else"
    ),
    "application right given": lambda acme: partial(assign_perm, "view_application", UserFactory(), acme.application),
    "application group right given": lambda acme: partial(
        assign_perm, "view_application", acme.group, acme.application
    ),
    "billing profile saved": lambda acme: partial(BillingProfileFactory, organisation=acme.organisation),
    "payment method added": lambda acme: partial(CardFactory, organisation=acme.organisation),
    "payment method deleted": lambda acme: CardFactory(organisation=acme.organisation).delete,
    "credit saved": lambda acme: partial(
        Credit.objects.create, organisation=acme.organisation, kind="free", label="Welcome", amount=10, remaining=10
    ),
    "invoices issued": lambda acme: acme.invoice,
    "invoice saved": lambda acme: acme.invoice().save,
    "payment saved": lambda acme: partial(
        Payment.objects.create, invoice=acme.invoice(), method="card", amount=1, status="succeeded"
    ),
}


def after(_prepared, change):
    """``change``, once what it needs is prepared (the first argument, evaluated first)."""
    return change


def setattr_and_save(instance, **values):
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()


@pytest.mark.parametrize("case", CHANGES.values(), ids=CHANGES.keys())
def test_each_change_to_what_the_pages_show_retires_the_generation(acme, committed, case):
    change = case(acme)
    generation = organisation_generation(acme.organisation.pk)
    with committed():
        change()
    assert organisation_generation(acme.organisation.pk) != generation


KEEPS = {
    "signing in": lambda acme: partial(Client().force_login, acme.person),
    "usage metered (the consumption page is keyed by the usage version)": lambda acme: partial(
        usage_of, acme.application, timezone.localdate(), 24
    ),
    "another organisation's application": lambda acme: partial(ApplicationFactory, organisation=OrganisationFactory()),
}


@pytest.mark.parametrize("case", KEEPS.values(), ids=KEEPS.keys())
def test_what_changes_nothing_shown_keeps_the_generation(acme, committed, case):
    change = case(acme)
    generation = organisation_generation(acme.organisation.pk)
    with committed():
        change()
    assert organisation_generation(acme.organisation.pk) == generation
