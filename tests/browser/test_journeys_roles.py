"""Journeys of each kind of person through an organisation, clicked and typed as they would."""

from datetime import date

import pytest
from django.core import mail

from apps.models import Application, EnvironmentVariable
from billing import services as billing_services
from organisations.models import Activity, Membership, Organisation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import ApplicationFactory, DeploymentFactory, GrantFactory
from tests.billing.factories import usage_of
from tests.browser.conftest import link_in, sign_in
from tests.organisations.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = "You are not allowed to do this"
NOT_FOUND = "This page does not exist"


@pytest.fixture
def acme():
    return OrganisationFactory(name="Acme Web Agency", slug="acme")


def member_of(organisation, role, **user):
    return MembershipFactory(organisation=organisation, role=role, user=UserFactory(**user)).user


def sections(page) -> list[str]:
    return page.get_by_role("navigation", name="Sections").get_by_role("link").all_inner_texts()


def sign_out(page):
    page.locator(".menu summary").click()
    page.get_by_role("button", name="Sign out").click()


def test_an_invited_accountant_signs_up_sees_billing_only_and_downloads_an_invoice(page, acme):
    admin = member_of(acme, ADMIN, email="admin@acme.example")
    shop = ApplicationFactory(organisation=acme, name="shop-front")
    for day in range(1, 31):
        usage_of(shop, date(2026, 9, day), 24)
    invoice = billing_services.invoice_issue(
        organisation=acme, month=date(2026, 9, 1), issued_on=date(2026, 10, 1), notify=False
    )

    # The Admin invites the accountant from the members page.
    sign_in(page, admin.email, PASSWORD)
    page.get_by_role("link", name="Acme Web Agency").first.click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label("Email address").fill("books@customer.example")
    page.get_by_label("Role").select_option(label="Accountant")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("Invitation sent to books@customer.example").wait_for()
    sign_out(page)

    # The accountant follows the emailed link and creates an account from it.
    (message,) = [message for message in mail.outbox if "books@customer.example" in message.to]
    page.goto(link_in(message))
    page.get_by_role("heading", name="Join “Acme Web Agency”").wait_for()
    page.get_by_role("link", name="Create an account").click()
    assert page.get_by_label("Email").input_value() == "books@customer.example"
    page.get_by_label("Name").fill("Bea Books")
    page.get_by_placeholder("Password", exact=True).fill("ledger-and-balance-2026")
    page.get_by_placeholder("Password (again)").fill("ledger-and-balance-2026")
    page.get_by_role("button", name="Sign Up").click()

    # Landed in the organisation's billing: the navigation holds nothing else.
    page.get_by_role("heading", name="Billing").wait_for()
    assert sections(page) == ["Billing"]
    assert Membership.objects.get(organisation=acme, user__email="books@customer.example").role.key == ACCOUNTING

    # Typing the address of another section gives the refusal page.
    for path in ["/o/acme/members/", "/o/acme/apps/", "/o/acme/settings/"]:
        response = page.goto(path)
        assert response.status == 403, path
        page.get_by_text(REFUSED).wait_for()

    # The invoice, as a PDF file.
    page.goto("/o/acme/billing/")
    page.get_by_role("link", name=invoice.number).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_developer_creates_configures_deploys_and_restarts_but_cannot_delete(page, acme):
    developer = member_of(acme, DEVELOPER)
    sign_in(page, developer.email, PASSWORD)
    page.get_by_role("link", name="Acme Web Agency").first.click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="New application").click()
    page.get_by_label("Name").fill("landing-page")
    page.get_by_label("Runtime").select_option(label="Node.js")
    page.get_by_role("button", name="Create the application").click()
    page.get_by_text("Application “landing-page” created.").wait_for()
    application = Application.objects.get(organisation=acme, name="landing-page")

    page.get_by_role("navigation", name="Application").get_by_role("link", name="Environment variables").click()
    page.get_by_label("Name").fill("API_URL")
    page.get_by_label("Value").fill("https://api.example.com")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Variable API_URL added.").wait_for()
    assert EnvironmentVariable.objects.get(application=application, name="API_URL").value == "https://api.example.com"

    page.get_by_role("navigation", name="Application").get_by_role("link", name="Deployments").click()
    page.get_by_label("Commit").fill("a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2")
    page.get_by_role("button", name="Deploy", exact=True).click()
    page.get_by_text("Deployment of a1b2c3d started.").wait_for()
    assert application.deployments.get().commit == "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2"

    page.get_by_role("navigation", name="Application").get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Restart").click()
    page.get_by_text("The application is now running.").wait_for()
    assert Activity.objects.filter(organisation=acme, verb="application.restarted", actor=developer).exists()

    # No delete control, and the delete address is refused.
    assert page.get_by_text("Danger zone").count() == 0
    assert page.get_by_role("link", name="Delete this application").count() == 0
    response = page.goto(f"/o/acme/apps/{application.pk}/delete/")
    assert response.status == 403
    page.get_by_text(REFUSED).wait_for()
    assert Application.objects.filter(pk=application.pk).exists()


def test_a_manager_cannot_demote_the_last_admin(page, acme):
    admin = member_of(acme, ADMIN, email="only-admin@acme.example")
    manager = member_of(acme, MANAGER)
    sign_in(page, manager.email, PASSWORD)
    page.goto("/o/acme/members/")
    admin_row = page.get_by_role("row").filter(has_text="only-admin@acme.example")
    assert admin_row.get_by_role("link", name="Change role").count() == 0

    # Typing the address of the role page: allauth first asks for the password again.
    membership = Membership.objects.get(organisation=acme, user=admin)
    page.goto(f"/o/acme/members/{membership.pk}/role/")
    page.get_by_placeholder("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("New role").select_option(label="Developer")
    page.get_by_role("button", name="Change the role").click()
    page.get_by_text("Only a member with the Admin role can manage Admin members.").wait_for()
    membership.refresh_from_db()
    assert membership.role.key == ADMIN


def test_an_admin_cannot_demote_themselves_as_the_last_admin(page, acme):
    admin = member_of(acme, ADMIN, email="only-admin@acme.example")
    member_of(acme, DEVELOPER)
    sign_in(page, admin.email, PASSWORD)
    page.goto("/o/acme/members/")
    page.get_by_role("row").filter(has_text="only-admin@acme.example").get_by_role("link", name="Change role").click()
    page.get_by_placeholder("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("New role").select_option(label="Manager")
    page.get_by_role("button", name="Change the role").click()
    page.get_by_text(
        "only-admin@acme.example is the last Admin of this organisation. Appoint another Admin first."
    ).wait_for()
    assert Membership.objects.get(organisation=acme, user=admin).role.key == ADMIN


def test_a_customer_with_a_view_grant_sees_that_application_and_nothing_else(page, acme):
    member_of(acme, ADMIN)
    shared = ApplicationFactory(organisation=acme, name="customer-site", state=Application.State.RUNNING)
    DeploymentFactory(application=shared)
    hidden = ApplicationFactory(organisation=acme, name="agency-intranet")
    customer = GrantFactory(application=shared, level="view").user

    sign_in(page, customer.email, PASSWORD)
    page.goto("/shared/")
    listing = page.locator("main")
    listing.get_by_role("link", name="customer-site").first.wait_for()
    assert listing.get_by_text("agency-intranet").count() == 0
    listing.get_by_role("link", name="customer-site").first.click()
    page.get_by_role("heading", name="customer-site").wait_for()
    # A view grant: no operation, no configuration, no delete.
    for control in ["Restart", "Start"]:
        assert page.get_by_role("button", name=control).count() == 0
    assert page.get_by_role("link", name="Stop", exact=True).count() == 0  # stopping goes through its confirmation
    assert page.get_by_role("link", name="Delete this application").count() == 0
    page.get_by_role("navigation", name="Application").get_by_role("link", name="Environment variables").click()
    assert page.get_by_role("button", name="Add", exact=True).count() == 0

    # Every other page of the organisation does not exist for them.
    for path in [
        f"/o/acme/apps/{hidden.pk}/",
        "/o/acme/apps/",
        "/o/acme/members/",
        "/o/acme/overview/",
        "/o/acme/billing/",
        "/o/acme/",
    ]:
        response = page.goto(path)
        assert response.status == 404, path
        page.get_by_text(NOT_FOUND).wait_for()


def test_an_organisation_requiring_two_factor_sends_a_member_without_it_to_set_it_up(page, acme):
    Organisation.objects.filter(pk=acme.pk).update(require_two_factor=True)
    developer = member_of(acme, DEVELOPER)
    sign_in(page, developer.email, PASSWORD)
    page.get_by_role("link", name="Acme Web Agency").first.click()
    page.get_by_text("“Acme Web Agency” requires two-factor authentication. Set it up to continue.").wait_for()
    assert "/accounts/2fa/totp/activate/" in page.url or "/accounts/reauthenticate/" in page.url
    # Typing an address of the organisation leads to the same place.
    page.goto("/o/acme/apps/")
    page.get_by_text("requires two-factor authentication").first.wait_for()
    assert "/o/acme/" not in page.url
