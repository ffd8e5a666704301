from django.core.exceptions import PermissionDenied

from .access import member_access
from .models import Organisation


class OrganisationRoleBackend:
    """Answers ``user.has_perm(perm, organisation)`` from the member's role, as every page does
    (``access.memberships_with_rights``), and only from it: a permission given to the user directly on an
    organisation (guardian's admin page) gives nothing, so ``has_perm`` and the pages never disagree.

    Listed before guardian's backend: for an organisation it decides, refusing with ``PermissionDenied``, which
    stops Django asking the other backends.
    """

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if not isinstance(obj, Organisation):
            return False
        if not user_obj.is_active or user_obj.is_anonymous:
            raise PermissionDenied
        app_label, _, codename = perm.rpartition(".")
        access = member_access(user=user_obj, organisation=obj)
        if app_label == Organisation._meta.app_label and access is not None and codename in access.rights:
            return True
        raise PermissionDenied
