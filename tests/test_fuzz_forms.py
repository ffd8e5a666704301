"""
Generated input posted to every form of the console, and generated query strings on every page (the list pages'
filters above all): no answer is a server error, and nothing is half-written.

The POST URLs are those of the authorization matrix (the URL configuration walked); the fields are those of each
view's form, filled with text, unicode, huge strings, numbers, empty values, lists where one value is expected, NUL
bytes, and plausible values (roles, levels, names of the world's objects) so that some inputs get past validation and
reach the services. After each request the database must be consistent:

- a refusal (a form shown again with errors, a 4xx, an error message) changed nothing;
- any change is recorded in the activity log (a service ran to its end, in one transaction);
- every organisation that had an Admin still has one (or was deleted whole);
- the guardian rows are exactly those the memberships' roles and the grants' levels give.

Each example runs in a transaction that is rolled back, on one world built once per URL's test.
"""

from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from apps.access import LEVEL_PERMISSIONS
from apps.models import (
    Addon,
    Application,
    ApplicationGrant,
    ApplicationUserObjectPermission,
    Deployment,
    Domain,
    EnvironmentVariable,
)
from billing.models import BillingProfile, Invoice, Payment, PaymentMethod
from organisations.models import (
    Activity,
    Invitation,
    Membership,
    Organisation,
    OrganisationUserObjectPermission,
    Role,
)
from organisations.roles import ADMIN, ROLES, roles
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import GrantFactory
from tests.test_authorization_matrix import (
    CONSOLE,
    GET,
    LEVELS,
    POST,
    ROLE_IDS,
    InvitationLink,
    build_world,
    console_routes,
    fill,
)

EXAMPLES = 12

WATCHED = [
    Organisation,
    Membership,
    Invitation,
    Application,
    EnvironmentVariable,
    Domain,
    Deployment,
    Addon,
    Addon.applications.through,
    ApplicationGrant,
    BillingProfile,
    PaymentMethod,
    Invoice,
    Payment,
]

# Any text PostgreSQL and the test client can carry (no lone surrogates, which cannot be encoded at all).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)


def plausible_values() -> list[str]:
    """Values that pass some validation, so that generated input also reaches the services."""
    values = [*ROLE_IDS, *LEVELS, "on", "true", "1", "0", "-1", "2", "99999999999999999999", "fr", "FR"]
    values += ["new.person@example.com", "admin@acme.example", "www.example.org", "API_KEY", "API_KEY=value"]
    values += ["a" * 40, "0123456789abcdef0123456789abcdef01234567", "FR76 3000 6000 0112 3456 7890 189"]
    values += ["4242", "12", "2030", "visa", "business", "person", "python", "node", "paris", "xs", "s"]
    values += list(Organisation.objects.values_list("name", flat=True))
    values += list(Application.objects.values_list("name", flat=True))
    values += [str(pk) for pk in Application.objects.values_list("pk", flat=True)]
    values += [str(pk) for pk in Addon.objects.values_list("pk", flat=True)]
    return values


def values(plausible):
    one = st.one_of(
        TEXT,
        st.sampled_from(plausible),
        st.just(""),
        st.builds(lambda text: f"{text}\x00{text}", TEXT),
        st.builds(lambda text, times: (text or "x") * times, TEXT, st.integers(1_000, 200_000)),
        st.integers().map(str),
        st.floats().map(str),
        st.sampled_from(["None", "null", "[]", "{}", "true", "<script>alert(1)</script>", "' OR 1=1 --"]),
    )
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


# Out-of-range dates, years, months and numbers, each tried on every parameter of every list page.
EDGES = [
    "0000", "0001", "9999", "10000", "-1", "0", "2026", "2026-03", "2026-13", "0000-01", "9999-12", "0001-01-01",
    "9999-12-31", "0000-00-00", "2026-02-30", "2026-03-01", "-2026-03-01", "1e400", "nan", "last",
    "99999999999999999999", "2026\x00", "\u0662\u0660\u0662\u0666", "\U0001f4a5",
]  # fmt: skip


def query_values(plausible):
    """Values for a query string's parameter: those of the forms, and dates, years and months out of any range."""
    return st.one_of(st.sampled_from(EDGES), values(plausible), st.dates().map(str), st.integers().map(str))


def form_fields(name: str, url: str) -> list[str]:
    view_class = getattr(resolve(url).func, "view_class", None)
    form_class = getattr(view_class, "form_class", None)
    return list(form_class.base_fields) if form_class is not None else []


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values_list()) for model in WATCHED}


def organisations_with_an_admin() -> set[int]:
    return set(Membership.objects.filter(role__key=roles.top.key).values_list("organisation_id", flat=True))


def refused(response) -> bool:
    if response.status_code >= 400:
        return True
    form = (response.context or {}).get("form") if response.status_code == 200 else None
    if form is not None and form.is_bound and form.errors:
        return True
    return any(message.level == message_levels.ERROR for message in get_messages(response.wsgi_request))


def assert_guardian_rows_follow_roles_and_grants():
    # No per-member copy of the rights: they are the roles' (group permissions), which the forms never change.
    assert not OrganisationUserObjectPermission.objects.exists(), "a per-member copy of organisation rights"
    rights = {role["id"]: {right.value for right in role["rights"]} for role in ROLES}
    for role in Role.objects.filter(key__isnull=False):
        assert {right.value for right in role.rights} == rights[role.key], "a built-in role's rights changed"
    expected = {
        (user_id, application_id, codename)
        for user_id, application_id, level in ApplicationGrant.objects.values_list("user_id", "application_id", "level")
        for codename in LEVEL_PERMISSIONS[level]
    }
    actual = set(
        ApplicationUserObjectPermission.objects.values_list("user_id", "content_object_id", "permission__codename")
    )
    assert actual == expected, "application permissions out of step with the grants"


class World(TestCase):
    """Acme, with the signed-in Admin (recently authenticated), and Globex, built once per test."""

    @classmethod
    def setUpTestData(cls):
        cls.admin = UserFactory(email="admin@acme.example")
        cls.acme = build_world("acme", **{ADMIN: cls.admin})
        cls.globex = build_world("globex")
        GrantFactory(application=cls.acme.shared.application, level="manage")

    def setUp(self):
        self.client = Client()
        self.client.force_login(self.admin)
        assert self.client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
        self.plausible = plausible_values()


class FuzzForms(World):
    def post(self, url: str, data: dict):
        with transaction.atomic():
            before, activity, admins = snapshot(), Activity.objects.count(), organisations_with_an_admin()
            response = self.client.post(url, data)
            assert response.status_code < 500, (url, data)
            after = snapshot()
            if refused(response):
                assert after == before, f"{url}: refused, yet something was written"
                assert Activity.objects.count() == activity
            elif after != before:
                assert Activity.objects.count() > activity, f"{url}: a change without its activity entry"
            remaining = set(Organisation.objects.values_list("pk", flat=True))
            assert admins & remaining <= organisations_with_an_admin(), f"{url}: an organisation lost its last Admin"
            assert_guardian_rows_follow_roles_and_grants()
            transaction.set_rollback(True)


def query_fields(url: str) -> list[str]:
    """The parameters a page reads from its query string: its filter form's fields, and the page number."""
    view_class = getattr(resolve(url).func, "view_class", None)
    form_class = getattr(view_class, "filter_form_class", None)
    return [*(form_class.base_fields if form_class is not None else []), "page"]


LIST_PAGES = {
    "organisations:members": {"q", "without_two_factor"},
    "organisations:activity": {"actor", "verb", "since", "until"},
    "organisations:activity_export": {"actor", "verb", "since", "until"},
    "apps:list": {"q", "state", "runtime", "region"},
    "billing:invoices": {"year"},
    "billing:invoices_csv": {"year"},
    "billing:consumption": {"month"},
}


class FuzzQueryStrings(World):
    """Generated query strings on every page the console answers to GET: the list pages' filters (members,
    applications, add-ons, deployments, activity and its export, invoices and their CSV, consumption), page numbers,
    and parameters nobody reads."""

    def get(self, url: str, data: dict):
        with transaction.atomic():
            before = snapshot()
            response = self.client.get(url, data)
            assert response.status_code < 500, (url, data)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)  # a streamed export fails while it is read
            assert snapshot() == before, f"{url}: a GET wrote something"
            transaction.set_rollback(True)

    def test_every_edge_value_on_every_list_filter(self):
        routes = dict(get_routes())
        for name in LIST_PAGES:
            url = reverse(name, kwargs={"slug": self.acme.organisation.slug})
            assert set(query_fields(url)) == {*LIST_PAGES[name], "page"}
            for field in query_fields(url):
                for value in EDGES:
                    self.get(url, {field: value})
        assert set(LIST_PAGES) <= set(routes)


def get_routes() -> list[tuple[str, str]]:
    return [
        (name, route)
        for name, route in console_routes()
        if GET in CONSOLE[name].methods and not isinstance(CONSOLE[name], InvitationLink)
    ]


def _query_fuzz_test(name: str, route: str):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(data=st.data())
    def test(self, data):
        acme = self.acme
        url = reverse(
            name,
            kwargs=fill(route, name, slug_of=acme, app=acme.shared, leaf=acme.shared, objects=acme, token="x"),
        )
        fields = [*query_fields(url), "next"]
        generated = data.draw(
            st.fixed_dictionaries({}, optional={field: query_values(self.plausible) for field in fields}),
            label="query",
        )
        extra = data.draw(st.dictionaries(TEXT.filter(bool), values(self.plausible), max_size=2), label="extra")
        self.get(url, {**extra, **generated})

    test.__name__ = f"test_{name.replace(':', '_')}"
    test.__doc__ = f"Generated query strings on {name}."
    return test


for _name, _route in get_routes():
    setattr(FuzzQueryStrings, f"test_{_name.replace(':', '_')}", _query_fuzz_test(_name, _route))


def post_routes() -> list[tuple[str, str]]:
    return [
        (name, route)
        for name, route in console_routes()
        if POST in CONSOLE[name].methods and not (isinstance(CONSOLE[name], InvitationLink) and CONSOLE[name].signed_in)
    ]


def _fuzz_test(name: str, route: str):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(data=st.data())
    def test(self, data):
        acme = self.acme
        token = "no-such-token"
        url = reverse(
            name,
            kwargs=fill(route, name, slug_of=acme, app=acme.shared, leaf=acme.shared, objects=acme, token=token),
        )
        fields = [*form_fields(name, url), "next"]
        generated = data.draw(
            st.fixed_dictionaries({}, optional={field: values(self.plausible) for field in fields}), label="fields"
        )
        extra = data.draw(st.dictionaries(TEXT.filter(bool), values(self.plausible), max_size=2), label="extra")
        self.post(url, {**extra, **generated})

    test.__name__ = f"test_{name.replace(':', '_')}"
    test.__doc__ = f"Generated input posted to {name}."
    return test


for _name, _route in post_routes():
    setattr(FuzzForms, f"test_{_name.replace(':', '_')}", _fuzz_test(_name, _route))


def test_every_form_is_fuzzed():
    names = {name for name, _route in post_routes()}
    assert {"organisations:invite", "apps:create", "apps:variables_text", "billing:card_add"} <= names
    assert len(names) > 30


def test_every_list_page_is_fuzzed():
    names = {name for name, _route in get_routes()}
    assert set(LIST_PAGES) | {"apps:addons", "apps:deployments", "apps:access", "apps:activity"} <= names
