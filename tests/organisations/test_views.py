import pytest
from django.test import Client
from django.urls import reverse

from organisations.models import Activity, Membership, Organisation
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import UserFactory
from tests.conftest import ROLE_IDS
from tests.organisations.factories import MembershipFactory, OrganisationFactory
from tests.organisations.members_support import reauthenticate

SIGN_IN = "/accounts/login/"


def url(name, slug="acme"):
    return reverse(f"organisations:{name}", kwargs={"slug": slug})


def outcome(response):
    """What a person sees: the page, a refusal, nothing at all, or the sign-in page."""
    if response.status_code == 302 and response["Location"].startswith(SIGN_IN):
        return "sign-in"
    return response.status_code


EXPECTED = {
    # page: anonymous, outsider, Admin, Manager, Developer, Accountant
    "overview": ["sign-in", 404, 200, 200, 200, 403],
    "settings": ["sign-in", 404, 200, 200, 403, 403],
    "delete": ["sign-in", 404, 200, 403, 403, 403],
}
WHO = ["anonymous", "outsider", *ROLE_IDS]


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(EXPECTED))
@pytest.mark.parametrize("who", WHO)
def test_get_organisation_pages(user_as, page, who):
    client, _ = user_as(who)
    assert outcome(client.get(url(page))) == EXPECTED[page][WHO.index(who)]


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_post_settings_is_checked_on_the_server(user_as, organisation, who):
    client, _ = user_as(who)
    response = client.post(url("settings"), {"name": "Renamed", "description": ""})
    allowed = who in {ADMIN, MANAGER}
    assert outcome(response) == (302 if allowed else EXPECTED["settings"][WHO.index(who)])
    organisation.refresh_from_db()
    assert (organisation.name == "Renamed") is allowed


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_post_delete_is_checked_on_the_server(user_as, organisation, who):
    client, _ = user_as(who)
    allowed = who == ADMIN
    if allowed:
        reauthenticate(client)  # deleting asks for a recent sign-in (tests/organisations/test_deletion.py)
    response = client.post(url("delete"), {"confirm_name": organisation.name})
    assert outcome(response) == (302 if allowed else EXPECTED["delete"][WHO.index(who)])
    organisation.refresh_from_db()
    assert organisation.is_deleted is allowed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "landing"),
    [(ADMIN, "overview"), (MANAGER, "overview"), (DEVELOPER, "overview")],
)
def test_the_organisation_address_leads_to_the_first_section_of_the_role(user_as, who, landing):
    client, _ = user_as(who)
    response = client.get(url("entry"))
    assert response.status_code == 302
    assert response["Location"] == url(landing)


@pytest.mark.django_db
def test_an_outsider_cannot_learn_that_the_organisation_exists(user_as):
    client, _ = user_as("outsider")
    existing = client.get(url("entry"))
    missing = client.get(url("entry", slug="no-such-organisation"))
    assert existing.status_code == missing.status_code == 404
    assert existing.content == missing.content


@pytest.mark.django_db
def test_an_expired_member_is_an_outsider(client, organisation):
    from datetime import timedelta

    from django.utils import timezone

    membership = MembershipFactory(
        organisation=organisation, role=ADMIN, expires_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(membership.user)
    assert client.get(url("overview")).status_code == 404


class TestNavigation:
    """The page shell shows the sections the role may use, and nothing else."""

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        ("who", "shown", "hidden"),
        [
            (ADMIN, ["overview", "settings"], []),
            (MANAGER, ["overview", "settings"], []),
            (DEVELOPER, ["overview"], ["settings"]),
        ],
    )
    def test_sections_follow_the_rights(self, user_as, who, shown, hidden):
        client, _ = user_as(who)
        page = client.get(url("overview")).content.decode()
        for name in shown:
            assert f'href="{url(name)}"' in page
        for name in hidden:
            assert f'href="{url(name)}"' not in page

    @pytest.mark.django_db
    def test_the_delete_button_is_for_admins_only(self, user_as):
        client, _ = user_as(MANAGER)
        assert url("delete") not in client.get(url("settings")).content.decode()

    @pytest.mark.django_db
    def test_the_switcher_lists_the_users_organisations_only(self, client, organisation, member):
        user = member(DEVELOPER)
        other = OrganisationFactory(name="Someone Else's")
        client.force_login(user)
        page = client.get(url("overview")).content.decode()
        assert "Acme Web Agency" in page
        assert "personal space" in page
        assert other.name not in page


@pytest.mark.django_db
class TestCreate:
    def test_a_signed_in_person_creates_an_organisation_and_lands_in_it(self, client):
        user = UserFactory()
        client.force_login(user)
        response = client.post(reverse("organisations:create"), {"name": "Globex", "description": "Studio"})
        organisation = Organisation.objects.get(name="Globex")
        assert response["Location"] == url("entry", slug=organisation.slug)
        assert Membership.objects.get(organisation=organisation).role.key == ADMIN
        assert client.get(response["Location"], follow=True).status_code == 200

    @pytest.mark.parametrize(
        "data",
        [{"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": "Ok", "description": "d" * 1001}],
    )
    def test_bad_input_is_a_form_error_and_writes_nothing(self, client, data):
        client.force_login(UserFactory())
        before = Organisation.objects.count()
        response = client.post(reverse("organisations:create"), data)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert Organisation.objects.count() == before
        assert not Activity.objects.exists()


@pytest.mark.django_db
class TestSettingsAndDelete:
    def test_oversized_name_is_refused_and_nothing_changes(self, user_as, organisation):
        client, _ = user_as(ADMIN)
        response = client.post(url("settings"), {"name": "x" * 500, "description": ""})
        assert response.status_code == 200
        assert "at most 100 characters" in response.content.decode()
        organisation.refresh_from_db()
        assert organisation.name == "Acme Web Agency"

    def test_delete_with_the_wrong_name_is_a_form_error(self, user_as, organisation):
        client, _ = user_as(ADMIN)
        reauthenticate(client)
        response = client.post(url("delete"), {"confirm_name": "Acme"})
        assert response.status_code == 200
        assert "exactly" in response.content.decode()
        assert Organisation.objects.filter(pk=organisation.pk).exists()

    def test_a_personal_space_cannot_be_deleted(self, client):
        user = UserFactory()
        space = Organisation.objects.get(memberships__user=user)
        client.force_login(user)
        reauthenticate(client)
        response = client.post(url("delete", slug=space.slug), {"confirm_name": space.name})
        assert response.status_code == 200
        assert Organisation.objects.filter(pk=space.pk).exists()

    def test_a_foreign_csrf_token_is_refused(self, organisation, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member(ADMIN))
        response = client.post(url("delete"), {"confirm_name": organisation.name, "csrfmiddlewaretoken": "forged"})
        assert response.status_code == 403
        assert Organisation.objects.filter(pk=organisation.pk).exists()


@pytest.mark.django_db
class TestQueryCounts:
    """The organisation pages cost the same number of queries with 2 or 50 members and organisations."""

    def grow(self, organisation, admin, size):
        for _ in range(size):
            MembershipFactory(organisation=organisation, role=DEVELOPER)
            MembershipFactory(user=admin, role=MANAGER)  # another organisation of the admin's

    @pytest.mark.parametrize(("page", "queries"), [("overview", 5), ("settings", 4)])
    def test_organisation_pages(self, client, organisation, member, django_assert_num_queries, page, queries):
        admin = member(ADMIN)
        client.force_login(admin)
        for size in (2, 48):
            self.grow(organisation, admin, size)
            with django_assert_num_queries(queries):
                assert client.get(url(page)).status_code == 200

    def test_home(self, client, member):
        admin = member(ADMIN)
        client.force_login(admin)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = []
        for size in (2, 48):
            for _ in range(size):
                MembershipFactory(user=admin, role=ACCOUNTING)
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/").status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]
