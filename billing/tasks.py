"""Background work of billing, on Django's tasks framework (``TASKS`` in the settings chooses the backend).

The monthly invoicing run only enqueues each invoice's email once its transaction commits; rendering the PDF and
talking to the mail server happen in the task, outside the run (a worker in production, at once in tests and
``make run``).
"""

from django.tasks import task


@task
def invoice_email(invoice_id: int) -> int:
    """Email the issued invoice with its PDF; the number of messages sent."""
    from .services import invoice_send

    return invoice_send(invoice_id=invoice_id)
