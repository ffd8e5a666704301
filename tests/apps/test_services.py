import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps import runtime, services
from apps.access import Capability, application_access
from apps.models import Application, ApplicationGrant, ApplicationUserObjectPermission, Deployment
from billing.models import Flavor
from organisations.access import organisation_access
from organisations.models import Activity
from organisations.roles import ADMIN

from .factories import AddonFactory, ApplicationFactory, DeploymentFactory, GrantFactory, VariableFactory

State = Application.State


@pytest.fixture
def admin(member):
    return member(ADMIN)


def make(state, organisation, deployed=True):
    application = ApplicationFactory(organisation=organisation, state=state)
    if deployed:
        DeploymentFactory(application=application)
    return application


@pytest.mark.django_db
class TestLifecycle:
    @pytest.mark.parametrize(
        ("operation", "state"),
        [
            (services.application_start, State.RUNNING),
            (services.application_start, State.DEPLOYING),
            (services.application_stop, State.STOPPED),
            (services.application_stop, State.DEPLOYING),
            (services.application_restart, State.STOPPED),
            (services.application_restart, State.DEPLOYING),
            (services.application_restart, State.FAILED),
        ],
    )
    def test_invalid_transitions_refused(self, organisation, admin, operation, state):
        application = make(state, organisation)
        with pytest.raises(ValidationError) as error:
            operation(actor=admin, application=application)
        assert error.value.code == "invalid_transition"
        application.refresh_from_db()
        assert application.state == state
        assert not Activity.objects.exists()

    def test_deploy_refused_while_deploying(self, organisation, admin):
        application = make(State.DEPLOYING, organisation)
        with pytest.raises(ValidationError):
            services.deployment_create(actor=admin, application=application, commit="abcdef1")
        assert application.deployments.count() == 1

    def test_start_needs_a_deployment(self, organisation, admin):
        application = make(State.STOPPED, organisation, deployed=False)
        with pytest.raises(ValidationError, match="Deploy the application"):
            services.application_start(actor=admin, application=application)

    @pytest.mark.parametrize(
        ("operation", "before", "after", "verb"),
        [
            (services.application_start, State.STOPPED, State.RUNNING, "application.started"),
            (services.application_start, State.FAILED, State.RUNNING, "application.started"),
            (services.application_stop, State.RUNNING, State.STOPPED, "application.stopped"),
            (services.application_stop, State.FAILED, State.STOPPED, "application.stopped"),
            (services.application_restart, State.RUNNING, State.RUNNING, "application.restarted"),
        ],
    )
    def test_valid_transitions(self, organisation, admin, operation, before, after, verb):
        application = make(before, organisation)
        operation(actor=admin, application=application)
        application.refresh_from_db()
        assert application.state == after
        entry = Activity.objects.get(verb=verb)
        assert (entry.actor, entry.before, entry.after) == (admin, {"state": before}, {"state": after})

    def test_deploy_records_deployment_and_activity(self, organisation, admin):
        application = make(State.STOPPED, organisation, deployed=False)
        deployment = services.deployment_create(actor=admin, application=application, commit="ABCDEF1234")
        application.refresh_from_db()
        assert (deployment.commit, deployment.author, deployment.status) == ("abcdef1234", admin, "succeeded")
        assert deployment.finished_at is not None
        assert application.state == State.RUNNING
        assert list(Activity.objects.order_by("id").values_list("verb", flat=True)) == [
            "deployment.started",
            "deployment.succeeded",
        ]

    def test_failed_deployment(self, organisation, admin):
        application = make(State.RUNNING, organisation)
        deployment = services.deployment_create(actor=admin, application=application, commit="bad0000")
        application.refresh_from_db()
        assert deployment.status == Deployment.Status.FAILED
        assert application.state == State.FAILED

    def test_latest_commit_when_none_given(self, organisation, admin):
        application = make(State.STOPPED, organisation, deployed=False)
        deployment = services.deployment_create(actor=admin, application=application)
        assert len(deployment.commit) == 40

    def test_an_orchestrator_that_reports_later(self, organisation, admin, settings):
        settings.APPS_ORCHESTRATOR = "tests.apps.test_services.LaterOrchestrator"
        application = make(State.RUNNING, organisation)
        deployment = services.deployment_create(actor=admin, application=application, commit="abcdef1")
        application.refresh_from_db()
        assert (deployment.status, application.state) == (Deployment.Status.RUNNING, State.DEPLOYING)
        with pytest.raises(ValidationError):
            services.application_stop(actor=admin, application=application)
        services.deployment_finish(deployment=deployment, succeeded=True)
        application.refresh_from_db()
        assert application.state == State.RUNNING
        with pytest.raises(ValidationError):
            services.deployment_finish(deployment=deployment, succeeded=False)

    def test_simulated_orchestrator_implements_the_protocol(self):
        simulated: runtime.Orchestrator = runtime.SimulatedOrchestrator()
        for name in ("latest_commit", "deploy", "start", "stop", "restart", "scale", "destroy"):
            assert callable(getattr(simulated, name))


class LaterOrchestrator(runtime.SimulatedOrchestrator):
    def deploy(self, application, commit):
        return runtime.Outcome(done=False)


class DestroyRecorder(runtime.SimulatedOrchestrator):
    destroyed: list[int] = []

    def destroy(self, application):
        self.destroyed.append(application.pk)
        return runtime.Outcome()


@pytest.mark.django_db
def test_deleting_an_application_destroys_it_once_committed(
    organisation, admin, settings, django_capture_on_commit_callbacks
):
    settings.APPS_ORCHESTRATOR = "tests.apps.test_services.DestroyRecorder"
    DestroyRecorder.destroyed = []
    application = make(State.RUNNING, organisation)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.application_delete(actor=admin, application=application, confirm_name=application.name)
    assert DestroyRecorder.destroyed == []  # no call to the orchestrator inside the transaction
    for callback in callbacks:
        callback()
    assert DestroyRecorder.destroyed == [application.pk]


@pytest.mark.django_db
class TestActivityNeverHoldsValues:
    def test_variable_changes_log_names_only(self, application, admin):
        variable = services.variable_add(actor=admin, application=application, name="TOKEN", value="first-secret")
        services.variable_update(actor=admin, variable=variable, name="TOKEN", value="second-secret")
        services.variables_replace(actor=admin, application=application, text="TOKEN=third-secret\nNEW=fourth-secret\n")
        services.variable_delete(actor=admin, variable=application.variables.get(name="NEW"))
        entries = list(Activity.objects.filter(verb__startswith="variable"))
        assert [entry.verb for entry in entries] == [
            "variable.deleted",
            "variables.replaced",
            "variable.changed",
            "variable.added",
        ]
        dumped = json.dumps([[entry.before, entry.after] for entry in entries])
        assert "secret" not in dumped
        assert "TOKEN" in dumped
        assert all(entry.target_id == str(application.pk) for entry in entries)

    def test_every_change_is_recorded_with_author(self, application, admin, organisation, other_user):
        services.application_scale(
            actor=admin, application=application, flavor=Flavor.objects.get(code="s"), min_instances=2, max_instances=4
        )
        services.domain_add(actor=admin, application=application, hostname="shop.example.com")
        services.domain_remove(actor=admin, domain=application.domains.get())
        grant = services.grant_set(actor=admin, application=application, user=other_user, level="view")
        services.grant_set(actor=admin, application=application, user=other_user, level="manage")
        services.grant_revoke(actor=admin, grant=grant)
        addon = services.addon_create(
            actor=admin, organisation=organisation, name="db", plan=AddonFactory.build().plan, region="par"
        )
        services.addon_link(actor=admin, addon=addon, applications=[application])
        services.addon_delete(actor=admin, addon=addon)
        services.application_delete(actor=admin, application=application, confirm_name="shop-front")
        verbs = list(Activity.objects.order_by("id").values_list("verb", flat=True))
        assert verbs == [
            "application.scaled",
            "domain.added",
            "domain.removed",
            "grant.created",
            "grant.changed",
            "grant.revoked",
            "addon.created",
            "addon.linked",
            "addon.deleted",
            "application.deleted",
        ]
        assert set(Activity.objects.values_list("actor", flat=True)) == {admin.pk}
        scaled = Activity.objects.get(verb="application.scaled")
        assert scaled.before == {"flavor": "xs", "min_instances": 1, "max_instances": 1}
        assert scaled.after == {"flavor": "s", "min_instances": 2, "max_instances": 4}
        assert Activity.objects.get(verb="grant.changed").after["level"] == "manage"
        assert addon.secret not in json.dumps(list(Activity.objects.values_list("after", flat=True)))


@pytest.mark.django_db
class TestGrants:
    def perms(self, user, application):
        return set(
            ApplicationUserObjectPermission.objects.filter(user=user, content_object=application).values_list(
                "permission__codename", flat=True
            )
        )

    def test_guardian_rows_follow_the_grant(self, application, admin, other_user):
        services.grant_set(actor=admin, application=application, user=other_user, level="view")
        assert self.perms(other_user, application) == {"view_application"}
        assert other_user.has_perm("apps.view_application", application)
        grant = services.grant_set(actor=admin, application=application, user=other_user, level="manage")
        assert self.perms(other_user, application) == {"view_application", "deploy_application", "manage_application"}
        services.grant_set(actor=admin, application=application, user=other_user, level="deploy")
        assert self.perms(other_user, application) == {"view_application", "deploy_application"}
        assert ApplicationGrant.objects.count() == 1
        services.grant_revoke(actor=admin, grant=grant)
        assert self.perms(other_user, application) == set()
        assert not ApplicationGrant.objects.exists()

    def test_rows_go_with_the_application(self, application, other_user):
        GrantFactory(application=application, user=other_user)
        application.delete()
        assert not ApplicationUserObjectPermission.objects.exists()

    @pytest.mark.parametrize(
        ("level", "capabilities"),
        [
            ("view", {Capability.VIEW}),
            ("deploy", {Capability.VIEW, Capability.DEPLOY, Capability.OPERATE}),
            ("manage", {Capability.VIEW, Capability.DEPLOY, Capability.OPERATE, Capability.CONFIGURE}),
        ],
    )
    def test_levels(self, application, other_user, level, capabilities):
        GrantFactory(application=application, user=other_user, level=level)
        access = organisation_access(user=other_user, slug="acme", allow_grantees=True)
        assert not access.is_member and access.rights == frozenset()
        assert application_access(
            user=other_user, organisation_access=access, application=application
        ).capabilities == (capabilities)

    def test_expired_grants_are_purged(self, application, admin, other_user, time_machine):
        time_machine.move_to(timezone.now())
        services.grant_set(
            actor=admin,
            application=application,
            user=other_user,
            level="view",
            expires_at=timezone.now() + timedelta(hours=1),
        )
        assert services.grants_expire() == 0
        time_machine.shift(timedelta(hours=2))
        assert services.grants_expire() == 1
        assert not ApplicationGrant.objects.exists()
        assert not ApplicationUserObjectPermission.objects.exists()
        assert Activity.objects.filter(verb="grant.expired").exists()

    def test_expiry_in_the_past_refused(self, application, admin, other_user):
        with pytest.raises(ValidationError):
            services.grant_set(
                actor=admin,
                application=application,
                user=other_user,
                level="view",
                expires_at=timezone.now() - timedelta(minutes=1),
            )
        assert not ApplicationGrant.objects.exists()


@pytest.mark.django_db
class TestAddonVariables:
    def test_linked_addon_exposes_read_only_variables(self, client, application, organisation, member):
        addon = AddonFactory(organisation=organisation, name="shop-db")
        addon.applications.add(application)
        VariableFactory(application=application, name="OWN")
        client.force_login(member(ADMIN))
        from .test_views import app_url

        page = client.get(app_url(application, "variables")).content.decode()
        assert "POSTGRESQL_ADDON_URI" in page and "shop-db" in page
        assert addon.secret not in page
        revealed = client.get(app_url(application, "variables") + "?reveal=POSTGRESQL_ADDON_PASSWORD").content.decode()
        assert addon.secret in revealed
        # Not editable: the add-on's variables are not application variables.
        assert not application.variables.filter(name__startswith="POSTGRESQL").exists()
