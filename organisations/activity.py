"""The activity log's one writer. Every service that changes an organisation calls ``activity_record``."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Activity, Organisation
from .roles import Right

# How each kind of entry reads in the log; the stored verb stays stable and machine-readable (CSV, filters).
VERB_LABELS = {
    "organisation.created": _("Created the organisation"),
    "organisation.updated": _("Changed the organisation's settings"),
    "organisation.deleted": _("Deleted the organisation"),
    "organisation.two_factor_changed": _("Changed the two-factor requirement"),
    "member.added": _("Added a member"),
    "member.role_changed": _("Changed a member's role"),
    "member.removed": _("Removed a member"),
    "member.left": _("Left the organisation"),
    "member.renewed": _("Renewed a member's access"),
    "member.expired": _("A member's access expired"),
    "role.created": _("Created a role"),
    "role.updated": _("Changed a role"),
    "role.deleted": _("Deleted a role"),
    "invitation.created": _("Invited someone"),
    "invitation.resent": _("Resent an invitation"),
    "invitation.revoked": _("Revoked an invitation"),
    "invitation.declined": _("Declined an invitation"),
    "invitation.accepted": _("Accepted an invitation"),
    "application.created": _("Created an application"),
    "application.deleted": _("Deleted an application"),
    "application.scaled": _("Changed an application's scaling"),
    "application.started": _("Started an application"),
    "application.stopped": _("Stopped an application"),
    "application.restarted": _("Restarted an application"),
    "deployment.started": _("Started a deployment"),
    "deployment.succeeded": _("Deployment succeeded"),
    "deployment.failed": _("Deployment failed"),
    "variable.added": _("Added an environment variable"),
    "variable.changed": _("Changed an environment variable"),
    "variable.deleted": _("Deleted an environment variable"),
    "variables.replaced": _("Replaced the environment variables"),
    "domain.added": _("Added a domain"),
    "domain.removed": _("Removed a domain"),
    "addon.created": _("Created an add-on"),
    "addon.deleted": _("Deleted an add-on"),
    "addon.linked": _("Linked an add-on"),
    "grant.created": _("Gave access to an application"),
    "grant.changed": _("Changed access to an application"),
    "grant.revoked": _("Revoked access to an application"),
    "grant.expired": _("Access to an application expired"),
    "grant.ended_on_joining": _("Access to an application ended: the person joined the organisation"),
    "billing.profile_updated": _("Changed the billing details"),
    "billing.payment_method_added": _("Added a payment method"),
    "billing.payment_method_default": _("Changed the default payment method"),
    "billing.payment_method_removed": _("Removed a payment method"),
    "billing.invoice_issued": _("Issued an invoice"),
    "billing.invoice_paid": _("Paid an invoice"),
    "billing.invoice_status_changed": _("Changed an invoice's status"),
    "billing.payment_failed": _("A payment failed"),
    "billing.credit_granted": _("Granted a credit"),
    "billing.credit_note_issued": _("Issued a credit note"),
    "billing.bank_transfer_recorded": _("Recorded a bank transfer"),
}


# What each kind of entry (a verb's first part) is about, as the right a reader needs to see it, beside
# VIEW_ACTIVITY which opens the log: billing entries hold billing details (address, VAT number, invoice totals,
# payment results), the applications' entries their configuration. An entry of a kind missing here is shown to
# nobody.
KIND_RIGHTS: dict[str, Right] = {
    "organisation": Right.VIEW_ACTIVITY,
    "member": Right.VIEW_MEMBERS,
    "invitation": Right.VIEW_MEMBERS,
    "role": Right.VIEW_MEMBERS,
    "application": Right.VIEW_APPLICATIONS,
    "deployment": Right.VIEW_APPLICATIONS,
    "variable": Right.VIEW_APPLICATIONS,
    "variables": Right.VIEW_APPLICATIONS,
    "domain": Right.VIEW_APPLICATIONS,
    "addon": Right.VIEW_APPLICATIONS,
    "grant": Right.VIEW_APPLICATIONS,
    "billing": Right.VIEW_BILLING,
}


def verb_right(verb: str) -> Right | None:
    """The right a reader of the log needs to see the entries of ``verb``; None: nobody sees them."""
    return KIND_RIGHTS.get(verb.partition(".")[0])


def visible_verbs(rights) -> list[str]:
    """The known verbs whose entries a reader holding ``rights`` (rights or their codenames) may see, sorted."""
    held = {str(right) for right in rights}
    if Right.VIEW_ACTIVITY.value not in held:
        return []
    return sorted(verb for verb in VERB_LABELS if (right := verb_right(verb)) is not None and right.value in held)


def verb_label(verb: str) -> str:
    """The readable name of an activity verb; an unknown verb reads as itself."""
    return str(VERB_LABELS.get(verb, verb))


def activity_record(
    *,
    organisation: Organisation | None,
    actor,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Activity:
    """Record that ``actor`` did ``verb`` to ``target`` in ``organisation``."""
    entry = activity_entry(organisation=organisation, actor=actor, verb=verb, target=target, before=before, after=after)
    entry.save(force_insert=True)
    return entry


def activity_entry(
    *,
    organisation: Organisation | None,
    actor,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Activity:
    """An unsaved entry, as ``activity_record`` writes it: for services that record many at once (bulk_create)."""
    if verb_right(verb) is None or verb not in VERB_LABELS:
        # An entry nobody may read would be lost from the log: every verb is named and covered by a right above.
        raise ValueError(f"Unknown activity verb {verb!r}: add it to VERB_LABELS (and its kind to KIND_RIGHTS).")
    return Activity(
        organisation=organisation,
        organisation_name=organisation.name if organisation else "",
        actor=actor if actor is not None and actor.pk else None,
        actor_label=str(actor) if actor is not None else "",
        verb=verb,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
    )
