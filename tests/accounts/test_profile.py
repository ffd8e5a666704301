"""People have names, a language and a time zone: sign-up, the profile page, and how people are shown."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from organisations.models import Activity
from organisations.roles import ADMIN, DEVELOPER
from tests.accounts.factories import PASSWORD, UserFactory
from tests.apps.factories import ApplicationFactory, DeploymentFactory
from tests.organisations.members_support import invitation_url, invite

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSPHRASE = "a-long-enough-passphrase"


def sign_up(client, **data):
    return client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE, **data},
    )


class TestSignUp:
    def test_the_name_is_asked_first(self, client):
        page = client.get(reverse("account_signup")).content.decode()
        assert 'name="name"' in page
        assert page.index('name="name"') < page.index('name="email"')

    @pytest.mark.parametrize("name", [None, "", "   "])
    def test_a_name_is_required(self, client, name):
        data = {} if name is None else {"name": name}
        response = sign_up(client, **data)
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert not User.objects.filter(email="newcomer@example.com").exists()

    @pytest.mark.parametrize("name", ["Ada\nLovelace", "Ada\tLovelace", "Ada\x00", "Ada\u2028Lovelace"])
    def test_a_name_is_one_line(self, client, name):
        response = sign_up(client, name=name)
        assert response.status_code == 200
        assert "single line of text" in response.content.decode()
        assert not User.objects.filter(email="newcomer@example.com").exists()

    def test_the_name_and_the_page_s_language_are_kept(self, client):
        client.post(reverse("set_language"), {"language": "fr", "next": "/"})
        response = sign_up(client, name="  Ada Lovelace ")
        assert response.status_code == 302
        user = User.objects.get(email="newcomer@example.com")
        assert (user.name, user.language, user.time_zone) == ("Ada Lovelace", "fr", "Europe/Paris")

    def test_through_an_invitation_the_name_is_asked_and_kept(self, client, organisation, member):
        _, token = invite(actor=member(ADMIN), organisation=organisation, email="invited@example.com", role=DEVELOPER)
        signup_url = client.get(invitation_url(token, "invitation_signup"))["Location"]
        data = {"email": "invited@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE}
        response = client.post(signup_url, data)
        assert response.status_code == 200 and "This field is required." in response.content.decode()
        assert not User.objects.filter(email="invited@example.com").exists()
        client.post(signup_url, {**data, "name": "Grace Hopper"}, follow=True)
        user = User.objects.get(email="invited@example.com")
        assert user.name == "Grace Hopper"
        assert user.memberships.filter(organisation=organisation).exists()


class TestProfile:
    url = "/account/profile/"

    def test_anonymous_visitors_are_sent_to_sign_in(self, client):
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert client.post(self.url, {"name": "X", "language": "fr", "time_zone": "UTC"}).status_code == 302

    def test_the_page_is_linked_from_the_user_menu_and_links_to_the_account_pages(self, client):
        client.force_login(UserFactory())
        home = client.get("/", follow=True).content.decode()
        assert f'href="{self.url}"' in home
        page = client.get(self.url).content.decode()
        for name in ("account_email", "account_change_password", "mfa_index"):
            assert f'href="{reverse(name)}"' in page

    def test_name_language_and_time_zone_change_and_the_next_pages_follow(self, client, organisation, member):
        admin = member(ADMIN)
        Activity.objects.create(
            organisation=organisation,
            organisation_name=organisation.name,
            actor=admin,
            actor_label=admin.email,
            verb="organisation.updated",
            created_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        )
        client.force_login(admin)
        response = client.post(self.url, {"name": "Ada Lovelace", "language": "fr", "time_zone": "Asia/Tokyo"})
        assert response.status_code == 302
        admin.refresh_from_db()
        assert (admin.name, admin.language, admin.time_zone) == ("Ada Lovelace", "fr", "Asia/Tokyo")
        page = client.get(reverse("organisations:activity", kwargs={"slug": organisation.slug}))
        html = page.content.decode()
        assert page["Content-Language"] == "fr"
        assert '<html lang="fr">' in html and "Activité" in html
        assert "21:00" in html and "12:00" not in html  # noon UTC is 21:00 in Tokyo
        assert "Asia/Tokyo" in html  # the zone is named where times are shown
        assert "Ada Lovelace" in html  # the person's name: in the page shell and the entry's "Who"

    def test_the_language_follows_the_person_whatever_the_browser_says(self, client):
        client.force_login(UserFactory(language="fr"))
        page = client.get(self.url, headers={"accept-language": "en"})
        assert '<html lang="fr">' in page.content.decode()

    def test_the_language_switcher_keeps_a_signed_in_person_s_choice(self, client):
        user = UserFactory(language="en")
        client.force_login(user)
        client.post(reverse("set_language"), {"language": "fr", "next": self.url})
        user.refresh_from_db()
        assert user.language == "fr"
        assert '<html lang="fr">' in client.get(self.url).content.decode()

    def test_signed_out_the_language_switcher_still_works(self, client):
        client.post(reverse("set_language"), {"language": "fr", "next": "/"})
        assert '<html lang="fr">' in client.get(reverse("account_login")).content.decode()

    @pytest.mark.parametrize(
        "data",
        [
            {"name": "Ada", "language": "en", "time_zone": "Mars/Olympus_Mons"},
            {"name": "Ada", "language": "en", "time_zone": "../../etc/passwd"},
            {"name": "Ada", "language": "xx", "time_zone": "UTC"},
            {"name": "Ada\r\nBcc: x@example.com", "language": "en", "time_zone": "UTC"},
            {"name": "Ada\x1b[31m", "language": "en", "time_zone": "UTC"},
            {"name": "", "language": "en", "time_zone": "UTC"},
            {"name": "A" * 151, "language": "en", "time_zone": "UTC"},
        ],
    )
    def test_bad_input_is_a_form_error(self, client, data):
        user = UserFactory(name="Before")
        client.force_login(user)
        response = client.post(self.url, data)
        assert response.status_code == 200
        assert "field__error" in response.content.decode()
        user.refresh_from_db()
        assert (user.name, user.time_zone) == ("Before", "Europe/Paris")
        # A rejected name is not shown in the page shell either.
        assert "<summary>Before</summary>" in response.content.decode()


class TestPeopleAreShownByName:
    def test_a_member_without_a_name_is_shown_by_their_email(self, client, organisation, member):
        admin = member(ADMIN, user=UserFactory(name="Ada Lovelace"))
        nameless = member(DEVELOPER, user=UserFactory(name="", email="nameless@example.com"))
        client.force_login(admin)
        html = client.get(reverse("organisations:members", kwargs={"slug": organisation.slug})).content.decode()
        assert f"<td>{nameless.email}</td>" in html  # the email column
        assert f"<td>{nameless.email}" in html.replace(f"<td>{nameless.email}</td>", "", 1)  # and the name column
        assert "<td>—" not in html
        assert f"<td>{admin.name}" in html

    def test_who_did_what_is_named_the_same_way(self, client, organisation, member):
        admin = member(ADMIN, user=UserFactory(name="Ada Lovelace"))
        nameless = member(DEVELOPER, user=UserFactory(name="", email="nameless@example.com"))
        application = ApplicationFactory(organisation=organisation)
        DeploymentFactory(application=application, author=admin, author_label=admin.email)
        DeploymentFactory(application=application, author=nameless, author_label=nameless.email)
        DeploymentFactory(application=application, author=None, author_label="gone@example.com")
        for actor, label in ((admin, admin.email), (nameless, nameless.email), (None, "gone@example.com")):
            Activity.objects.create(
                organisation=organisation,
                organisation_name=organisation.name,
                actor=actor,
                actor_label=label,
                verb="organisation.updated",
            )
        client.force_login(admin)
        kwargs = {"slug": organisation.slug, "pk": application.pk}
        deployments = client.get(reverse("apps:deployments", kwargs=kwargs)).content.decode()
        activity = client.get(reverse("organisations:activity", kwargs={"slug": organisation.slug})).content.decode()
        for html in (deployments, activity):
            # The name of who has one, the email of who has none, the label kept of an account gone.
            for shown in (admin.name, nameless.email, "gone@example.com"):
                assert f"<td>{shown}</td>" in html, shown
            assert f"<td>{admin.email}</td>" not in html

    def test_the_menu_shows_the_email_of_a_person_without_a_name(self, client):
        client.force_login(UserFactory(name="", email="nameless@example.com"))
        assert "<summary>nameless@example.com</summary>" in client.get("/account/profile/").content.decode()


def test_platform_staff_see_the_language_and_zone_in_the_admin(client):
    person = UserFactory(language="fr", time_zone="Asia/Tokyo")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:accounts_user_change", args=[person.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="language"' in html and 'name="time_zone"' in html
    assert '<option value="Asia/Tokyo" selected>' in html


@pytest.mark.parametrize(("name", "shown"), [("Ada Lovelace", "Ada Lovelace"), ("", "ada@example.com")])
def test_allauth_names_people_as_the_console_does(client, name, shown):
    UserFactory(email="ada@example.com", name=name)
    response = client.post(reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD}, follow=True)
    assert f"Successfully signed in as {shown}." in response.content.decode()
