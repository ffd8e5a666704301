"""Bad input on every form: a form error on the page (200), and nothing written."""

import pytest
from django.urls import reverse

from apps.models import MAX_VARIABLE_VALUE, Addon, Application, ApplicationGrant, Domain, EnvironmentVariable
from billing.models import AddonPlan, Flavor
from organisations.models import Activity
from organisations.roles import ADMIN

from .factories import ApplicationFactory, DomainFactory, VariableFactory
from .test_views import app_url


@pytest.fixture
def admin_client(client, member):
    client.force_login(member(ADMIN))
    return client


def assert_form_error(response, text=None):
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="field__error"' in page or "alert--error" in page
    if text:
        assert text in page


@pytest.fixture
def nothing_written(application):
    """Asserts afterwards that no activity was recorded by the request."""
    before = Activity.objects.count()
    yield
    assert Activity.objects.count() == before


@pytest.mark.django_db
class TestApplicationCreate:
    def post(self, client, **data):
        flavor = Flavor.objects.get(code="xs")
        payload = {
            "name": "good-name",
            "runtime": "python",
            "region": "par",
            "flavor": flavor.pk,
            "min_instances": 1,
            "max_instances": 2,
        }
        payload.update(data)
        return client.post(reverse("apps:create", kwargs={"slug": "acme"}), payload)

    @pytest.mark.parametrize(
        "data",
        [
            {"name": ""},
            {"name": "Shop Front"},
            {"name": "-leading"},
            {"name": "trailing-"},
            {"name": "under_score"},
            {"name": "a" * 65},
            {"name": "<script>"},
            {"runtime": "cobol"},
            {"region": "mars"},
            {"flavor": "999999"},
            {"min_instances": 0},
            {"max_instances": 41},
            {"min_instances": -1},
            {"min_instances": "many"},
            {"min_instances": 5, "max_instances": 2},
        ],
    )
    def test_bad_input(self, admin_client, application, nothing_written, data):
        count = Application.objects.count()
        assert_form_error(self.post(admin_client, **data))
        assert Application.objects.count() == count

    def test_duplicate_name(self, admin_client, application, nothing_written):
        assert_form_error(self.post(admin_client, name="shop-front"), "already has an application")
        assert Application.objects.filter(name="shop-front").count() == 1

    def test_same_name_in_another_organisation_is_fine(self, admin_client, application):
        ApplicationFactory(name="good-name")
        assert self.post(admin_client).status_code == 302

    def test_inactive_flavor(self, admin_client, application, nothing_written):
        flavor = Flavor.objects.get(code="3xl")
        Flavor.objects.filter(pk=flavor.pk).update(is_active=False)
        assert_form_error(self.post(admin_client, flavor=flavor.pk))


@pytest.mark.django_db
class TestVariables:
    @pytest.mark.parametrize(
        "data",
        [
            {"name": "", "value": "x"},
            {"name": "1STARTS_WITH_DIGIT", "value": "x"},
            {"name": "HAS SPACE", "value": "x"},
            {"name": "HAS-DASH", "value": "x"},
            {"name": "A" * 129, "value": "x"},
            {"name": "OK", "value": "x" * (MAX_VARIABLE_VALUE + 1)},
            {"name": "OK", "value": "line\nbreak"},
        ],
    )
    def test_add_bad_input(self, admin_client, application, nothing_written, data):
        assert_form_error(admin_client.post(app_url(application, "variables"), data))
        assert not EnvironmentVariable.objects.exists()

    def test_add_duplicate(self, admin_client, application):
        VariableFactory(application=application, name="TAKEN", value="old")
        before = Activity.objects.count()
        assert_form_error(admin_client.post(app_url(application, "variables"), {"name": "TAKEN", "value": "new"}))
        assert EnvironmentVariable.objects.get(name="TAKEN").value == "old"
        assert Activity.objects.count() == before

    def test_edit_bad_input(self, admin_client, application):
        variable = VariableFactory(application=application, name="KEEP", value="1")
        VariableFactory(application=application, name="OTHER")
        url = app_url(application, "variable_edit", variable_id=variable.pk)
        for data in (
            {"name": "9BAD", "value": "2"},
            {"name": "OTHER", "value": "2"},
            {"name": "KEEP", "value": "x" * 9000},
        ):
            assert_form_error(admin_client.post(url, data))
        variable.refresh_from_db()
        assert (variable.name, variable.value) == ("KEEP", "1")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("GOOD=1\nno equals sign\n", "Line 2"),
            ("GOOD=1\n9BAD=2\n", "Line 2"),
            ("A=1\nA=2\n", "given twice"),
            ("BIG=" + "x" * (MAX_VARIABLE_VALUE + 1), "Line 1"),
            ("".join(f"V{i}=1\n" for i in range(201)), "at most 200"),
            ("A=" + "x" * 70000, None),
        ],
    )
    def test_text_bad_input(self, admin_client, application, text, message):
        VariableFactory(application=application, name="KEPT", value="same")
        before = Activity.objects.count()
        assert_form_error(admin_client.post(app_url(application, "variables_text"), {"text": text}), message)
        assert list(application.variables.values_list("name", "value")) == [("KEPT", "same")]
        assert Activity.objects.count() == before

    def test_text_mode_round_trip(self, admin_client, application):
        VariableFactory(application=application, name="A", value="1=2 with spaces ")
        page = admin_client.get(app_url(application, "variables_text")).content.decode()
        assert "A=1=2 with spaces " in page
        response = admin_client.post(
            app_url(application, "variables_text"), {"text": "# comment\nA=1=2 with spaces \n\nB=\n"}
        )
        assert response.status_code == 302
        assert dict(application.variables.values_list("name", "value")) == {"A": "1=2 with spaces ", "B": ""}


@pytest.mark.django_db
class TestDomains:
    @pytest.mark.parametrize(
        "hostname",
        [
            "",
            "localhost",
            "no_underscore.example.com",
            "-lead.example.com",
            "trail-.example.com",
            "double..dot.com",
            "example.123",
            "exa mple.com",
            "http://example.com",
            "a" * 64 + ".example.com",
            ("abcdefghij." * 25) + "com",
            "ünïcode.example.com",
        ],
    )
    def test_bad_hostname(self, admin_client, application, nothing_written, hostname):
        assert_form_error(admin_client.post(app_url(application, "domains"), {"hostname": hostname}))
        assert not Domain.objects.exists()

    def test_unique_across_the_platform(self, admin_client, application):
        DomainFactory(hostname="www.taken.com")  # another organisation's application
        before = Activity.objects.count()
        assert_form_error(
            admin_client.post(app_url(application, "domains"), {"hostname": "WWW.taken.com."}), "already used"
        )
        assert Domain.objects.filter(hostname="www.taken.com").count() == 1
        assert Activity.objects.count() == before


@pytest.mark.django_db
class TestScaling:
    @pytest.mark.parametrize(
        "data",
        [
            {"min_instances": 0, "max_instances": 1},
            {"min_instances": 1, "max_instances": 41},
            {"min_instances": 3, "max_instances": 2},
            {"min_instances": "", "max_instances": 2},
            {"min_instances": 1, "max_instances": 2, "flavor": "nope"},
        ],
    )
    def test_bad_bounds(self, admin_client, application, nothing_written, data):
        payload = {"flavor": Flavor.objects.get(code="m").pk, **data}
        assert_form_error(admin_client.post(app_url(application, "scaling"), payload))
        application.refresh_from_db()
        assert (application.flavor.code, application.min_instances, application.max_instances) == ("xs", 1, 1)


@pytest.mark.django_db
class TestDeployAndDelete:
    @pytest.mark.parametrize("commit", ["xyz1234", "abc", "a" * 41, "abc def0"])
    def test_bad_commit(self, admin_client, application, nothing_written, commit):
        assert_form_error(admin_client.post(app_url(application, "deployments"), {"commit": commit}))
        assert application.deployments.count() == 1

    @pytest.mark.parametrize("typed", ["", "shop", "Shop-Front", " shop-front"])
    def test_delete_needs_the_exact_name(self, admin_client, application, nothing_written, typed):
        assert_form_error(admin_client.post(app_url(application, "delete"), {"confirm_name": typed}))
        assert Application.objects.filter(pk=application.pk).exists()


@pytest.mark.django_db
class TestAddons:
    @pytest.mark.parametrize(
        "data",
        [{"name": "Bad Name"}, {"name": ""}, {"name": "x" * 65}, {"plan": "0"}, {"region": "moon"}],
    )
    def test_create_bad_input(self, admin_client, application, nothing_written, data):
        plan = AddonPlan.objects.get(kind="mysql", code="xs")
        payload = {"name": "good", "plan": plan.pk, "region": "par", **data}
        assert_form_error(admin_client.post(reverse("apps:addon_create", kwargs={"slug": "acme"}), payload))
        assert not Addon.objects.exists()


@pytest.mark.django_db
class TestGrants:
    @pytest.mark.parametrize(
        "data",
        [
            {"email": "not-an-email", "level": "view"},
            {"email": "nobody@nowhere.example", "level": "owner"},
            {"email": "{user}", "level": "owner"},
            {"email": "{user}", "level": "view", "expires_at": "2001-01-01T10:00"},
            {"email": "{user}", "level": "view", "expires_at": "tomorrow"},
        ],
    )
    def test_bad_input(self, admin_client, application, other_user, nothing_written, data):
        data = {key: value.replace("{user}", other_user.email) for key, value in data.items()}
        assert_form_error(admin_client.post(app_url(application, "access"), data))
        assert not ApplicationGrant.objects.exists()
