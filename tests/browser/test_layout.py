"""The main pages at a laptop's width and a phone's: nothing wider than the window, the navigation within reach.

Screenshots of every page at both widths land in test-artifacts/layout/, for a person to look at.
"""

from datetime import date

import pytest

from apps import services as apps_services
from billing import services as billing_services
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import AddonFactory, ApplicationFactory, DeploymentFactory
from tests.billing.factories import BillingProfileFactory, usage_of
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.organisations.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

ORGANISATION_PAGES = ["overview", "members", "apps", "application", "variables", "addons", "activity", "settings"]
BILLING_PAGES = ["billing", "consumption", "payment-methods"]
PAGES = {
    ADMIN: ["home", *ORGANISATION_PAGES, *BILLING_PAGES],
    ACCOUNTING: ["home", *BILLING_PAGES],
    DEVELOPER: ["home", *[name for name in ORGANISATION_PAGES if name not in {"activity", "settings"}]],
}


@pytest.fixture
def people():
    """An organisation with a bit of everything on its pages, and one member of each persona walked."""
    acme = OrganisationFactory(name="Acme Web Agency and Partners International", slug="acme")
    users = {
        role: MembershipFactory(
            organisation=acme, role=role, user=UserFactory(email=f"{role.lower()}.with-a-long-address@acme.example")
        ).user
        for role in PAGES
    }
    admin = users[ADMIN]
    BillingProfileFactory(organisation=acme)
    shop = ApplicationFactory(
        organisation=acme, name="shop-front-with-a-rather-long-name", description="The customer's online shop."
    )
    ApplicationFactory(organisation=acme, name="back-office")
    DeploymentFactory(application=shop, author=admin)
    apps_services.variable_add(
        actor=admin, application=shop, name="DATABASE_URL_OF_THE_PRIMARY_CLUSTER", value="postgres://user:" + "x" * 60
    )
    apps_services.variable_add(actor=admin, application=shop, name="DEBUG", value="0")
    AddonFactory(organisation=acme, name="main-database")
    for day in range(1, 31):
        usage_of(shop, date(2026, 9, day), 24)
    billing_services.invoice_issue(organisation=acme, month=date(2026, 9, 1), issued_on=date(2026, 10, 1), notify=False)
    billing_services.payment_method_add_card(
        actor=admin, organisation=acme, brand="visa", last4="4242", exp_month=12, exp_year=2099, holder_name="A. Admin"
    )
    billing_services.payment_method_add_sepa(
        actor=admin, organisation=acme, holder_name="Acme Web Agency", iban="FR7630006000011234567890189"
    )
    return users, shop


def urls(shop) -> dict[str, str]:
    organisation = "/o/acme/"
    application = f"{organisation}apps/{shop.pk}/"
    return {
        "home": "/",
        "overview": f"{organisation}overview/",
        "members": f"{organisation}members/",
        "apps": f"{organisation}apps/",
        "application": application,
        "variables": f"{application}variables/",
        "addons": f"{organisation}addons/",
        "activity": f"{organisation}activity/",
        "settings": f"{organisation}settings/",
        "billing": f"{organisation}billing/",
        "consumption": f"{organisation}billing/consumption/",
        "payment-methods": f"{organisation}billing/payment-methods/",
    }


def section_links(page):
    return page.get_by_role("navigation", name="Sections").get_by_role("link")


def overflow(page) -> int:
    """How many pixels the page is wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


WIDEST = """() => [...document.querySelectorAll("body *")]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter((element) => !element.parentElement.closest(".table-scroll"))
    .slice(-3).map((element) => `${element.tagName.toLowerCase()}.${element.className}`)"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
@pytest.mark.parametrize("role", [ADMIN, ACCOUNTING, DEVELOPER])
def test_the_main_pages_fit_the_window_and_keep_the_navigation_in_reach(page, people, role, viewport):
    users, shop = people
    page.set_viewport_size(viewport)
    sign_in(page, users[role].email, PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    shots = ARTIFACTS / "layout"
    shots.mkdir(parents=True, exist_ok=True)
    phone = viewport is PHONE
    too_wide, unreachable = {}, []
    for name in PAGES[role]:
        response = page.goto(urls(shop)[name])
        assert response.status == 200, name
        page.screenshot(path=str(shots / f"{role.lower()}-{name}-{viewport['width']}.png"), full_page=True)
        if phone and (pixels := overflow(page)) > 0:
            too_wide[name] = (pixels, page.evaluate(WIDEST))
        if name == "home":
            continue
        if phone:
            # The sections fold behind one button, so that the page's own content comes first.
            assert section_links(page).count() == 0, name
            page.get_by_role("button", name="Menu").click()
            page.screenshot(path=str(shots / f"{role.lower()}-{name}-{viewport['width']}-menu.png"))
        if section_links(page).count() == 0 or not section_links(page).first.is_visible():
            unreachable.append(name)
    assert too_wide == {}, "pages wider than the window (pixels beyond it)"
    assert unreachable == [], "pages whose navigation cannot be reached"
