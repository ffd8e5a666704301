from django.utils.functional import SimpleLazyObject

from console.lazy import lazy_value
from console.navigation import sections_for

from .selectors import request_memberships


def console(request):
    """The page shell's data: the organisation switcher, the current organisation's sections, and the key under
    which the rendered shell is cached (``{% shell_fragment %}``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "organisation_access", None)
    return {
        "switcher": SimpleLazyObject(lambda: request_memberships(request)),
        "current_access": access,
        "sections": SimpleLazyObject(lambda: sections_for(access, request.path)) if access else [],
        "shell_key": lazy_value(lambda: shell_key(request, access)),
    }


def shell_key(request, access) -> str:
    """Everything the page shell shows, as read for this request: the person, their memberships (the switcher), the
    current organisation with the role and rights (title and sections), the address (the current section, the
    language switcher's way back). Equal keys, equal shells: a cached shell is never out of date."""
    user = request.user
    match = request.resolver_match
    parts = [
        user.pk,
        user.display_name,
        user.is_staff,
        request.get_full_path(),
        match.view_name if match else "",
        [
            (m.organisation_id, m.organisation.name, m.organisation.slug, m.organisation.is_personal)
            for m in request_memberships(request)
        ],
    ]
    if access is not None:
        parts += [
            access.organisation.pk,
            access.organisation.name,
            access.role.id if access.role else "",
            sorted(access.rights),
        ]
    return repr(parts)
