"""Deleting an organisation: refused while billing is not settled; otherwise its people, applications and add-ons go
(the applications destroyed by the orchestrator after the commit) and its invoices, usage and log stay."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.models import Addon, Application, ApplicationGrant, ApplicationUserObjectPermission, Domain
from apps.runtime import Outcome, SimulatedOrchestrator
from billing import services as billing_services
from billing.models import BillingProfile, Credit, Invoice, PaymentMethod, UsageRecord
from organisations import services
from organisations.models import (
    Activity,
    Invitation,
    Membership,
    Organisation,
    OrganisationGroupObjectPermission,
    OrganisationUserObjectPermission,
    Role,
)
from organisations.roles import ADMIN, DEVELOPER, MANAGER
from tests.apps.factories import AddonFactory, ApplicationFactory, DomainFactory, GrantFactory, VariableFactory
from tests.billing.factories import BillingProfileFactory, CardFactory, usage_of
from tests.organisations.members_support import BASE_URL, reauthenticate

NOVEMBER = date(2026, 11, 1)


class RecordingOrchestrator(SimulatedOrchestrator):
    """Remembers which applications it was asked to destroy."""

    destroyed: list[tuple[int, str]] = []

    def destroy(self, application):
        self.destroyed.append((application.pk, application.name))
        return Outcome()


@pytest.fixture(autouse=True)
def orchestrator(settings, time_machine):
    time_machine.move_to("2026-12-15 10:00 +01:00")  # November invoiced, nothing used in December yet
    settings.APPS_ORCHESTRATOR = f"{__name__}.RecordingOrchestrator"
    RecordingOrchestrator.destroyed = []
    return RecordingOrchestrator


@pytest.fixture
def admin(member):
    return member(ADMIN)


@pytest.fixture
def world(organisation, admin, member):
    """Acme with people, an application with everything under it, an add-on, billing, and November invoiced."""
    member(DEVELOPER)
    application = ApplicationFactory(organisation=organisation, name="shop-front", state=Application.State.RUNNING)
    VariableFactory(application=application)
    DomainFactory(application=application)
    GrantFactory(application=application, level="deploy")
    addon = AddonFactory(organisation=organisation, name="shop-db")
    services.invitation_create(
        actor=admin, organisation=organisation, email="new@example.com", role=DEVELOPER, base_url=BASE_URL
    )
    CardFactory(organisation=organisation)
    BillingProfileFactory(organisation=organisation)
    Credit.objects.create(organisation=organisation, kind="prepaid", label="Prepaid", amount=5, remaining=5)
    for day in range(1, 31):
        usage_of(application, date(2026, 11, day), 24)
        usage_of(addon, date(2026, 11, day), 24)
    invoice = billing_services.invoice_issue(organisation=organisation, month=NOVEMBER, notify=False)
    return {"application": application, "addon": addon, "invoice": invoice}


def set_status(invoice, status):
    Invoice.objects.filter(pk=invoice.pk).update(status=status)


def delete(organisation, actor):
    services.organisation_delete(actor=actor, organisation=organisation, confirm_name=organisation.name)


def assert_untouched(organisation):
    organisation.refresh_from_db()
    assert not organisation.is_deleted
    assert organisation.memberships.count() == 2
    assert Application.objects.filter(organisation=organisation).exists()
    assert Addon.objects.filter(organisation=organisation).exists()
    assert PaymentMethod.objects.filter(organisation=organisation).exists()
    assert not Activity.objects.filter(verb="organisation.deleted").exists()
    assert RecordingOrchestrator.destroyed == []


# The service


@pytest.mark.parametrize("status", sorted(Invoice.OPEN_STATUSES))
def test_an_invoice_awaiting_payment_blocks_the_deletion(organisation, admin, world, status):
    set_status(world["invoice"], status)
    with pytest.raises(ValidationError, match=f"Invoices not paid yet: {world['invoice'].number}\\."):
        delete(organisation, admin)
    assert_untouched(organisation)


@pytest.mark.parametrize("status", sorted(set(Invoice.Status) - Invoice.OPEN_STATUSES))
def test_a_settled_invoice_does_not_block_the_deletion(organisation, admin, world, status):
    set_status(world["invoice"], status)
    assert services.organisation_deletion_blockers(organisation=organisation) == []


def test_usage_not_invoiced_yet_blocks_the_deletion(organisation, admin, world):
    set_status(world["invoice"], Invoice.Status.PAID)
    usage_of(world["application"], date(2026, 12, 14), 24)  # this month's: invoiced on January 1st
    with pytest.raises(ValidationError, match="Usage not invoiced yet: December 2026\\."):
        delete(organisation, admin)
    assert_untouched(organisation)


def test_usage_that_would_be_invoiced_nothing_does_not_block(organisation, admin, world):
    set_status(world["invoice"], Invoice.Status.PAID)
    usage_of(world["application"], date(2026, 12, 14), 24, unit_price=0)
    usage_of(world["application"], date(2026, 12, 13), Decimal("0.01"), unit_price="0.01")  # under half a cent
    assert services.organisation_deletion_blockers(organisation=organisation) == []


def test_both_reasons_are_given_at_once(organisation, admin, world):
    usage_of(world["application"], date(2026, 12, 14), 24)
    with pytest.raises(ValidationError) as refused:
        delete(organisation, admin)
    assert len(refused.value.messages) == 2


def test_deleting_removes_people_and_resources_and_keeps_the_records(
    organisation, admin, world, django_capture_on_commit_callbacks
):
    invoice, application = world["invoice"], world["application"]
    set_status(invoice, Invoice.Status.PAID)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delete(organisation, admin)
    # Nothing is asked of the orchestrator inside the transaction: only once it has committed.
    assert RecordingOrchestrator.destroyed == []
    for callback in callbacks:
        callback()
    assert RecordingOrchestrator.destroyed == [(application.pk, "shop-front")]

    organisation.refresh_from_db()
    assert organisation.is_deleted
    assert not Membership.objects.filter(organisation=organisation).exists()
    assert not OrganisationUserObjectPermission.objects.filter(content_object_id=organisation.pk).exists()
    # Its roles go, and the groups that held their rights.
    assert not Role.objects.filter(organisation=organisation).exists()
    assert not OrganisationGroupObjectPermission.objects.filter(content_object_id=organisation.pk).exists()
    assert not Invitation.objects.filter(organisation=organisation).exists()
    assert not Application.objects.filter(organisation=organisation).exists()
    assert not Addon.objects.filter(organisation=organisation).exists()
    assert not Domain.objects.exists() and not ApplicationGrant.objects.exists()
    assert not ApplicationUserObjectPermission.objects.exists()
    assert not PaymentMethod.objects.filter(organisation=organisation).exists()
    # The records stay, still naming the organisation: the invoice, what it was computed from, the credit, the log.
    kept = Invoice.objects.get(pk=invoice.pk)
    assert (kept.organisation, kept.number, kept.total) == (organisation, invoice.number, invoice.total)
    assert UsageRecord.objects.filter(organisation=organisation).count() == 60
    assert UsageRecord.objects.filter(organisation=organisation, application__isnull=True).count() == 60
    assert Credit.objects.filter(organisation=organisation).exists()
    assert BillingProfile.objects.filter(organisation=organisation).exists()
    entry = Activity.objects.get(verb="organisation.deleted")
    assert (entry.organisation, entry.actor, entry.before) == (organisation, admin, {"name": "Acme Web Agency"})


def test_a_deleted_organisation_changes_no_more_and_its_slug_is_not_given_again(organisation, admin, world):
    set_status(world["invoice"], Invoice.Status.PAID)
    delete(organisation, admin)
    with pytest.raises(ValidationError, match="has been deleted"):
        delete(organisation, admin)
    with pytest.raises(ValidationError, match="has been deleted"):
        services.membership_add(actor=admin, organisation=organisation, user=admin, role=ADMIN, by_staff=True)
    again = services.organisation_create(actor=admin, name="Acme Web Agency")
    assert again.slug != organisation.slug


def test_an_organisation_with_invoices_cannot_be_erased_outright(organisation, world):
    """What a hard delete (the Django admin's) would do: refused, the invoices are protected."""
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Organisation.objects.filter(pk=organisation.pk).delete()
    assert Invoice.objects.filter(pk=world["invoice"].pk).exists()


# The page


def delete_url(organisation):
    return reverse("organisations:delete", kwargs={"slug": organisation.slug})


def test_the_page_says_why_the_deletion_is_refused_and_links_to_billing(client, organisation, admin, world):
    usage_of(world["application"], date(2026, 12, 14), 24)
    client.force_login(admin)
    page = client.get(delete_url(organisation))
    assert page.status_code == 200
    content = page.content.decode()
    assert f"Invoices not paid yet: {world['invoice'].number}." in content
    assert "Usage not invoiced yet: December 2026." in content
    assert reverse("billing:invoices", kwargs={"slug": "acme"}) in content
    assert reverse("billing:consumption", kwargs={"slug": "acme"}) in content
    assert "Delete the organisation" not in content  # no form to fill in vain


def test_a_refused_deletion_posted_anyway_deletes_nothing(client, organisation, admin, world):
    client.force_login(admin)
    reauthenticate(client)
    response = client.post(delete_url(organisation), {"confirm_name": organisation.name})
    assert response.status_code == 200
    assert "Invoices not paid yet" in response.content.decode()
    assert_untouched(organisation)


def test_deleting_asks_for_a_recent_sign_in(client, organisation, admin, world):
    set_status(world["invoice"], Invoice.Status.PAID)
    client.force_login(admin)
    assert client.get(delete_url(organisation)).status_code == 200  # the page itself: no password asked
    response = client.post(delete_url(organisation), {"confirm_name": organisation.name})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    assert_untouched(organisation)


def test_deleting_from_the_page(client, organisation, admin, world, django_capture_on_commit_callbacks):
    set_status(world["invoice"], Invoice.Status.PAID)
    client.force_login(admin)
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(organisation), {"confirm_name": organisation.name})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    organisation.refresh_from_db()
    assert organisation.is_deleted
    assert RecordingOrchestrator.destroyed == [(world["application"].pk, "shop-front")]
    assert Invoice.objects.filter(organisation=organisation).count() == 1
    # Its former members no longer find it.
    assert client.get(reverse("organisations:entry", kwargs={"slug": "acme"})).status_code == 404


def test_a_manager_may_not_delete(client, organisation, member, world):
    client.force_login(member(MANAGER))
    assert client.get(delete_url(organisation)).status_code == 403


# Platform staff


@pytest.fixture
def staff_client(client, db):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_staff_delete_through_the_same_rules(staff_client, organisation, world, django_capture_on_commit_callbacks):
    url = reverse("admin:organisations_organisation_delete", args=[organisation.pk])
    assert staff_client.get(url).status_code == 200  # the invoices a deletion keeps are not "protected" objects
    response = staff_client.post(url, {"post": "yes"}, follow=True)
    assert "Invoices not paid yet" in response.content.decode()
    assert_untouched(organisation)

    set_status(world["invoice"], Invoice.Status.PAID)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"post": "yes"})
    organisation.refresh_from_db()
    assert organisation.is_deleted
    assert RecordingOrchestrator.destroyed == [(world["application"].pk, "shop-front")]
    # Staff still find the organisation and its invoices.
    invoices = staff_client.get(reverse("admin:billing_invoice_changelist"), {"q": "Acme"}).content.decode()
    assert world["invoice"].number in invoices
    assert (
        staff_client.get(reverse("admin:organisations_organisation_change", args=[organisation.pk])).status_code == 200
    )
