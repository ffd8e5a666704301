"""Every application and add-on page, permitted and denied, over anonymous, outsider, the four roles and grantees."""

import re

import pytest
from django.urls import reverse

from apps.models import Addon, Application, ApplicationGrant, Deployment, Domain, EnvironmentVariable
from billing.models import AddonPlan, Flavor
from organisations.models import Activity, Invitation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.organisations.factories import MembershipFactory, OrganisationFactory

from .conftest import WHO
from .factories import AddonFactory, ApplicationFactory, DeploymentFactory, DomainFactory, GrantFactory, VariableFactory

# What each person can do on Acme's application "shop-front" (hard-coded here, so the tests check apps/access.py).
ALL = {"view", "deploy", "operate", "configure", "delete", "see_access", "share"}
CAN = {
    ADMIN: ALL,
    MANAGER: ALL,
    DEVELOPER: {"view", "deploy", "operate", "configure", "see_access"},
    ACCOUNTING: set(),
    "view": {"view"},
    "deploy": {"view", "deploy", "operate"},
    "manage": {"view", "deploy", "operate", "configure"},
}
MEMBERS = {ADMIN, MANAGER, DEVELOPER, ACCOUNTING}
# What the confirmation page of a destructive action posts (organisations.views.ConfirmedActionView).
CONFIRMED = {"confirm": "yes"}


def expected_status(who: str, needed: str, ok: int) -> int:
    if who == "anonymous":
        return 302
    if who == "outsider":
        return 404
    if needed in CAN[who]:
        return ok
    return 403


def app_url(application, name, **kwargs):
    return reverse(f"apps:{name}", kwargs={"slug": application.organisation.slug, "pk": application.pk, **kwargs})


def assert_denied(response, who):
    if who == "anonymous":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code in (403, 404)


# GET pages of one application: (url name, capability needed, extra kwargs factory)
GET_PAGES = [
    ("overview", "view"),
    ("variables", "view"),
    ("domains", "view"),
    ("scaling", "view"),
    ("deployments", "view"),
    ("activity", "view"),
    ("access", "see_access"),
    ("variables_text", "configure"),
    ("delete", "delete"),
]


@pytest.mark.django_db
class TestApplicationPages:
    @pytest.mark.parametrize("who", WHO)
    @pytest.mark.parametrize(("page", "needed"), GET_PAGES)
    def test_get(self, actor_as, application, who, page, needed):
        client, _user = actor_as(who)
        response = client.get(app_url(application, page))
        assert response.status_code == expected_status(who, needed, 200)
        if response.status_code == 200:
            assert application.name in response.content.decode()

    @pytest.mark.parametrize("who", WHO)
    def test_variable_edit_page(self, actor_as, application, who):
        variable = VariableFactory(application=application)
        client, _user = actor_as(who)
        response = client.get(app_url(application, "variable_edit", variable_id=variable.pk))
        assert response.status_code == expected_status(who, "configure", 200)

    @pytest.mark.parametrize("who", WHO)
    def test_values_hidden_until_revealed(self, actor_as, application, who):
        VariableFactory(application=application, name="DATABASE_PASSWORD", value="hunter2-secret")
        client, _user = actor_as(who)
        response = client.get(app_url(application, "variables"))
        if response.status_code != 200:
            assert_denied(response, who)
            return
        page = response.content.decode()
        assert "DATABASE_PASSWORD" in page
        assert "hunter2-secret" not in page
        revealed = client.get(app_url(application, "variables") + "?reveal=DATABASE_PASSWORD").content.decode()
        assert ("hunter2-secret" in revealed) == ("configure" in CAN[who])

    @pytest.mark.parametrize("who", WHO)
    def test_action_buttons_follow_capabilities(self, actor_as, application, who):
        client, _user = actor_as(who)
        response = client.get(app_url(application, "overview"))
        if response.status_code != 200:
            return
        page = response.content.decode()
        assert (app_url(application, "stop") in page) == ("operate" in CAN[who])
        assert (app_url(application, "delete") in page) == ("delete" in CAN[who])
        assert (app_url(application, "access") in page) == ("see_access" in CAN[who])


@pytest.mark.django_db
class TestApplicationActions:
    """Each POST, permitted (the change is made) and denied (nothing changes)."""

    @pytest.mark.parametrize("who", WHO)
    def test_add_variable(self, actor_as, application, who):
        client, _user = actor_as(who)
        response = client.post(app_url(application, "variables"), {"name": "API_KEY", "value": "abc"})
        assert response.status_code == expected_status(who, "configure", 302)
        assert application.variables.filter(name="API_KEY").exists() == ("configure" in CAN.get(who, set()))

    @pytest.mark.parametrize("who", WHO)
    def test_edit_variable(self, actor_as, application, who):
        variable = VariableFactory(application=application, name="OLD", value="1")
        client, _user = actor_as(who)
        response = client.post(
            app_url(application, "variable_edit", variable_id=variable.pk), {"name": "NEW", "value": "2"}
        )
        assert response.status_code == expected_status(who, "configure", 302)
        variable.refresh_from_db()
        permitted = "configure" in CAN.get(who, set())
        assert (variable.name, variable.value) == (("NEW", "2") if permitted else ("OLD", "1"))

    @pytest.mark.parametrize("who", WHO)
    def test_delete_variable(self, actor_as, application, who):
        variable = VariableFactory(application=application)
        client, _user = actor_as(who)
        response = client.post(app_url(application, "variable_delete", variable_id=variable.pk), CONFIRMED)
        assert response.status_code == expected_status(who, "configure", 302)
        assert EnvironmentVariable.objects.filter(pk=variable.pk).exists() != ("configure" in CAN.get(who, set()))

    @pytest.mark.parametrize("who", WHO)
    def test_variables_as_text(self, actor_as, application, who):
        VariableFactory(application=application, name="GONE")
        client, _user = actor_as(who)
        response = client.post(app_url(application, "variables_text"), {"text": "A=1\nB=two\n"})
        assert response.status_code == expected_status(who, "configure", 302)
        names = set(application.variables.values_list("name", flat=True))
        assert names == ({"A", "B"} if "configure" in CAN.get(who, set()) else {"GONE"})

    @pytest.mark.parametrize("who", WHO)
    def test_add_domain(self, actor_as, application, who):
        client, _user = actor_as(who)
        response = client.post(app_url(application, "domains"), {"hostname": "WWW.Shop.example.com"})
        assert response.status_code == expected_status(who, "configure", 302)
        assert Domain.objects.filter(hostname="www.shop.example.com").exists() == ("configure" in CAN.get(who, set()))

    @pytest.mark.parametrize("who", WHO)
    def test_remove_domain(self, actor_as, application, who):
        domain = DomainFactory(application=application)
        client, _user = actor_as(who)
        response = client.post(app_url(application, "domain_remove", domain_id=domain.pk), CONFIRMED)
        assert response.status_code == expected_status(who, "configure", 302)
        assert Domain.objects.filter(pk=domain.pk).exists() != ("configure" in CAN.get(who, set()))

    @pytest.mark.parametrize("who", WHO)
    def test_scale(self, actor_as, application, who):
        client, _user = actor_as(who)
        flavor = Flavor.objects.get(code="m")
        response = client.post(
            app_url(application, "scaling"), {"flavor": flavor.pk, "min_instances": 2, "max_instances": 5}
        )
        assert response.status_code == expected_status(who, "configure", 302)
        application.refresh_from_db()
        permitted = "configure" in CAN.get(who, set())
        assert (application.flavor.code, application.min_instances, application.max_instances) == (
            ("m", 2, 5) if permitted else ("xs", 1, 1)
        )

    @pytest.mark.parametrize("who", WHO)
    def test_deploy(self, actor_as, application, who):
        client, user = actor_as(who)
        response = client.post(app_url(application, "deployments"), {"commit": "abcdef1234567"})
        assert response.status_code == expected_status(who, "deploy", 302)
        deployment = application.deployments.filter(commit="abcdef1234567").first()
        if "deploy" in CAN.get(who, set()):
            assert deployment.author == user
            assert deployment.status == Deployment.Status.SUCCEEDED
        else:
            assert deployment is None

    @pytest.mark.parametrize("who", WHO)
    def test_redeploy(self, actor_as, application, who):
        earlier = application.deployments.get()
        client, _user = actor_as(who)
        response = client.post(app_url(application, "redeploy", deployment_id=earlier.pk))
        assert response.status_code == expected_status(who, "deploy", 302)
        redeploys = application.deployments.filter(redeploy_of=earlier, commit=earlier.commit)
        assert redeploys.exists() == ("deploy" in CAN.get(who, set()))

    @pytest.mark.parametrize("who", WHO)
    @pytest.mark.parametrize(("action", "state"), [("stop", "stopped"), ("restart", "running")])
    def test_operate(self, actor_as, application, who, action, state):
        client, _user = actor_as(who)
        response = client.post(app_url(application, action), CONFIRMED)
        assert response.status_code == expected_status(who, "operate", 302)
        application.refresh_from_db()
        permitted = "operate" in CAN.get(who, set())
        assert application.state == (state if permitted else "running")
        verb = f"application.{'stopped' if action == 'stop' else 'restarted'}"
        assert Activity.objects.filter(verb=verb).exists() == permitted

    @pytest.mark.parametrize("who", WHO)
    def test_start(self, actor_as, application, who):
        Application.objects.filter(pk=application.pk).update(state=Application.State.STOPPED)
        client, _user = actor_as(who)
        response = client.post(app_url(application, "start"))
        assert response.status_code == expected_status(who, "operate", 302)
        application.refresh_from_db()
        assert application.state == ("running" if "operate" in CAN.get(who, set()) else "stopped")

    @pytest.mark.parametrize("who", WHO)
    def test_grant(self, actor_as, application, other_user, who):
        client, _user = actor_as(who)
        response = client.post(app_url(application, "access"), {"email": other_user.email.upper(), "level": "deploy"})
        assert response.status_code == expected_status(who, "share", 302)
        # An invitation the person accepts: no grant until then.
        invited = Invitation.objects.filter(
            application=application, email=other_user.email.lower(), application_level="deploy"
        ).exists()
        assert invited == ("share" in CAN.get(who, set()))
        assert not ApplicationGrant.objects.filter(application=application, user=other_user).exists()

    @pytest.mark.parametrize("who", WHO)
    def test_revoke(self, actor_as, application, other_user, who):
        grant = GrantFactory(application=application, user=other_user, level="manage")
        client, _user = actor_as(who)
        response = client.post(app_url(application, "grant_revoke", grant_id=grant.pk), CONFIRMED)
        assert response.status_code == expected_status(who, "share", 302)
        assert ApplicationGrant.objects.filter(pk=grant.pk).exists() != ("share" in CAN.get(who, set()))

    @pytest.mark.parametrize("who", WHO)
    def test_delete(self, actor_as, application, who):
        client, _user = actor_as(who)
        response = client.post(app_url(application, "delete"), {"confirm_name": "shop-front"})
        assert response.status_code == expected_status(who, "delete", 302)
        assert Application.objects.filter(pk=application.pk).exists() != ("delete" in CAN.get(who, set()))


# Organisation-wide pages: (url name, method, right-holders, ok status)
VIEWERS = {ADMIN, MANAGER, DEVELOPER}
ADDON_MANAGERS = {ADMIN, MANAGER}


def org_status(who, allowed, ok):
    if who == "anonymous":
        return 302
    if who in MEMBERS:
        return ok if who in allowed else 403
    return 404  # outsiders and grantees: the organisation does not exist for them


@pytest.mark.django_db
class TestOrganisationPages:
    @pytest.mark.parametrize("who", WHO)
    def test_list(self, actor_as, application, who):
        client, _user = actor_as(who)
        response = client.get(reverse("apps:list", kwargs={"slug": "acme"}))
        assert response.status_code == org_status(who, VIEWERS, 200)
        if response.status_code == 200:
            assert "shop-front" in response.content.decode()

    @pytest.mark.parametrize("who", WHO)
    def test_create(self, actor_as, application, who):
        client, _user = actor_as(who)
        url = reverse("apps:create", kwargs={"slug": "acme"})
        assert client.get(url).status_code == org_status(who, VIEWERS, 200)
        flavor = Flavor.objects.get(code="s")
        response = client.post(
            url,
            {
                "name": "new-app",
                "runtime": "node",
                "region": "rbx",
                "flavor": flavor.pk,
                "min_instances": 1,
                "max_instances": 3,
            },
        )
        assert response.status_code == org_status(who, VIEWERS, 302)
        created = Application.objects.filter(name="new-app").first()
        assert (created is not None) == (who in VIEWERS)
        if created:
            assert (created.organisation.slug, created.runtime, created.max_instances) == ("acme", "node", 3)
            assert Activity.objects.filter(verb="application.created", target_id=str(created.pk)).exists()

    @pytest.mark.parametrize("who", WHO)
    def test_addons(self, actor_as, application, organisation, who):
        AddonFactory(organisation=organisation, name="shop-db")
        client, _user = actor_as(who)
        response = client.get(reverse("apps:addons", kwargs={"slug": "acme"}))
        assert response.status_code == org_status(who, VIEWERS, 200)
        if response.status_code == 200:
            page = response.content.decode()
            assert "shop-db" in page
            assert (reverse("apps:addon_create", kwargs={"slug": "acme"}) in page) == (who in ADDON_MANAGERS)

    @pytest.mark.parametrize("who", WHO)
    def test_addon_create(self, actor_as, application, who):
        client, _user = actor_as(who)
        url = reverse("apps:addon_create", kwargs={"slug": "acme"})
        assert client.get(url).status_code == org_status(who, ADDON_MANAGERS, 200)
        plan = AddonPlan.objects.get(kind="redis", code="s")
        response = client.post(url, {"name": "cache", "plan": plan.pk, "region": "par"})
        assert response.status_code == org_status(who, ADDON_MANAGERS, 302)
        assert Addon.objects.filter(name="cache").exists() == (who in ADDON_MANAGERS)

    @pytest.mark.parametrize("who", WHO)
    def test_addon_detail_and_link(self, actor_as, application, organisation, who):
        addon = AddonFactory(organisation=organisation)
        client, _user = actor_as(who)
        url = reverse("apps:addon", kwargs={"slug": "acme", "addon_id": addon.pk})
        response = client.get(url)
        assert response.status_code == org_status(who, VIEWERS, 200)
        if response.status_code == 200:
            assert "POSTGRESQL_ADDON_URI" in response.content.decode()
            assert addon.secret not in response.content.decode()
        response = client.post(url, {"applications": [application.pk]})
        assert response.status_code == org_status(who, ADDON_MANAGERS, 302)
        assert addon.applications.filter(pk=application.pk).exists() == (who in ADDON_MANAGERS)

    @pytest.mark.parametrize("who", WHO)
    def test_addon_delete(self, actor_as, application, organisation, who):
        addon = AddonFactory(organisation=organisation)
        client, _user = actor_as(who)
        response = client.post(reverse("apps:addon_delete", kwargs={"slug": "acme", "addon_id": addon.pk}), CONFIRMED)
        assert response.status_code == org_status(who, ADDON_MANAGERS, 302)
        assert Addon.objects.filter(pk=addon.pk).exists() != (who in ADDON_MANAGERS)

    @pytest.mark.parametrize("who", ["view", "deploy", "manage"])
    @pytest.mark.parametrize("page", ["entry", "overview", "settings", "delete"])
    def test_grantees_see_nothing_else_of_the_organisation(self, actor_as, application, who, page):
        client, _user = actor_as(who)
        assert client.get(reverse(f"organisations:{page}", kwargs={"slug": "acme"})).status_code == 404


@pytest.mark.django_db
class TestSharedWithMe:
    @pytest.mark.parametrize("who", WHO)
    def test_page(self, actor_as, application, who):
        client, _user = actor_as(who)
        response = client.get(reverse("apps:shared"))
        if who == "anonymous":
            assert response.status_code == 302
            return
        assert response.status_code == 200
        page = response.content.decode()
        assert ("shop-front" in page) == (who in {"view", "deploy", "manage"})

    def test_grantee_sees_only_their_applications(self, client, application, organisation, grantee):
        other = ApplicationFactory(organisation=organisation, name="secret-intranet")
        user = grantee("view")
        client.force_login(user)
        home = client.get("/").content.decode()
        assert "shop-front" in home and "secret-intranet" not in home
        shared = client.get(reverse("apps:shared")).content.decode()
        assert "shop-front" in shared and "secret-intranet" not in shared
        assert client.get(app_url(other, "overview")).status_code == 404
        assert client.get(app_url(application, "overview")).status_code == 200
        # The page shell shows no section of the organisation.
        overview = client.get(app_url(application, "overview")).content.decode()
        assert f'href="{reverse("apps:list", kwargs={"slug": "acme"})}"' not in overview
        assert f'href="{reverse("organisations:overview", kwargs={"slug": "acme"})}"' not in overview

    def test_expired_grant_gives_nothing(self, client, application, grantee, time_machine):
        from datetime import timedelta

        from django.utils import timezone

        time_machine.move_to(timezone.now())
        user = grantee("manage", expires_at=timezone.now() + timedelta(days=1))
        client.force_login(user)
        assert client.get(app_url(application, "overview")).status_code == 200
        time_machine.shift(timedelta(days=1, seconds=1))
        assert client.get(app_url(application, "overview")).status_code == 404
        assert "shop-front" not in client.get(reverse("apps:shared")).content.decode()

    def test_revoked_at_once(self, client, application, grantee, member):
        user = grantee("deploy")
        client.force_login(user)
        assert client.get(app_url(application, "overview")).status_code == 200
        grant = ApplicationGrant.objects.get(user=user)
        admin_client = type(client)()
        admin_client.force_login(member(ADMIN))
        admin_client.post(app_url(application, "grant_revoke", grant_id=grant.pk), CONFIRMED)
        assert client.get(app_url(application, "overview")).status_code == 404

    def test_a_member_s_grant_gives_nothing_their_role_decides(self, client, application, organisation):
        accountant = MembershipFactory(organisation=organisation, role=ACCOUNTING).user
        GrantFactory(application=application, user=accountant, level="deploy")
        client.force_login(accountant)
        assert client.get(app_url(application, "overview")).status_code == 403
        assert client.post(app_url(application, "restart")).status_code == 403
        assert client.get(reverse("apps:list", kwargs={"slug": "acme"})).status_code == 403


@pytest.mark.django_db
class TestCrossTenant:
    """An application, variable, domain, deployment, grant or add-on of another organisation in the URL is 404."""

    @pytest.fixture
    def foreign(self, db):
        other = OrganisationFactory()
        application = ApplicationFactory(organisation=other)
        return {
            "application": application,
            "variable": VariableFactory(application=application),
            "domain": DomainFactory(application=application),
            "deployment": DeploymentFactory(application=application),
            "grant": GrantFactory(application=application),
            "addon": AddonFactory(organisation=other),
        }

    @pytest.mark.parametrize("page", [page for page, _ in GET_PAGES])
    def test_foreign_application_under_own_slug(self, client, member, application, foreign, page):
        client.force_login(member(ADMIN))
        url = reverse(f"apps:{page}", kwargs={"slug": "acme", "pk": foreign["application"].pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404

    def test_foreign_objects_under_own_application(self, client, member, application, foreign):
        client.force_login(member(ADMIN))
        posts = [
            app_url(application, "variable_delete", variable_id=foreign["variable"].pk),
            app_url(application, "domain_remove", domain_id=foreign["domain"].pk),
            app_url(application, "redeploy", deployment_id=foreign["deployment"].pk),
            app_url(application, "grant_revoke", grant_id=foreign["grant"].pk),
            reverse("apps:addon_delete", kwargs={"slug": "acme", "addon_id": foreign["addon"].pk}),
        ]
        for url in posts:
            assert client.post(url, CONFIRMED).status_code == 404, url
        assert client.get(app_url(application, "variable_edit", variable_id=foreign["variable"].pk)).status_code == 404
        assert (
            client.get(reverse("apps:addon", kwargs={"slug": "acme", "addon_id": foreign["addon"].pk})).status_code
            == 404
        )
        assert EnvironmentVariable.objects.filter(pk=foreign["variable"].pk).exists()
        assert Domain.objects.filter(pk=foreign["domain"].pk).exists()
        assert ApplicationGrant.objects.filter(pk=foreign["grant"].pk).exists()
        assert Addon.objects.filter(pk=foreign["addon"].pk).exists()

    def test_link_foreign_application_to_addon_refused(self, client, member, organisation, foreign):
        addon = AddonFactory(organisation=organisation)
        client.force_login(member(ADMIN))
        url = reverse("apps:addon", kwargs={"slug": "acme", "addon_id": addon.pk})
        response = client.post(url, {"applications": [foreign["application"].pk]})
        assert response.status_code == 200
        assert not addon.applications.exists()

    def test_grantee_of_other_organisation_application(self, client, application, foreign):
        user = foreign["grant"].user
        client.force_login(user)
        assert client.get(app_url(application, "overview")).status_code == 404
        assert client.get(app_url(foreign["application"], "overview")).status_code == 200


@pytest.mark.django_db
def test_no_inline_script_or_style(client, member, application, organisation):
    """The CSP forbids inline scripts and styles: no page of the application may rely on them."""
    VariableFactory(application=application)
    addon = AddonFactory(organisation=organisation)
    client.force_login(member(ADMIN))
    urls = [app_url(application, page) for page, _needed in GET_PAGES] + [
        reverse("apps:list", kwargs={"slug": "acme"}),
        reverse("apps:create", kwargs={"slug": "acme"}),
        reverse("apps:addons", kwargs={"slug": "acme"}),
        reverse("apps:addon_create", kwargs={"slug": "acme"}),
        reverse("apps:addon", kwargs={"slug": "acme", "addon_id": addon.pk}),
        reverse("apps:shared"),
    ]
    for url in urls:
        page = client.get(url).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
        assert all(re.search(r'\bsrc="/static/', attrs) and not body.strip() for attrs, body in scripts), url
        assert "style=" not in page and " onclick" not in page, url


@pytest.mark.parametrize("query", [{"state": "exploded"}, {"q": "shop\x00"}, {"region": "\U0001f4a5"}, {"q": "a\nb"}])
def test_a_filter_that_is_not_valid_is_an_error_on_the_page_and_lists_everything(client, member, application, query):
    client.force_login(member(ADMIN))
    response = client.get(reverse("apps:list", kwargs={"slug": "acme"}), query)
    assert response.status_code == 200
    (field,) = query
    assert response.context["filter_form"].errors[field]
    page = response.content.decode()
    assert 'class="field__error"' in page and application.name in page


# Destructive actions: the address's GET (and a POST without ``confirm``) is a confirmation saying what will be lost.


def _variable(application):
    variable = VariableFactory(application=application, name="STRIPE_KEY")
    url = app_url(application, "variable_delete", variable_id=variable.pk)
    return url, lambda: EnvironmentVariable.objects.filter(pk=variable.pk).exists(), ["STRIPE_KEY and its value"]


def _domain(application):
    domain = DomainFactory(application=application, hostname="shop.example.com")
    url = app_url(application, "domain_remove", domain_id=domain.pk)
    return url, lambda: Domain.objects.filter(pk=domain.pk).exists(), ["shop.example.com stops routing"]


def _grant(application):
    grant = GrantFactory(application=application, level="deploy", user__email="freelancer@example.com")
    url = app_url(application, "grant_revoke", grant_id=grant.pk)
    return url, lambda: ApplicationGrant.objects.filter(pk=grant.pk).exists(), ["freelancer@example.com loses Deploy"]


def _addon(application):
    addon = AddonFactory(organisation=application.organisation, name="shop-db")
    addon.applications.add(application)
    url = reverse("apps:addon_delete", kwargs={"slug": "acme", "addon_id": addon.pk})
    lost = ["all the data it holds", "lose its connection variables: shop-front"]
    return url, lambda: Addon.objects.filter(pk=addon.pk).exists(), lost


def _stop(application):
    DomainFactory(application=application, hostname="www.shop.example.com")

    def running():
        application.refresh_from_db()
        return application.state == Application.State.RUNNING

    return app_url(application, "stop"), running, ["answers no request", "www.shop.example.com"]


@pytest.mark.parametrize("make", [_variable, _domain, _grant, _addon, _stop], ids=lambda make: make.__name__[1:])
class TestConfirmation:
    def test_the_address_shows_what_will_be_lost(self, client, member, application, make):
        url, still_there, lost = make(application)
        client.force_login(member(ADMIN))
        response = client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        for text in lost:
            assert text in content
        assert 'name="confirm" value="yes"' in content
        assert still_there()

    def test_a_post_without_the_confirmation_does_nothing(self, client, member, application, make):
        url, still_there, lost = make(application)
        client.force_login(member(ADMIN))
        response = client.post(url)
        assert response.status_code == 200 and lost[0] in response.content.decode()
        assert still_there()
        assert client.post(url, {"confirm": "no"}).status_code == 200
        assert still_there()

    def test_the_confirmed_post_does_it(self, client, member, application, make):
        url, still_there, _lost = make(application)
        client.force_login(member(ADMIN))
        assert client.post(url, CONFIRMED).status_code == 302
        assert not still_there()

    def test_the_confirmation_page_is_refused_to_who_may_not_act(self, client, member, application, make):
        url, still_there, _lost = make(application)
        client.force_login(member(ACCOUNTING))
        assert client.get(url).status_code == 403
        assert client.post(url, CONFIRMED).status_code == 403
        assert still_there()
