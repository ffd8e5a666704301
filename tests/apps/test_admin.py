import pytest
from django.urls import reverse

from apps.models import Application, ApplicationGrant, ApplicationUserObjectPermission
from organisations.models import Activity
from tests.accounts.factories import UserFactory

from .factories import AddonFactory, GrantFactory, VariableFactory


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
class TestAdmin:
    def test_pages_load_without_variable_values(self, staff_client, application, organisation, other_user):
        VariableFactory(application=application, name="TOKEN", value="never-shown-in-admin")
        grant = GrantFactory(application=application, user=other_user)
        addon = AddonFactory(organisation=organisation)
        for url in [
            reverse("admin:apps_application_changelist") + "?q=shop",
            reverse("admin:apps_application_change", args=[application.pk]),
            reverse("admin:apps_addon_changelist"),
            reverse("admin:apps_addon_change", args=[addon.pk]),
            reverse("admin:apps_applicationgrant_changelist"),
            reverse("admin:apps_applicationgrant_change", args=[grant.pk]),
            reverse("admin:apps_applicationgrant_add"),
        ]:
            response = staff_client.get(url)
            assert response.status_code == 200, url
            assert "never-shown-in-admin" not in response.content.decode()

    def test_grant_through_the_services(self, staff_client, application, other_user):
        response = staff_client.post(
            reverse("admin:apps_applicationgrant_add"),
            {"application": application.pk, "user": other_user.pk, "level": "deploy"},
        )
        assert response.status_code == 302
        grant = ApplicationGrant.objects.get()
        codenames = set(
            ApplicationUserObjectPermission.objects.filter(user=other_user).values_list(
                "permission__codename", flat=True
            )
        )
        assert codenames == {"view_application", "deploy_application"}
        staff_client.post(reverse("admin:apps_applicationgrant_delete", args=[grant.pk]), {"post": "yes"})
        assert not ApplicationGrant.objects.exists()
        assert not ApplicationUserObjectPermission.objects.exists()
        assert list(Activity.objects.order_by("id").values_list("verb", flat=True)) == [
            "grant.created",
            "grant.revoked",
        ]

    def test_staff_cannot_grant_to_a_member(self, staff_client, application, member):
        accountant = member("ACCOUNTING")
        response = staff_client.post(
            reverse("admin:apps_applicationgrant_add"),
            {"application": application.pk, "user": accountant.pk, "level": "manage"},
            follow=True,
        )
        assert "their access to its applications comes from their role" in response.content.decode()
        assert not ApplicationGrant.objects.exists()
        assert not ApplicationUserObjectPermission.objects.exists()

    def test_delete_application_through_the_services(self, staff_client, application):
        staff_client.post(reverse("admin:apps_application_delete", args=[application.pk]), {"post": "yes"})
        assert not Application.objects.filter(pk=application.pk).exists()
        assert Activity.objects.filter(verb="application.deleted").exists()
