"""
Every change to applications, add-ons and per-application access. Each function is one transaction and records an
activity entry (variable values are never recorded: names only).

The views have checked the actor's capability (403/404 otherwise); these functions enforce the rules a capability
cannot express: valid names and bounds, uniqueness, the lifecycle's transitions.
"""

import secrets
from datetime import datetime

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import AddonPlan, Flavor
from organisations.activity import activity_record
from organisations.models import Invitation, Membership, Organisation
from organisations.services import invitation_create

from . import validators
from .access import LEVEL_PERMISSIONS
from .models import (
    MAX_INSTANCES,
    Addon,
    Application,
    ApplicationGrant,
    ApplicationUserObjectPermission,
    Deployment,
    Domain,
    EnvironmentVariable,
)
from .runtime import ACTION_LABELS, Action, allowed, orchestrator

State = Application.State


def _lock(application: Application) -> Application:
    """Lock the application's row: lifecycle changes run one at a time."""
    return Application.objects.select_for_update().select_related("organisation", "flavor").get(pk=application.pk)


def _record(*, actor, application: Application, verb: str, before=None, after=None) -> None:
    activity_record(
        organisation=application.organisation, actor=actor, verb=verb, target=application, before=before, after=after
    )


def _check_scaling(*, flavor: Flavor, min_instances: int, max_instances: int) -> None:
    errors = {}
    if not flavor.is_active:
        errors["flavor"] = _("This flavor is no longer offered.")
    for field, value in (("min_instances", min_instances), ("max_instances", max_instances)):
        if not 1 <= value <= MAX_INSTANCES:
            errors[field] = _("Between 1 and %(max)d instances.") % {"max": MAX_INSTANCES}
    if "max_instances" not in errors and "min_instances" not in errors and min_instances > max_instances:
        errors["max_instances"] = _("The maximum must be at least the minimum.")
    if errors:
        raise ValidationError(errors)


def _scaling_snapshot(application: Application) -> dict:
    return {
        "flavor": application.flavor.code,
        "min_instances": application.min_instances,
        "max_instances": application.max_instances,
    }


# Applications


@transaction.atomic
def application_create(
    *,
    actor,
    organisation: Organisation,
    name: str,
    runtime: str,
    region: str,
    flavor: Flavor,
    min_instances: int = 1,
    max_instances: int = 1,
    description: str = "",
) -> Application:
    """Create a stopped application; it runs once deployed."""
    try:
        validators.validate_resource_name(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from error
    if runtime not in Application.Runtime.values:
        raise ValidationError({"runtime": _("Choose a runtime from the list.")})
    if region not in Application.Region.values:
        raise ValidationError({"region": _("Choose a region from the list.")})
    _check_scaling(flavor=flavor, min_instances=min_instances, max_instances=max_instances)
    if Application.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationError(
            {"name": _("This organisation already has an application named %(name)s.") % {"name": name}}
        )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                organisation=organisation,
                name=name,
                description=description,
                runtime=runtime,
                region=region,
                flavor=flavor,
                min_instances=min_instances,
                max_instances=max_instances,
            )
    except IntegrityError as error:  # a concurrent creation with the same name
        raise ValidationError(
            {"name": _("This organisation already has an application named %(name)s.") % {"name": name}}
        ) from error
    _record(
        actor=actor,
        application=application,
        verb="application.created",
        after={"name": name, "runtime": runtime, "region": region, **_scaling_snapshot(application)},
    )
    return application


@transaction.atomic
def application_scale(
    *, actor, application: Application, flavor: Flavor, min_instances: int, max_instances: int
) -> Application:
    """Change the application's flavor and instance bounds."""
    _check_scaling(flavor=flavor, min_instances=min_instances, max_instances=max_instances)
    application = _lock(application)
    before = _scaling_snapshot(application)
    application.flavor, application.min_instances, application.max_instances = flavor, min_instances, max_instances
    application.save(update_fields=["flavor", "min_instances", "max_instances"])
    after = _scaling_snapshot(application)
    if before != after:
        orchestrator().scale(application)
        _record(actor=actor, application=application, verb="application.scaled", before=before, after=after)
    return application


@transaction.atomic
def application_delete(*, actor, application: Application, confirm_name: str) -> None:
    """Delete the application once its exact name has been typed."""
    if confirm_name != application.name:
        raise ValidationError({"confirm_name": _("Type the application's name exactly to confirm.")})
    application = _lock(application)
    _record(
        actor=actor,
        application=application,
        verb="application.deleted",
        before={"name": application.name, "state": application.state},
    )
    _destroy_after_commit([application])
    try:
        with transaction.atomic():
            application.delete()
    except ProtectedError as error:  # e.g. billing records that must outlive it
        raise ValidationError(_("This application cannot be deleted while records depend on it.")) from error


def _destroy_after_commit(applications: list[Application]) -> None:
    """Have the orchestrator destroy ``applications`` from background tasks once the deletion has committed: no call
    to it inside the transaction, and none for a deletion that rolls back (their rows are gone by then: described)."""
    from .tasks import application_destroy

    described = [
        {
            "application_id": application.pk,
            "organisation_id": application.organisation_id,
            "name": application.name,
            "region": application.region,
            "runtime": application.runtime,
        }
        for application in applications
    ]

    def destroy() -> None:
        for description in described:
            application_destroy.enqueue(**description)

    transaction.on_commit(destroy, robust=True)


@transaction.atomic
def organisation_resources_delete(*, actor, organisation: Organisation) -> None:
    """Delete the organisation's add-ons and applications (with everything under them), for its deletion; the
    orchestrator destroys the applications once the deletion has committed."""
    applications = list(Application.objects.select_for_update().filter(organisation=organisation).order_by("pk"))
    Addon.objects.filter(organisation=organisation).delete()
    Application.objects.filter(pk__in=[application.pk for application in applications]).delete()
    _destroy_after_commit(applications)


VERBS = {
    Action.START: "application.started",
    Action.STOP: "application.stopped",
    Action.RESTART: "application.restarted",
}


def _refuse(action: Action, application: Application) -> None:
    raise ValidationError(
        _("Cannot %(action)s the application while it is %(state)s.")
        % {"action": ACTION_LABELS[action], "state": application.get_state_display().lower()},
        code="invalid_transition",
    )


def _operate(*, actor, application: Application, action: Action, target_state: str) -> Application:
    application = _lock(application)
    if not allowed(action, application.state):
        _refuse(action, application)
    if action == Action.START and not application.deployments.filter(status=Deployment.Status.SUCCEEDED).exists():
        raise ValidationError(_("Deploy the application before starting it."), code="never_deployed")
    before = application.state
    outcome = getattr(orchestrator(), action.value)(application)
    application.state = target_state if outcome.succeeded else State.FAILED
    application.save(update_fields=["state"])
    _record(
        actor=actor,
        application=application,
        verb=VERBS[action],
        before={"state": before},
        after={"state": application.state},
    )
    return application


@transaction.atomic
def application_start(*, actor, application: Application) -> Application:
    """Start a stopped (or failed) application on its last successful deployment."""
    return _operate(actor=actor, application=application, action=Action.START, target_state=State.RUNNING)


@transaction.atomic
def application_stop(*, actor, application: Application) -> Application:
    """Stop a running (or failed) application."""
    return _operate(actor=actor, application=application, action=Action.STOP, target_state=State.STOPPED)


@transaction.atomic
def application_restart(*, actor, application: Application) -> Application:
    """Restart a running application."""
    return _operate(actor=actor, application=application, action=Action.RESTART, target_state=State.RUNNING)


# Deployments


@transaction.atomic
def deployment_create(*, actor, application: Application, commit: str = "", redeploy_of: Deployment | None = None):
    """Deploy ``commit`` (the repository's latest when empty); refused while another deployment runs."""
    application = _lock(application)
    runtime = orchestrator()
    commit = commit.strip().lower() or runtime.latest_commit(application)
    try:
        validators.validate_commit(commit)
    except ValidationError as error:
        raise ValidationError({"commit": error.messages}) from error
    if not allowed(Action.DEPLOY, application.state):
        _refuse(Action.DEPLOY, application)
    before = application.state
    deployment = Deployment.objects.create(
        application=application,
        commit=commit,
        author=actor,
        author_label=str(actor) if actor else "",
        redeploy_of=redeploy_of,
    )
    application.state = State.DEPLOYING
    application.save(update_fields=["state"])
    _record(
        actor=actor,
        application=application,
        verb="deployment.started",
        before={"state": before},
        after={"commit": commit, "redeploy_of": redeploy_of.commit if redeploy_of else None},
    )
    outcome = runtime.deploy(application, commit)
    if outcome.done:
        deployment = _deployment_finish(deployment=deployment, application=application, succeeded=outcome.succeeded)
    return deployment


@transaction.atomic
def deployment_redeploy(*, actor, deployment: Deployment) -> Deployment:
    """Deploy again the commit of an earlier deployment."""
    return deployment_create(
        actor=actor, application=deployment.application, commit=deployment.commit, redeploy_of=deployment
    )


def _deployment_finish(*, deployment: Deployment, application: Application, succeeded: bool) -> Deployment:
    deployment.status = Deployment.Status.SUCCEEDED if succeeded else Deployment.Status.FAILED
    deployment.finished_at = timezone.now()
    deployment.save(update_fields=["status", "finished_at"])
    application.state = State.RUNNING if succeeded else State.FAILED
    application.save(update_fields=["state"])
    _record(
        actor=None,
        application=application,
        verb="deployment.succeeded" if succeeded else "deployment.failed",
        before={"state": State.DEPLOYING},
        after={"commit": deployment.commit, "state": application.state},
    )
    return deployment


@transaction.atomic
def deployment_finish(*, deployment: Deployment, succeeded: bool) -> Deployment:
    """What an orchestrator calls when a deployment it accepted is over."""
    application = _lock(deployment.application)
    deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if deployment.status != Deployment.Status.RUNNING:
        raise ValidationError(_("This deployment is already over."), code="invalid_transition")
    return _deployment_finish(deployment=deployment, application=application, succeeded=succeeded)


# Environment variables


def _check_variable(name: str, value: str) -> None:
    errors = {}
    for field, check in (
        ("name", lambda: validators.validate_variable_name(name)),
        ("value", lambda: validators.validate_variable_value(value, name)),
    ):
        try:
            check()
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def variable_add(*, actor, application: Application, name: str, value: str) -> EnvironmentVariable:
    """Add an environment variable; its value is never recorded in the activity log."""
    _check_variable(name, value)
    application = _lock(application)
    if application.variables.filter(name=name).exists():
        raise ValidationError({"name": _("%(name)s already exists: edit it instead.") % {"name": name}})
    if application.variables.count() >= validators.MAX_VARIABLES:
        raise ValidationError(_("An application has at most %(max)d variables.") % {"max": validators.MAX_VARIABLES})
    variable = EnvironmentVariable.objects.create(application=application, name=name, value=value)
    _record(actor=actor, application=application, verb="variable.added", after={"name": name})
    return variable


@transaction.atomic
def variable_update(*, actor, variable: EnvironmentVariable, name: str, value: str) -> EnvironmentVariable:
    """Rename a variable or change its value."""
    _check_variable(name, value)
    application = _lock(variable.application)
    if name != variable.name and application.variables.filter(name=name).exists():
        raise ValidationError({"name": _("%(name)s already exists.") % {"name": name}})
    before = {"name": variable.name, "value_changed": False}
    after = {"name": name, "value_changed": value != variable.value}
    if before["name"] == name and not after["value_changed"]:
        return variable
    variable.name, variable.value, variable.updated_at = name, value, timezone.now()
    variable.save(update_fields=["name", "value", "updated_at"])
    _record(actor=actor, application=application, verb="variable.changed", before=before, after=after)
    return variable


@transaction.atomic
def variable_delete(*, actor, variable: EnvironmentVariable) -> None:
    application = _lock(variable.application)
    variable.delete()
    _record(actor=actor, application=application, verb="variable.deleted", before={"name": variable.name})


@transaction.atomic
def variables_replace(*, actor, application: Application, text: str) -> dict[str, list[str]]:
    """Make the application's variables exactly those of ``text`` (``NAME=value`` lines)."""
    wanted = validators.parse_variables(text)
    application = _lock(application)
    current = {variable.name: variable for variable in application.variables.all()}
    added = sorted(set(wanted) - set(current))
    removed = sorted(set(current) - set(wanted))
    changed = sorted(name for name in set(wanted) & set(current) if wanted[name] != current[name].value)
    now = timezone.now()
    EnvironmentVariable.objects.filter(application=application, name__in=removed).delete()
    EnvironmentVariable.objects.bulk_create(
        EnvironmentVariable(application=application, name=name, value=wanted[name], updated_at=now) for name in added
    )
    for name in changed:
        current[name].value, current[name].updated_at = wanted[name], now
    EnvironmentVariable.objects.bulk_update([current[name] for name in changed], ["value", "updated_at"])
    summary = {"added": added, "changed": changed, "removed": removed}
    if added or changed or removed:
        _record(actor=actor, application=application, verb="variables.replaced", after=summary)
    return summary


# Domains


@transaction.atomic
def domain_add(*, actor, application: Application, hostname: str) -> Domain:
    """Route ``hostname`` to the application; a hostname belongs to one application on the whole platform."""
    hostname = validators.normalise_hostname(hostname)
    try:
        validators.validate_hostname(hostname)
    except ValidationError as error:
        raise ValidationError({"hostname": error.messages}) from error
    taken = _("%(hostname)s is already used by an application.") % {"hostname": hostname}
    if Domain.objects.filter(hostname=hostname).exists():
        raise ValidationError({"hostname": taken})
    application = _lock(application)
    try:
        with transaction.atomic():
            domain = Domain.objects.create(application=application, hostname=hostname)
    except IntegrityError as error:
        raise ValidationError({"hostname": taken}) from error
    _record(actor=actor, application=application, verb="domain.added", after={"hostname": hostname})
    return domain


@transaction.atomic
def domain_remove(*, actor, domain: Domain) -> None:
    application = _lock(domain.application)
    domain.delete()
    _record(actor=actor, application=application, verb="domain.removed", before={"hostname": domain.hostname})


# Add-ons


@transaction.atomic
def addon_create(*, actor, organisation: Organisation, name: str, plan: AddonPlan, region: str) -> Addon:
    """Provision an add-on with a generated secret."""
    try:
        validators.validate_resource_name(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from error
    if not plan.is_active:
        raise ValidationError({"plan": _("This plan is no longer offered.")})
    if region not in Application.Region.values:
        raise ValidationError({"region": _("Choose a region from the list.")})
    taken = _("This organisation already has an add-on named %(name)s.") % {"name": name}
    if Addon.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationError({"name": taken})
    try:
        with transaction.atomic():
            addon = Addon.objects.create(
                organisation=organisation, name=name, plan=plan, region=region, secret=secrets.token_urlsafe(24)
            )
    except IntegrityError as error:
        raise ValidationError({"name": taken}) from error
    activity_record(
        organisation=organisation,
        actor=actor,
        verb="addon.created",
        target=addon,
        after={"name": name, "kind": plan.kind, "plan": plan.code, "region": region},
    )
    return addon


@transaction.atomic
def addon_delete(*, actor, addon: Addon) -> None:
    before = {"name": addon.name, "kind": addon.plan.kind, "plan": addon.plan.code}
    activity_record(organisation=addon.organisation, actor=actor, verb="addon.deleted", target=addon, before=before)
    try:
        with transaction.atomic():
            addon.delete()
    except ProtectedError as error:
        raise ValidationError(_("This add-on cannot be deleted while records depend on it.")) from error


@transaction.atomic
def addon_link(*, actor, addon: Addon, applications) -> Addon:
    """Make ``applications`` (of the add-on's organisation) exactly those linked to the add-on."""
    applications = list(applications)
    if any(application.organisation_id != addon.organisation_id for application in applications):
        raise ValidationError({"applications": _("Choose applications of this organisation.")})
    before = sorted(addon.applications.values_list("name", flat=True))
    addon.applications.set(applications)
    after = sorted(application.name for application in applications)
    if before != after:
        activity_record(
            organisation=addon.organisation,
            actor=actor,
            verb="addon.linked",
            target=addon,
            before={"applications": before},
            after={"applications": after},
        )
    return addon


# Per-application access


def grant_sync_permissions(grant: ApplicationGrant) -> None:
    """Make the grantee's guardian permissions on the application those of the grant's level, and only those."""
    ApplicationUserObjectPermission.objects.filter(
        user_id=grant.user_id, content_object_id=grant.application_id
    ).delete()
    permissions = Permission.objects.filter(
        content_type__app_label="apps",
        content_type__model="application",
        codename__in=LEVEL_PERMISSIONS[grant.level],
    )
    ApplicationUserObjectPermission.objects.bulk_create(
        ApplicationUserObjectPermission(
            user_id=grant.user_id, content_object_id=grant.application_id, permission=permission
        )
        for permission in permissions
    )


def _grant_snapshot(grant: ApplicationGrant) -> dict:
    return {
        "user": grant.user.email,
        "level": grant.level,
        "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
    }


def _check_grant(*, level: str, expires_at: datetime | None) -> None:
    if level not in ApplicationGrant.Level.values:
        raise ValidationError({"level": _("Choose view, deploy or manage.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})


def member_grant_refused(*, email: str) -> ValidationError:
    """Why a member of the organisation is given no grant on its applications."""
    return ValidationError(
        {
            "email": _(
                "%(email)s is a member of this organisation: their access to its applications comes from their "
                "role. Access to one application is for people outside the organisation."
            )
            % {"email": email}
        }
    )


@transaction.atomic
def grant_set(
    *, actor, application: Application, user, level: str, expires_at: datetime | None = None
) -> ApplicationGrant:
    """Give ``user`` ``level`` on the application (or change the level and expiry they have); ``user`` must be outside
    the application's organisation."""
    _check_grant(level=level, expires_at=expires_at)
    application = _lock(application)
    if Membership.objects.active().filter(organisation_id=application.organisation_id, user=user).exists():
        raise member_grant_refused(email=user.email)
    grant = ApplicationGrant.objects.select_for_update().filter(application=application, user=user).first()
    before = _grant_snapshot(grant) if grant else None
    if grant is None:
        grant = ApplicationGrant(application=application, user=user)
    grant.level, grant.expires_at, grant.granted_by = level, expires_at, actor
    grant.save()
    grant_sync_permissions(grant)
    after = _grant_snapshot(grant)
    if before != after:
        _record(
            actor=actor,
            application=application,
            verb="grant.changed" if before else "grant.created",
            before=before,
            after=after,
        )
    return grant


@transaction.atomic
def grant_by_email(
    *, actor, application: Application, email: str, level: str, base_url: str, expires_at: datetime | None = None
) -> Invitation:
    """Invite ``email`` to the application with ``level``: the grant exists once they accept.

    Whether the address has an account or not, the same happens (an invitation of the organisation: single use, bound
    to the address, 7 days, rate-limited like those to join), so the answer tells the granter nothing about accounts.
    """
    _check_grant(level=level, expires_at=expires_at)
    return invitation_create(
        actor=actor,
        organisation=application.organisation,
        email=email,
        role="",
        base_url=base_url,
        application=application,
        application_level=level,
        access_expires_at=expires_at,
    )


@transaction.atomic
def grants_end_on_joining(*, actor, membership: Membership) -> None:
    """End the grants the new member held on the organisation's applications: their access now comes from their
    role."""
    grants = ApplicationGrant.objects.filter(
        user_id=membership.user_id, application__organisation_id=membership.organisation_id
    ).select_related("user", "application__organisation")
    for grant in grants:
        ApplicationUserObjectPermission.objects.filter(
            user_id=grant.user_id, content_object_id=grant.application_id
        ).delete()
        grant.delete()
        _record(
            actor=actor, application=grant.application, verb="grant.ended_on_joining", before=_grant_snapshot(grant)
        )


@transaction.atomic
def grant_revoke(*, actor, grant: ApplicationGrant) -> None:
    """End a grant at once: the row and its guardian permissions go together."""
    application = _lock(grant.application)
    before = _grant_snapshot(grant)
    ApplicationUserObjectPermission.objects.filter(
        user_id=grant.user_id, content_object_id=grant.application_id
    ).delete()
    grant.delete()
    _record(actor=actor, application=application, verb="grant.revoked", before=before)


@transaction.atomic
def grants_expire(*, now: datetime | None = None) -> int:
    """Delete expired grants and their guardian permissions (they already give nothing); the number deleted."""
    now = now or timezone.now()
    expired = list(
        ApplicationGrant.objects.filter(expires_at__lte=now).select_related("user", "application__organisation")
    )
    for grant in expired:
        ApplicationUserObjectPermission.objects.filter(
            user_id=grant.user_id, content_object_id=grant.application_id
        ).delete()
        grant.delete()
        _record(actor=None, application=grant.application, verb="grant.expired", before=_grant_snapshot(grant))
    return len(expired)
