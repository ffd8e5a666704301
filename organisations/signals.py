"""What the other apps are told about an organisation's life (organisations sits below them and imports neither).

Receivers are connected in their app's ``apps.py``.
"""

from django.dispatch import Signal

# Asked before an organisation is deleted, by the delete page and by ``services.organisation_delete``: each receiver
# returns a list of ``services.DeletionBlocker``, what its app must see settled first (unpaid invoices...).
deletion_blockers = Signal()

# Sent in the deleting transaction, the organisation's row locked, once nothing blocks (arguments: organisation,
# actor): each receiver deletes what its app holds of the organisation that must not outlive it, and leaves any call
# to the outside world to after the commit.
organisation_deleting = Signal()
