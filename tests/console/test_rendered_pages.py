"""Every page of the console, as every person who may see it, in English and in French, shows no leftover.

The pages are the GET-able URLs of the authorization matrix (tests/test_authorization_matrix.py), which also says who
gets each page; its world is filled further here (invoices of every status, a payment, a credit note, a person without
a name, times in the evening) and a bare organisation gives the empty state of the list pages. What a person reads
(tests/console/leftovers.py: the text, and the attributes shown) must hold no repr, no ``None``, no template syntax,
no placeholder, no doubled punctuation. The emails the console sends are read the same way.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory.random
import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from apps import services as app_services
from apps.models import ApplicationGrant, Deployment
from billing import services as billing_services
from billing.models import Invoice
from organisations import services as organisation_services
from organisations.models import Invitation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import ApplicationFactory, DeploymentFactory, GrantFactory
from tests.billing.factories import BillingProfileFactory, usage_of
from tests.console.leftovers import html_leftovers, leftovers_in, read_text, text_leftovers
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.test_authorization_matrix import (
    ACCOUNT_PREFIXES,
    CONSOLE,
    GET,
    LEVELS,
    OK,
    PERSONAS,
    POST,
    ROLE_IDS,
    InvitationLink,
    MatrixWorld,
    console_routes,
    elsewhere_routes,
    expected,
    fill,
    kwarg_names,
)

LANGUAGES = ["en", "fr"]
# 20:30 in Paris: Django's English format wrote it "8:30 p.m.", and a sentence ending with it "8:30 p.m..".
EVENING = datetime(2026, 11, 3, 19, 30, tzinfo=UTC)
WEEKS = timedelta(weeks=3)
NAMES = {ADMIN: "", MANAGER: "Martine Manager", DEVELOPER: "Dev Eloper", ACCOUNTING: "Alice Accountant"}


def console_routes_with_entries():
    return [(name, route, CONSOLE[name]) for name, route in console_routes()]


def page_routes():
    """(name, route, entry) of every URL of the console that answers GET."""
    return [(name, route, entry) for name, route, entry in console_routes_with_entries() if GET in entry.methods]


def of_lists_only(route: str) -> bool:
    """A page whose address names only the organisation and maybe an application: one that lists things."""
    return set(kwarg_names(route)) <= {"slug", "pk"} and ("<int:pk>" not in route or "/apps/<int:pk>/" in route)


class RenderedPages(MatrixWorld, TestCase):
    """The matrix's world, filled further, and a bare organisation; each request is rolled back."""

    @classmethod
    def setUpClass(cls):
        cls.evening = time_machine.travel(EVENING, tick=True)
        cls.evening.start()
        factory.random.reseed_random("rendered pages")
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.evening.stop()

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for role, name in NAMES.items():
            cls.people[role].name = name  # the Admin has no name: they are shown by their email address
            cls.people[role].save(update_fields=["name"])
        for level in LEVELS:
            cls.people[level].name = "" if level == "view" else f"{level.title()} Grantee"
            cls.people[level].save(update_fields=["name"])
        admin = cls.people[ADMIN]
        cls.app_token = cls.token_sent_to(f"customer-of-{cls.acme.shared.application.name}@example.com")
        cls.fill_acme(admin)
        cls.empty = cls.bare_organisation("initech")

    @staticmethod
    def token_sent_to(email: str) -> str:
        message = next(message for message in mail.outbox if email in message.to)
        return re.search(r"/invitations/([\w-]+)/", message.body).group(1)

    @classmethod
    def fill_acme(cls, admin):
        acme = cls.acme
        application = acme.shared.application
        DeploymentFactory(application=application, author=admin, author_label=str(admin))
        app_services.deployment_create(actor=cls.people[DEVELOPER], application=application, commit="a" * 40)
        # An invoice of each status, a card payment and a credit note (the matrix's September invoice is pending).
        invoices = {}
        for month in range(2, 9):
            usage_of(application, date(2026, month, 3), 10 + month)
            invoices[month] = billing_services.invoice_issue(
                organisation=acme.organisation,
                month=date(2026, month, 1),
                issued_on=date(2026, month + 1, 1),
                notify=False,
            )
        for month, status in {2: "PAID", 3: "PAYMENTHELD", 4: "WONTPAY"}.items():
            billing_services.invoice_set_status(actor=admin, invoice=invoices[month], status=status)
        for month, status in {5: "PROCESSING", 6: "CANCELED", 7: "REFUNDED"}.items():
            Invoice.objects.filter(pk=invoices[month].pk).update(status=status)  # what the provider or staff set
        billing_services.invoice_pay(actor=cls.people[ACCOUNTING], invoice=invoices[8])
        billing_services.credit_note_issue(
            actor=admin, invoice=invoices[7], reason="Service outage", amount=Decimal("0.50")
        )
        cls.invoices = list(Invoice.objects.filter(organisation=acme.organisation))
        # A member without a name, seen in the member list and the activity log.
        nameless = UserFactory(name="", email="nameless@acme.example")
        organisation_services.membership_add(
            actor=admin, organisation=acme.organisation, user=nameless, role=DEVELOPER, expires_at=EVENING + WEEKS
        )
        # Temporary access, an expired invitation, billing details, a failed deployment.
        ApplicationGrant.objects.filter(application=application, user=cls.people["deploy"]).update(
            expires_at=EVENING + WEEKS
        )
        expired = app_services.grant_by_email(
            actor=admin, application=application, email="late@example.com", level="view", base_url="http://testserver/"
        )
        Invitation.objects.filter(pk=expired.pk).update(expires_at=EVENING - WEEKS)
        BillingProfileFactory(organisation=acme.organisation)
        DeploymentFactory(application=application, status=Deployment.Status.FAILED, author_label="ci@acme.example")

    @classmethod
    def bare_organisation(cls, slug: str):
        """An organisation with the same people and one application, and nothing else: the empty lists."""
        organisation = OrganisationFactory(slug=slug, name=slug.title())
        for role in ROLE_IDS:
            MembershipFactory(organisation=organisation, role=role, user=cls.people[role])
        application = ApplicationFactory(organisation=organisation, name=f"{slug}-empty")
        for level in LEVELS:
            GrantFactory(application=application, user=cls.people[level], level=level)
        return {"slug": slug, "pk": application.pk}

    # Reading the pages.

    def own(self) -> dict:
        """The arguments of ``fill`` for our organisation's objects."""
        return {"slug_of": self.acme, "app": self.acme.shared, "leaf": self.acme.shared, "objects": self.acme}

    def pages(self, persona: str):
        """(label, url) of every page ``persona`` may see, with the world's objects, then the empty lists."""
        own = self.own()
        for name, route, entry in page_routes():
            if expected(entry, persona, GET, "own") != OK:
                continue
            if isinstance(entry, InvitationLink):
                for token in (self.token, self.app_token):
                    yield name, reverse(name, kwargs={"token": token})
                continue
            yield name, reverse(name, kwargs=fill(route, name, **own, token=self.token))
            if name == "billing:invoice":
                for invoice in self.invoices:
                    yield f"{name} {invoice.number}", reverse(name, args=[self.acme.organisation.slug, invoice.pk])
            if "slug" in kwarg_names(route) and of_lists_only(route):
                kwargs = {kwarg: self.empty[kwarg] for kwarg in kwarg_names(route)}
                yield f"{name} (empty)", reverse(name, kwargs=kwargs)

    def actions(self, persona: str):
        """(label, url) of every form and action ``persona`` may send: sent empty, what comes back is a page too
        (the form with its errors, or where the action leads, with its message)."""
        own = self.own()
        for name, route, entry in console_routes_with_entries():
            if POST in entry.methods and expected(entry, persona, POST, "own") == OK:
                yield f"POST {name}", reverse(name, kwargs=fill(route, name, **own, token=self.token))

    def refusals(self, persona: str):
        """(label, url, status) of one page refused to ``persona`` and one not found: the error pages."""
        own = self.own()
        foreign = {**own, "slug_of": self.globex, "app": self.globex.shared, "leaf": self.globex.shared}
        for status, sources, variant in ((403, own, "own"), (404, foreign, "foreign organisation")):
            for name, route, entry in page_routes():
                if "slug" in kwarg_names(route) and expected(entry, persona, GET, variant) == status:
                    url = reverse(name, kwargs=fill(route, name, **sources, token=self.token))
                    yield f"{status} {name}", url, status
                    break

    def read(self, url: str, language: str, *, method: str = GET, status: int = 200):
        """The strings a person reads at ``url`` (following redirects), and a problem if the page is not one."""
        self.client.cookies["django_language"] = language
        with transaction.atomic():
            send = self.client.get if method == GET else self.client.post
            response = send(url, follow=True)
            transaction.set_rollback(True)
        if response.status_code != status:
            return [], [f"answered {response.status_code}"]
        kind = response["Content-Type"].split(";")[0]
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if kind == "text/html":
            html = content.decode()
            if f'<html lang="{language}"' not in html:
                return [], [f"is not in {language}"]
            return read_text(html), []
        if kind == "text/csv":
            return [cell for row in csv.reader(io.StringIO(content.decode())) for cell in row if cell], []
        if kind == "application/pdf":
            pdf = PdfReader(io.BytesIO(content))
            return [line for page in pdf.pages for line in page.extract_text().splitlines()], []
        return [], [f"answered {kind}"]

    def check(self, persona: str):
        self.sign_in(persona)
        failures, rendered = [], 0
        requests = [(label, url, GET, 200) for label, url in self.pages(persona)]
        requests += [(label, url, POST, 200) for label, url in self.actions(persona)]
        requests += [(label, url, GET, status) for label, url, status in self.refusals(persona)]
        for label, url, method, status in requests:
            for language in LANGUAGES:
                runs, problems = self.read(url, language, method=method, status=status)
                rendered += 1
                for problem in problems + leftovers_in(runs):
                    failures.append(f"{label} {url} as {persona} in {language}: {problem}")
        assert not failures, f"\n{len(failures)} leftovers on {rendered} pages:\n" + "\n".join(failures)
        assert rendered >= 4
        return rendered

    def test_the_account_pages(self):
        """allauth's pages (sign-in, sign-up, email addresses, password, two-factor) in the console's layout."""
        failures, rendered = [], 0
        for persona in ("anonymous", ADMIN, MANAGER):
            self.client.logout()
            self.sign_in(persona)
            for name, route in elsewhere_routes(ACCOUNT_PREFIXES):
                if kwarg_names(route):
                    continue
                for language in LANGUAGES:
                    runs, problems = self.read(reverse(name), language)
                    if problems and problems[0].startswith("answered"):
                        continue  # POST only (the language switch), or nothing to show (no recovery codes yet)
                    rendered += 1
                    found = problems + leftovers_in(runs)
                    failures += [f"{name} as {persona} in {language}: {leftover}" for leftover in found]
        assert not failures, "\n" + "\n".join(failures)
        assert rendered > 20

    # What people read after answering an invitation, and the emails.

    def page_after(self, response) -> list[str]:
        assert response.status_code == 200, response.redirect_chain
        return read_text(response.content.decode())

    def test_signing_up_through_an_invitation(self):
        """The page a person lands on after signing up from an invitation, to the organisation or to an application."""
        invited = {self.token: self.acme.invitation.email, self.app_token: self.acme.shared.invitation.email}
        failures = []
        for token, email in invited.items():
            for language in LANGUAGES:
                self.client.logout()
                self.client.cookies["django_language"] = language
                with transaction.atomic():
                    signup = self.client.get(reverse("organisations:invitation_signup", args=[token]))
                    response = self.client.post(
                        signup["Location"], {"name": "Invited Person", "email": email, "password1": PASSWORD, "password2": PASSWORD}, follow=True
                    )
                    runs = self.page_after(response)
                    transaction.set_rollback(True)
                assert response.wsgi_request.user.email == email
                assert any(message.level_tag == "success" for message in response.context["messages"]), runs
                failures += [f"signed up through {token[:6]}… in {language}: {found}" for found in leftovers_in(runs)]
        assert not failures, "\n" + "\n".join(failures)

    def test_accepting_an_invitation(self):
        """The page after accepting, signed in with the invited address."""
        failures = []
        for invitation, token in ((self.acme.invitation, self.token), (self.acme.shared.invitation, self.app_token)):
            for language in LANGUAGES:
                self.client.cookies["django_language"] = language
                with transaction.atomic():
                    self.client.force_login(UserFactory(email=invitation.email, name=""))
                    accept = reverse("organisations:invitation_accept", args=[token])
                    runs = self.page_after(self.client.post(accept, follow=True))
                    transaction.set_rollback(True)
                failures += [f"accepted {token[:6]}… in {language}: {found}" for found in leftovers_in(runs)]
        assert not failures, "\n" + "\n".join(failures)

    def test_the_emails_read_without_leftovers(self):
        """The invitations (to the organisation, to an application) and an invoice, as text and HTML."""
        admin, failures, bodies = self.people[ADMIN], [], {}
        for language in LANGUAGES:
            mail.outbox = []
            with translation.override(language), transaction.atomic():
                organisation_services.invitation_create(
                    actor=admin,
                    organisation=self.acme.organisation,
                    email=f"joiner-{language}@example.com",
                    role=ACCOUNTING,
                    base_url="http://testserver/",
                )
                app_services.grant_by_email(
                    actor=admin,
                    application=self.acme.shared.application,
                    email=f"customer-{language}@example.com",
                    level="deploy",
                    base_url="http://testserver/",
                )
                billing_services.invoice_send(invoice_id=self.acme.invoice.pk)
                transaction.set_rollback(True)
            assert len(mail.outbox) == 3
            bodies[language] = [message.body for message in mail.outbox]
            for message in mail.outbox:
                found = text_leftovers(message.subject) + text_leftovers(message.body)
                for content, kind in getattr(message, "alternatives", []):
                    assert kind == "text/html"
                    found += html_leftovers(content)
                failures += [f"email “{message.subject}” in {language}: {leftover}" for leftover in found]
        assert all(english != french for english, french in zip(bodies["en"], bodies["fr"], strict=True))
        assert not failures, "\n" + "\n".join(failures)


def _persona_test(persona):
    def test(self):
        self.check(persona)

    test.__name__ = f"test_{persona.lower()}"
    test.__doc__ = f"Every page {persona} may see, in English and French, with data and empty, shows no leftover."
    return test


for _persona in PERSONAS:
    setattr(RenderedPages, f"test_{_persona.lower()}", _persona_test(_persona))


# The reader itself: each kind of leftover is found, in the text or in an attribute shown; what is fine is not.


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ("<p>Export &lt;function wrapper at 0x7f3a2b1c0d40&gt; as CSV</p>", "a Python object's repr"),
        ("<p><span>Total</span> &lt;bound method Invoice.total of &lt;Invoice: 2026-00001&gt;&gt;</p>", "repr"),
        ("<td>&lt;QuerySet [&lt;Membership: a&gt;]&gt;</td>", "repr"),
        ("<p>Welcome to “Acme”: you are <strong>None</strong>.</p>", "None"),
        ('<input type="text" name="name" value="None">', "None"),
        ('<a href="/" title="Invited by None">x</a>', "None"),
        ("<p>Hello {{ name }}</p>", "template syntax"),
        ("<p>{% translate 'x' %}</p>", "template syntax"),
        ("<p>%(count)s members</p>", "placeholder"),
        ("<p>Expires on <time>Nov. 10, 2026, 8:30 p.m.</time>.</p>", "doubled punctuation"),
        ("<p>Total ,, due</p>", "doubled punctuation"),
        ("<p>Role :: Admin</p>", "doubled punctuation"),
        ("<p>Deployed by <b></b> .</p>", "doubled punctuation"),
        ('<button aria-label="Remove undefined">x</button>', "JavaScript"),
        ("<td>NaN €</td>", "JavaScript"),
    ],
)
def test_the_reader_finds_leftovers(html, kind):
    found = html_leftovers(html)
    assert len(found) == 1 and kind in found[0], found


@pytest.mark.parametrize(
    "html",
    [
        "<p>Loading…</p><p>More...</p>",
        "<p>Nothing here (none yet). Aucune facture, Aucun membre.</p>",
        '<input type="hidden" name="x" value="None"><option value="None">—</option>',
        "<script>var x = undefined; if (a..b) {}</script><style>a::after{}</style>",
        "<p>Paste a .env file, e.g., this one: 8:30 PM.</p><td>20 %</td><code>abc1234</code>",
        "<td>8:30 p.m.</td><td>.</td>",  # another cell, not the same sentence
    ],
)
def test_the_reader_lets_what_is_fine_pass(html):
    assert html_leftovers(html) == []
