from django.utils.functional import SimpleLazyObject

from console.navigation import sections_for

from .selectors import request_memberships


def console(request):
    """The page shell's data: the organisation switcher and the current organisation's sections."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "organisation_access", None)
    return {
        "switcher": SimpleLazyObject(lambda: request_memberships(request)),
        "current_access": access,
        "sections": SimpleLazyObject(lambda: sections_for(access, request.path)) if access else [],
    }
