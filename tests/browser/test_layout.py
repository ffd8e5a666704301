"""The main pages at a laptop's width and a phone's: nothing wider than the window, the navigation within reach.

Screenshots of every page at both widths land in test-artifacts/layout/, for a person to look at.
"""

import json
import subprocess
from datetime import date
from pathlib import Path

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
# Forms and the pages one level down, walked by the Admin, who may see them all.
ADMIN_PAGES = ["invite", "new-application", "deployments", "domains", "access", "invoice", "card", "billing-details"]
ACCOUNT_PAGES = ["emails", "password", "two-factor"]
PAGES = {
    ADMIN: ["home", *ORGANISATION_PAGES, *BILLING_PAGES, *ADMIN_PAGES, *ACCOUNT_PAGES],
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
    invoice = billing_services.invoice_issue(
        organisation=acme, month=date(2026, 9, 1), issued_on=date(2026, 10, 1), notify=False
    )
    billing_services.payment_method_add_card(
        actor=admin, organisation=acme, brand="visa", last4="4242", exp_month=12, exp_year=2099, holder_name="A. Admin"
    )
    billing_services.payment_method_add_sepa(
        actor=admin, organisation=acme, holder_name="Acme Web Agency", iban="FR7630006000011234567890189"
    )
    return users, shop, invoice


def urls(shop, invoice) -> dict[str, str]:
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
        "invite": f"{organisation}members/invite/",
        "new-application": f"{organisation}apps/new/",
        "deployments": f"{application}deployments/",
        "domains": f"{application}domains/",
        "access": f"{application}access/",
        "invoice": f"{organisation}billing/invoices/{invoice.pk}/",
        "card": f"{organisation}billing/payment-methods/card/",
        "billing-details": f"{organisation}billing/details/edit/",
        "emails": "/accounts/email/",
        "password": "/accounts/password/change/",
        "two-factor": "/accounts/2fa/",
    }


CHECKERS = Path(__file__).resolve().parents[2] / "node_modules"
AXE = CHECKERS / "axe-core" / "axe.min.js"
VNU = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
# The violations axe reports, with where: its rules of WCAG 2.2 A and AA and its best practices.
AXE_RUN = """async () => (await axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
    "best-practice"]})).violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target)
    .join(" ")}`)"""


@pytest.fixture(scope="module")
def checkers():
    if not (AXE.exists() and VNU.exists()):
        pytest.fail("The page checkers are missing: `make checkers` (npm ci) installs them.")


def accessibility_violations(page) -> list[str]:
    # The CSP refuses an injected <script> (page.add_script_tag); evaluated through the DevTools protocol, axe runs.
    page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)


def html_errors(pages: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """The Nu HTML checker's errors in each page's HTML as served, by page name."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, html in pages.items():
        files[name] = folder / f"{name}.html"
        files[name].write_text(html)
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = {}
    for message in json.loads(checked.stderr or checked.stdout)["messages"]:
        name = next(name for name, path in files.items() if message["url"].endswith(path.name))
        errors.setdefault(name, []).append(f"line {message.get('lastLine')}: {message['message']}")
    return errors


def section_links(page):
    return page.locator("nav.sections").get_by_role("link")


def overflow(page) -> int:
    """How many pixels the page is wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


WIDEST = """() => [...document.querySelectorAll("body *")]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter((element) => !element.parentElement.closest(".table-scroll"))
    .slice(-3).map((element) => `${element.tagName.toLowerCase()}.${element.className}`)"""


WALKS = [(role, viewport, "en") for role in PAGES for viewport in (DESKTOP, PHONE)] + [(ADMIN, PHONE, "fr")]


@pytest.mark.parametrize(
    ("role", "viewport", "language"),
    WALKS,
    ids=[f"{role}-{size['width']}-{language}" for role, size, language in WALKS],
)
def test_the_main_pages_fit_the_window_keep_the_navigation_in_reach_and_pass_the_checkers(
    page, people, role, viewport, language, checkers
):
    users, shop, invoice = people
    page.set_viewport_size(viewport)
    sign_in(page, users[role].email, PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if language == "fr":  # longer words
        page.get_by_role("button", name="Français").click()
        page.wait_for_load_state()
    shots = ARTIFACTS / "layout"
    shots.mkdir(parents=True, exist_ok=True)
    phone = viewport is PHONE
    too_wide, unreachable, inaccessible, served = {}, [], {}, {}
    for name in PAGES[role]:
        response = page.goto(urls(shop, invoice)[name])
        assert response.status == 200, name
        served[name] = response.text()
        shot = f"{role.lower()}-{name}-{viewport['width']}{'-fr' if language == 'fr' else ''}"
        page.screenshot(path=str(shots / f"{shot}.png"), full_page=True)
        if violations := accessibility_violations(page):
            inaccessible[name] = violations
        if phone and (pixels := overflow(page)) > 0:
            too_wide[name] = (pixels, page.evaluate(WIDEST))
        if name == "home" or name in ACCOUNT_PAGES:  # no organisation, no sections
            continue
        if phone:
            # The sections fold behind one button, so that the page's own content comes first.
            assert section_links(page).count() == 0, name
            menu = page.get_by_role("button", name="Menu")
            menu.click()
            assert menu.get_attribute("aria-expanded") == "true", name
            page.screenshot(path=str(shots / f"{shot}-menu.png"))
        else:  # the sections are always shown, with no button to fold them
            assert page.get_by_role("button", name="Menu").count() == 0, name
        if section_links(page).count() == 0 or not section_links(page).first.is_visible():
            unreachable.append(name)
    assert too_wide == {}, "pages wider than the window (pixels beyond it)"
    assert unreachable == [], "pages whose navigation cannot be reached"
    assert inaccessible == {}, "axe's violations"
    if not phone:  # the same HTML at both widths
        assert html_errors(served, shots / "html" / role.lower()) == {}, "the Nu HTML checker's errors"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_pages_before_signing_in_fit_the_window_and_pass_the_checkers(page, viewport, checkers):
    page.set_viewport_size(viewport)
    shots = ARTIFACTS / "layout"
    shots.mkdir(parents=True, exist_ok=True)
    too_wide, inaccessible, served = {}, {}, {}
    for name, path in [
        ("sign-in", "/accounts/login/"),
        ("sign-up", "/accounts/signup/"),
        ("reset", "/accounts/password/reset/"),
    ]:
        response = page.goto(path)
        assert response.status == 200, name
        served[name] = response.text()
        page.screenshot(path=str(shots / f"anonymous-{name}-{viewport['width']}.png"), full_page=True)
        if (pixels := overflow(page)) > 0:
            too_wide[name] = (pixels, page.evaluate(WIDEST))
        if violations := accessibility_violations(page):
            inaccessible[name] = violations
    assert too_wide == {}, "pages wider than the window (pixels beyond it)"
    assert inaccessible == {}, "axe's violations"
    if viewport is DESKTOP:
        assert html_errors(served, shots / "html" / "anonymous") == {}, "the Nu HTML checker's errors"
