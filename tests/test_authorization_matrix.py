"""
The authorization matrix of the whole console: every URL pattern x every kind of person x GET and POST.

``CONSOLE`` names, for each URL of the console, what it asks of the person: to be signed in, to be a member holding a
right (``organisations.roles.Right``), or to hold a capability on the application (``apps.access.Capability``). The
outcome each person gets is then derived, not written by hand: from the rights of the four roles
(``organisations.roles``) and the capabilities rights and grant levels give (``apps.access``). The URLs come from
the URL configuration itself, so a new URL without an entry here fails ``test_every_url_is_in_the_matrix``.

Every URL is tried with the objects of the person's organisation, and again with objects of another organisation
substituted in its arguments: the other organisation's address, its objects under our address, and (for the pages
of one application) its objects under our application. What belongs to another organisation is never found (404).

Each request runs in a transaction that is rolled back, so that one world serves all of them.
"""

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from apps import services as app_services
from apps.access import Capability, capabilities_from_level, capabilities_from_rights
from billing import services as billing_services
from console.navigation import SECTIONS
from organisations import services as organisation_services
from organisations.models import Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, SUGGESTED_ROLES, Right, is_admin, roles
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import (
    AddonFactory,
    ApplicationFactory,
    DeploymentFactory,
    DomainFactory,
    GrantFactory,
    VariableFactory,
)
from tests.billing.factories import CardFactory, usage_of
from tests.organisations.factories import MembershipFactory, OrganisationFactory

R, C = Right, Capability
GET, POST = "GET", "POST"
BOTH = frozenset({GET, POST})
GET_ONLY = frozenset({GET})
POST_ONLY = frozenset({POST})

ROLE_IDS = [ADMIN, MANAGER, DEVELOPER, ACCOUNTING]
LEVELS = ["view", "deploy", "manage"]
PERSONAS = ["anonymous", "outsider", *ROLE_IDS, *LEVELS]

# What a person gets.
OK = "page"  # 2xx, or a redirect within the console (a form re-shown, an action done and back)
SIGN_IN = "sign-in"
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405


# What a URL asks of the person.


@dataclass(frozen=True)
class SignedIn:
    """Any signed-in person: pages of their own, not of an organisation."""

    methods: frozenset = GET_ONLY


@dataclass(frozen=True)
class Member:
    """A page of an organisation (``OrganisationMixin``): members holding ``right`` (None: any member)."""

    right: Right | None
    methods: frozenset = GET_ONLY
    post_right: Right | None = None  # when a POST asks for more than seeing the page
    admin_only: bool = False  # the pages that change the organisation's roles: its Admins only


@dataclass(frozen=True)
class OnApplication:
    """A page of one application (``ApplicationMixin``): members and grantees holding ``capability`` on it."""

    capability: Capability
    methods: frozenset = GET_ONLY
    post_capability: Capability | None = None


@dataclass(frozen=True)
class Public:
    """Anyone, signed in or not: the load balancer's probes."""

    methods: frozenset = GET_ONLY


@dataclass(frozen=True)
class InvitationLink:
    """The public invitation link: the token is the secret; ``signed_in`` when answering needs an account."""

    methods: frozenset = GET_ONLY
    signed_in: bool = False


CONSOLE = {
    "healthz": Public(),
    "readyz": Public(),
    "home": SignedIn(),
    "organisations:create": SignedIn(BOTH),
    "apps:shared": SignedIn(),
    "accounts:profile": SignedIn(BOTH),
    # The organisation
    "organisations:entry": Member(None, BOTH),
    "organisations:overview": Member(R.VIEW_ORGANISATION),
    "organisations:settings": Member(R.CHANGE_ORGANISATION, BOTH),
    "organisations:security": Member(R.MANAGE_SECURITY, BOTH),
    "organisations:delete": Member(R.DELETE_ORGANISATION, BOTH),
    "organisations:roles": Member(R.VIEW_MEMBERS),
    "organisations:role_create": Member(R.CHANGE_MEMBER_ROLES, BOTH, admin_only=True),
    "organisations:role_update": Member(R.CHANGE_MEMBER_ROLES, BOTH, admin_only=True),
    "organisations:role_delete": Member(R.CHANGE_MEMBER_ROLES, BOTH, admin_only=True),
    "organisations:activity": Member(R.VIEW_ACTIVITY),
    "organisations:activity_export": Member(R.VIEW_ACTIVITY),
    "organisations:leave": Member(None, BOTH),
    # Members and invitations
    "organisations:members": Member(R.VIEW_MEMBERS),
    "organisations:invite": Member(R.INVITE_MEMBERS, BOTH),
    "organisations:member_role": Member(R.CHANGE_MEMBER_ROLES, BOTH),
    "organisations:member_remove": Member(R.REMOVE_MEMBERS, BOTH),
    "organisations:member_renew": Member(R.CHANGE_MEMBER_ROLES, BOTH),
    "organisations:invitation_resend": Member(R.INVITE_MEMBERS, POST_ONLY),
    "organisations:invitation_revoke": Member(R.INVITE_MEMBERS, POST_ONLY),
    "organisations:invitation": InvitationLink(),
    "organisations:invitation_signup": InvitationLink(),
    "organisations:invitation_accept": InvitationLink(POST_ONLY, signed_in=True),
    "organisations:invitation_decline": InvitationLink(POST_ONLY),
    # Applications
    "apps:list": Member(R.VIEW_APPLICATIONS),
    "apps:create": Member(R.ADD_APPLICATIONS, BOTH),
    "apps:overview": OnApplication(C.VIEW),
    "apps:variables": OnApplication(C.VIEW, BOTH, post_capability=C.CONFIGURE),
    "apps:variables_text": OnApplication(C.CONFIGURE, BOTH),
    "apps:variable_edit": OnApplication(C.CONFIGURE, BOTH),
    "apps:variable_delete": OnApplication(C.CONFIGURE, BOTH),
    "apps:domains": OnApplication(C.VIEW, BOTH, post_capability=C.CONFIGURE),
    "apps:domain_remove": OnApplication(C.CONFIGURE, BOTH),
    "apps:scaling": OnApplication(C.VIEW, BOTH, post_capability=C.CONFIGURE),
    "apps:deployments": OnApplication(C.VIEW, BOTH, post_capability=C.DEPLOY),
    "apps:redeploy": OnApplication(C.DEPLOY, POST_ONLY),
    "apps:start": OnApplication(C.OPERATE, POST_ONLY),
    "apps:stop": OnApplication(C.OPERATE, BOTH),
    "apps:restart": OnApplication(C.OPERATE, POST_ONLY),
    "apps:activity": OnApplication(C.VIEW),
    "apps:access": OnApplication(C.SEE_ACCESS, BOTH, post_capability=C.SHARE),
    "apps:grant_revoke": OnApplication(C.SHARE, BOTH),
    "apps:invitation_resend": OnApplication(C.SHARE, POST_ONLY),
    "apps:invitation_revoke": OnApplication(C.SHARE, POST_ONLY),
    "apps:delete": OnApplication(C.DELETE, BOTH),
    # Add-ons
    "apps:addons": Member(R.VIEW_APPLICATIONS),
    "apps:addon_create": Member(R.MANAGE_ADDONS, BOTH),
    "apps:addon": Member(R.VIEW_APPLICATIONS, BOTH, post_right=R.MANAGE_ADDONS),
    "apps:addon_delete": Member(R.MANAGE_ADDONS, BOTH),
    # Billing
    "billing:invoices": Member(R.VIEW_BILLING),
    "billing:invoices_csv": Member(R.VIEW_BILLING),
    "billing:invoice": Member(R.VIEW_BILLING),
    "billing:invoice_pdf": Member(R.VIEW_BILLING),
    "billing:invoice_pay": Member(R.MANAGE_BILLING, POST_ONLY),
    "billing:consumption": Member(R.VIEW_BILLING),
    "billing:payment_methods": Member(R.VIEW_BILLING),
    "billing:card_add": Member(R.MANAGE_BILLING, BOTH),
    "billing:sepa_add": Member(R.MANAGE_BILLING, BOTH),
    "billing:bank_transfer_add": Member(R.MANAGE_BILLING, POST_ONLY),
    "billing:payment_method_default": Member(R.MANAGE_BILLING, POST_ONLY),
    "billing:payment_method_remove": Member(R.MANAGE_BILLING, BOTH),
    "billing:profile": Member(R.VIEW_BILLING),
    "billing:profile_edit": Member(R.MANAGE_BILLING, BOTH),
}

# Everything else is classified by where it lives, and asserted coarsely (tests below).
ACCOUNT_PREFIXES = ("accounts/", "i18n/")  # allauth's pages, the language switch: public or the person's own
STAFF_PREFIX = "admin/"  # the Django admin: platform staff only


# The URL configuration, walked.


def walk(patterns=None, prefix="", namespace=""):
    """(route, name, pattern) for every URL pattern of the project, names qualified by their namespaces."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner or "")
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry


def kwarg_names(route: str) -> list[str]:
    return [path or regex for path, regex in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)]


def console_routes() -> list[tuple[str, str]]:
    return sorted(
        (name, route) for route, name, _pattern in walk() if not route.startswith((*ACCOUNT_PREFIXES, STAFF_PREFIX))
    )


# The outcome each person should get, derived from the roles and the capability rules.


def role_of(persona):
    return roles.get(persona) if persona in ROLE_IDS else None


def capabilities(persona: str, *, shared: bool, role=None) -> frozenset:
    """What ``persona`` may do on an application of the organisation (``shared``: the one granted to grantees)."""
    found = set()
    role = role or role_of(persona)
    if role is not None:
        found |= capabilities_from_rights({right.value for right in role.rights})
    if persona in LEVELS and shared:
        found |= capabilities_from_level(persona)
    return frozenset(found)


def expected(entry, persona: str, method: str, variant: str, role=None):
    """The outcome for ``persona`` asking ``entry`` with ``method``, in ``variant`` (see ``Matrix.variants``)."""
    if isinstance(entry, Public):
        return OK if method in entry.methods else NOT_ALLOWED
    if isinstance(entry, InvitationLink):
        if persona == "anonymous" and entry.signed_in:
            return SIGN_IN
        return OK if method in entry.methods else NOT_ALLOWED
    if persona == "anonymous":
        return SIGN_IN
    if isinstance(entry, SignedIn):
        return OK if method in entry.methods else NOT_ALLOWED
    if variant == "foreign organisation":
        return NOT_FOUND  # nobody here belongs to the other organisation
    role = role or role_of(persona)
    if isinstance(entry, Member):
        if role is None:
            return NOT_FOUND  # outsiders and grantees cannot learn the organisation's pages exist
        right = entry.post_right if method == POST and entry.post_right else entry.right
        if right is not None and not role.has_right(right):
            return FORBIDDEN
        if entry.admin_only and not is_admin(role):
            return FORBIDDEN
        if method not in entry.methods:
            return NOT_ALLOWED
        return NOT_FOUND if variant == "foreign objects" else OK
    # OnApplication
    if role is None and persona not in LEVELS:
        return NOT_FOUND
    if variant == "foreign objects":
        return NOT_FOUND  # the application is looked up within the organisation before anything else
    held = capabilities(persona, shared=variant != "unshared application", role=role)
    if C.VIEW not in held:
        return FORBIDDEN if role is not None else NOT_FOUND
    needed = entry.post_capability if method == POST and entry.post_capability else entry.capability
    if needed not in held:
        return FORBIDDEN
    if method not in entry.methods:
        return NOT_ALLOWED
    return NOT_FOUND if variant == "foreign leaf" else OK


def outcome(response):
    """What the person got, in the matrix's words."""
    status = response.status_code
    if status in (301, 302, 303):
        location = response["Location"]
        parts = urlsplit(location)
        if parts.path.startswith(reverse("account_login")):
            return SIGN_IN
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(reverse("account_reauthenticate")):
            return f"redirect to {location}"
        return OK
    if 200 <= status < 300:
        return OK
    return status


# The world: two organisations with one of everything.


@dataclass
class Bundle:
    """An application and the objects under it."""

    application: object
    variable: object
    domain: object
    deployment: object
    grant: object
    invitation: object


@dataclass
class World:
    organisation: object
    shared: Bundle  # granted to the grantee personas
    unshared: Bundle
    membership: object  # a Developer the people with the right may change or remove
    invitation: object  # a pending invitation to the organisation
    role: object  # a custom role, held by a member
    addon: object
    invoice: object
    card: object


def _bundle(organisation, admin, name: str) -> Bundle:
    from apps.models import Application

    application = ApplicationFactory(organisation=organisation, name=name, state=Application.State.RUNNING)
    invitation = app_services.grant_by_email(
        actor=admin,
        application=application,
        email=f"customer-of-{name}@example.com",
        level="view",
        base_url="http://testserver/",
    )
    return Bundle(
        application=application,
        variable=VariableFactory(application=application),
        domain=DomainFactory(application=application),
        deployment=DeploymentFactory(application=application),
        grant=GrantFactory(application=application),
        invitation=invitation,
    )


def build_world(slug: str, **people) -> World:
    organisation = OrganisationFactory(slug=slug, name=slug.title())
    admin = people.get(ADMIN) or UserFactory()
    for role, user in {ADMIN: admin, **people}.items():
        MembershipFactory(organisation=organisation, role=role, user=user)
    target = MembershipFactory(organisation=organisation, role=DEVELOPER)
    invitation = organisation_services.invitation_create(
        actor=admin,
        organisation=organisation,
        email=f"newcomer@{slug}.example",
        role=DEVELOPER,
        base_url="http://testserver/",
    )
    viewer = organisation_services.role_create(
        actor=admin,
        organisation=organisation,
        name=str(SUGGESTED_ROLES[0]["name"]),
        rights=SUGGESTED_ROLES[0]["rights"],
    )
    MembershipFactory(organisation=organisation, role=viewer)
    shared = _bundle(organisation, admin, f"{slug}-shop")
    for day in range(1, 11):
        usage_of(shared.application, date(2026, 9, day), 24)
    invoice = billing_services.invoice_issue(
        organisation=organisation, month=date(2026, 9, 1), issued_on=date(2026, 10, 1), notify=False
    )
    return World(
        organisation=organisation,
        shared=shared,
        unshared=_bundle(organisation, admin, f"{slug}-intranet"),
        membership=target,
        invitation=invitation,
        role=viewer,
        addon=AddonFactory(organisation=organisation, name=f"{slug}-db"),
        invoice=invoice,
        card=CardFactory(organisation=organisation),
    )


def fill(route: str, name: str, *, slug_of: World, app: Bundle, leaf: Bundle, objects: World, token: str) -> dict:
    """The URL arguments of ``route``: each argument's object taken from the world the variant says."""
    kwargs = {}
    for kwarg in kwarg_names(route):
        if kwarg == "slug":
            value = slug_of.organisation.slug
        elif kwarg == "pk" and "/apps/<int:pk>/" in route:
            value = app.application.pk
        elif kwarg == "pk" and "/members/<int:pk>/" in route:
            value = objects.membership.pk
        elif kwarg == "pk" and "/invitations/<int:pk>/" in route:
            value = objects.invitation.pk
        elif kwarg in {"variable_id", "domain_id", "deployment_id", "grant_id", "invitation_id"}:
            value = getattr(leaf, kwarg.removesuffix("_id")).pk
        elif kwarg in {"addon_id", "invoice_id", "role_id"}:
            value = getattr(objects, kwarg.removesuffix("_id")).pk
        elif kwarg == "method_id":
            value = objects.card.pk
        elif kwarg == "token":
            value = token
        else:
            raise AssertionError(f"The matrix does not know which object the argument {kwarg!r} of {name} names.")
        kwargs[kwarg] = value
    return kwargs


class MatrixWorld:
    """The people and the two worlds, built once per class (``setUpTestData``); each request is rolled back.

    A mixin for ``TestCase`` classes: other tests of every page (tests/console/test_rendered_pages.py) reuse it."""

    @classmethod
    def setUpTestData(cls):
        cls.people = {role: UserFactory(email=f"{role.lower()}@acme.example") for role in ROLE_IDS}
        cls.people["outsider"] = UserFactory(email="outsider@example.com")
        mail.outbox = []
        cls.acme = build_world("acme", **{role: cls.people[role] for role in ROLE_IDS})
        cls.token = re.search(r"/invitations/([\w-]+)/", mail.outbox[0].body).group(1)
        cls.globex = build_world("globex")
        for level in LEVELS:
            cls.people[level] = GrantFactory(application=cls.acme.shared.application, level=level).user

    def sign_in(self, persona: str):
        if persona == "anonymous":
            return
        self.client.force_login(self.people[persona])
        # Role changes and removals ask for a recent sign-in: give it, the matrix is about rights.
        response = self.client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302

    def send(self, method: str, url: str):
        with transaction.atomic():
            response = self.client.get(url) if method == GET else self.client.post(url)
            transaction.set_rollback(True)
        return response


class Matrix(MatrixWorld, TestCase):
    """Every URL, as every person, with our objects and with another organisation's."""

    def variants(self, route: str, entry):
        """(variant, fill arguments) for ``route``: our objects, then another organisation's in its arguments."""
        acme, globex = self.acme, self.globex
        own = {"slug_of": acme, "app": acme.shared, "leaf": acme.shared, "objects": acme, "token": self.token}
        yield "own", own
        if isinstance(entry, OnApplication):
            yield "unshared application", {**own, "app": acme.unshared, "leaf": acme.unshared}
        if "slug" not in kwarg_names(route):
            return
        yield (
            "foreign organisation",
            {**own, "slug_of": globex, "app": globex.shared, "leaf": globex.shared, "objects": globex},
        )
        objects = [kwarg for kwarg in kwarg_names(route) if kwarg != "slug"]
        if objects:
            yield "foreign objects", {**own, "app": globex.shared, "leaf": globex.shared, "objects": globex}
        if isinstance(entry, OnApplication) and len(objects) > 1:
            yield "foreign leaf", {**own, "leaf": globex.shared}

    def check(self, persona: str):
        self.sign_in(persona)
        mismatches, cells = [], 0
        for name, route in console_routes():
            entry = CONSOLE[name]
            for variant, sources in self.variants(route, entry):
                url = reverse(name, kwargs=fill(route, name, **sources))
                for method in (GET, POST):
                    want = expected(entry, persona, method, variant)
                    got = outcome(self.send(method, url))
                    cells += 1
                    if got != want:
                        mismatches.append(f"{persona:>10} {method:4} {name:34} {variant:22} expected {want}, got {got}")
        assert not mismatches, "\n" + "\n".join(mismatches)
        assert cells > 200
        return cells


# One test per person, so a failure names who gets in where they should not.


def _persona_test(persona):
    def test(self):
        self.check(persona)

    test.__name__ = f"test_{persona.lower()}"
    test.__doc__ = f"Every URL of the console, GET and POST, as {persona}."
    return test


for _persona in PERSONAS:
    setattr(Matrix, f"test_{_persona.lower()}", _persona_test(_persona))


# The table itself.


def test_every_url_is_in_the_matrix():
    """A new URL of the console fails here until the matrix says who may use it."""
    routes = console_routes()
    unnamed = [route for name, route in routes if not name]
    assert not unnamed, f"Unnamed console URLs: {unnamed}"
    names = {name for name, _route in routes}
    assert names - set(CONSOLE) == set(), f"URLs missing from the matrix: {sorted(names - set(CONSOLE))}"
    assert set(CONSOLE) - names == set(), f"Entries of the matrix without a URL: {sorted(set(CONSOLE) - names)}"


def test_the_derivation_follows_the_role_definitions():
    """Spot checks of the derived table against the product's reference matrix (DESIGN.md)."""
    assert expected(CONSOLE["billing:invoices"], ACCOUNTING, GET, "own") == OK
    assert expected(CONSOLE["billing:invoices"], MANAGER, GET, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:list"], ACCOUNTING, GET, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:overview"], ACCOUNTING, GET, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:delete"], DEVELOPER, POST, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:delete"], MANAGER, POST, "own") == OK
    assert expected(CONSOLE["organisations:delete"], MANAGER, POST, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:restart"], "deploy", POST, "own") == OK
    assert expected(CONSOLE["apps:variables"], "deploy", POST, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:variables"], "manage", POST, "own") == OK
    assert expected(CONSOLE["apps:delete"], "manage", POST, "own") == FORBIDDEN
    assert expected(CONSOLE["apps:overview"], "view", GET, "unshared application") == NOT_FOUND
    assert expected(CONSOLE["apps:list"], "manage", GET, "own") == NOT_FOUND
    assert expected(CONSOLE["organisations:members"], "outsider", GET, "own") == NOT_FOUND
    assert expected(CONSOLE["organisations:members"], ADMIN, GET, "foreign organisation") == NOT_FOUND


@pytest.mark.django_db
def test_the_invitation_link_of_an_unknown_token_is_not_found(client):
    assert client.get(reverse("organisations:invitation", args=["no-such-token"])).status_code == 404
    assert client.post(reverse("organisations:invitation_decline", args=["no-such-token"])).status_code == 404


@pytest.mark.django_db
def test_accepting_someone_elses_invitation_gives_nothing(client, organisation, member):
    admin = member(ADMIN)
    organisation_services.invitation_create(
        actor=admin, organisation=organisation, email="invited@example.com", role=ADMIN, base_url="http://testserver/"
    )
    token = re.search(r"/invitations/([\w-]+)/", mail.outbox[-1].body).group(1)
    intruder = UserFactory()
    client.force_login(intruder)
    response = client.post(reverse("organisations:invitation_accept", args=[token]))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=intruder, organisation=organisation).exists()


# The URLs of allauth, the language switch and the Django admin: classified by prefix, asserted coarsely.

PLACEHOLDERS = {"app_label": "organisations", "key": "no-such-key", "uidb36": "0", "url": "x"}


def elsewhere_routes(prefixes) -> list[tuple[str, str]]:
    return sorted((name, route) for route, name, _pattern in walk() if name and route.startswith(prefixes))


def placeholder_url(name: str, route: str) -> str:
    return reverse(name, kwargs={kwarg: PLACEHOLDERS.get(kwarg, "1") for kwarg in kwarg_names(route)})


class Elsewhere(TestCase):
    """allauth's pages and the language switch answer everyone without an error; the admin is for staff only."""

    @classmethod
    def setUpTestData(cls):
        cls.people = {
            "anonymous": None,
            "member": MembershipFactory(role=ADMIN).user,
            "grantee": GrantFactory(level="manage").user,
        }
        cls.staff = UserFactory(is_staff=True, is_superuser=True)

    def each_request(self, prefixes):
        for who, user in self.people.items():
            for name, route in elsewhere_routes(prefixes):
                url = placeholder_url(name, route)
                for method in (GET, POST):
                    # Some of these sign the person out (logout): sign in afresh for each request.
                    self.client.logout()
                    if user is not None:
                        self.client.force_login(user)
                    with transaction.atomic():
                        response = self.client.get(url) if method == GET else self.client.post(url)
                        transaction.set_rollback(True)
                    yield who, method, name, response

    def test_the_admin_is_for_platform_staff_only(self):
        sign_in_pages = (reverse("account_login"), reverse("admin:login"))
        seen = set()
        for who, method, name, response in self.each_request((STAFF_PREFIX,)):
            seen.add(name)
            status = response.status_code
            if status == 302:
                location = urlsplit(response["Location"]).path
                assert location.startswith(sign_in_pages) or name == "admin:logout", (who, method, name, location)
            else:
                # A signed-in person who is not staff is refused the admin's sign-in page.
                assert (status, name, who != "anonymous") == (403, "admin:login", True), (who, method, name, status)
        assert len(seen) > 50
        self.client.force_login(self.staff)
        assert self.client.get(reverse("admin:index")).status_code == 200

    def test_account_pages_answer_everyone_without_an_error_or_a_refusal(self):
        seen = set()
        for who, method, name, response in self.each_request(ACCOUNT_PREFIXES):
            seen.add(name)
            assert response.status_code in {200, 302, 404, 405}, (who, method, name, response.status_code)
        assert {"account_login", "account_signup", "set_language", "mfa_index"} <= seen

    def test_the_language_switch_works_before_signing_in(self):
        response = self.client.post(reverse("set_language"), {"language": "fr", "next": reverse("account_login")})
        assert response.status_code == 302
        assert response["Location"] == reverse("account_login")
        assert response.cookies["django_language"].value == "fr"


# Custom roles: for generated sets of rights, every URL's outcome follows the role's rights.


def expected_for_role(name: str, entry, method: str, variant: str, role):
    """``expected`` for a member holding ``role``; the organisation's address leads to the first section the role
    may use (the sections' rights as this table says them), and is refused when there is none."""
    if name == "organisations:entry" and variant == "own":
        sections = [CONSOLE[section.url_name].right for section in SECTIONS if section.url_name in CONSOLE]
        return OK if any(role.has_right(right) for right in sections) else FORBIDDEN
    return expected(entry, "custom", method, variant, role=role)


class CustomRoleMatrix(MatrixWorld, HypothesisTestCase):
    """Every URL of the organisation, GET and POST, with our objects and another organisation's, as a member of a
    custom role with generated rights."""

    @hypothesis_settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @example(rights=set())
    @example(rights=set(SUGGESTED_ROLES[0]["rights"]))
    @example(rights=set(SUGGESTED_ROLES[1]["rights"]))
    @given(rights=st.sets(st.sampled_from(list(Right))))
    def test_every_url_follows_the_rights_of_a_custom_role(self, rights):
        role = organisation_services.role_create(
            actor=None, organisation=self.acme.organisation, name="Generated", rights=rights, by_staff=True
        )
        user = UserFactory()
        MembershipFactory(organisation=self.acme.organisation, role=role, user=user)
        self.client.force_login(user)
        assert self.client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
        mismatches, cells = [], 0
        for name, route in console_routes():
            entry = CONSOLE[name]
            if not isinstance(entry, Member | OnApplication):
                continue
            for variant, sources in Matrix.variants(self, route, entry):
                url = reverse(name, kwargs=fill(route, name, **sources))
                for method in (GET, POST):
                    want = expected_for_role(name, entry, method, variant, role)
                    got = outcome(self.send(method, url))
                    cells += 1
                    if got != want:
                        mismatches.append(f"{method:4} {name:34} {variant:22} expected {want}, got {got}")
        assert not mismatches, f"\nrights {sorted(rights)}\n" + "\n".join(mismatches)
        assert cells > 200
