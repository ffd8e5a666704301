"""Invoice emails leave the monthly run: each is a background task (Django's tasks framework) enqueued on commit."""

from datetime import date

import pytest
from django.core import mail
from django.tasks import default_task_backend
from django.test.utils import override_settings

from billing import services
from billing.tasks import invoice_email
from organisations.roles import ADMIN

from .factories import ApplicationFactory, usage_of

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
ISSUED = date(2026, 12, 1)
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def run_month() -> services.IssueReport:
    return services.invoices_issue_month(month=NOVEMBER, issued_on=ISSUED)


@override_settings(TASKS=DUMMY)
def test_the_run_only_enqueues_the_emails(django_capture_on_commit_callbacks, mailoutbox, member, organisation):
    admin = member(ADMIN)
    app = ApplicationFactory(organisation=organisation)
    usage_of(app, date(2026, 11, 3), 24)
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        (invoice,) = run_month().issued
    assert mailoutbox == []
    (result,) = default_task_backend.results
    assert result.task.name == invoice_email.name and result.kwargs == {"invoice_id": invoice.pk}
    # What a worker does with it: the email with the PDF.
    assert result.task.call(**result.kwargs) == 1
    (message,) = mail.outbox
    ((name, content, _mimetype),) = message.attachments
    assert message.bcc == [admin.email] and name == f"{invoice.number}.pdf" and content.startswith(b"%PDF")


@override_settings(TASKS=DUMMY)
def test_nothing_is_enqueued_before_the_commit(member, organisation):
    member(ADMIN)
    app = ApplicationFactory(organisation=organisation)
    usage_of(app, date(2026, 11, 3), 24)
    default_task_backend.clear()
    run_month()  # the test's transaction never commits
    assert default_task_backend.results == []


def test_the_immediate_backend_sends_at_once(django_capture_on_commit_callbacks, mailoutbox, member, organisation):
    member(ADMIN)
    app = ApplicationFactory(organisation=organisation)
    usage_of(app, date(2026, 11, 3), 24)
    with django_capture_on_commit_callbacks(execute=True):
        run_month()
    assert len(mailoutbox) == 1
