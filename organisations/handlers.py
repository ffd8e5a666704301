from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.core.exceptions import ValidationError

from . import services
from .mixins import TWO_FACTOR_ENROLLED_SESSION_KEY


def create_personal_space(sender, instance, created, raw=False, **kwargs):
    """Give every new account its personal space."""
    if created and not raw:
        services.personal_space_create(user=instance)


def create_builtin_roles(sender, instance, created, raw=False, **kwargs):
    """Give every new organisation the built-in roles, whichever way it is created."""
    if created and not raw:
        services.organisation_roles_create(organisation=instance)


def delete_role_group(sender, instance, **kwargs):
    """A role's group holds its rights: it goes with the role (also when its organisation is deleted)."""
    from django.contrib.auth.models import Group

    Group.objects.filter(pk=instance.group_id).delete()


def accept_invitation_after_signup(sender, request, user, **kwargs):
    """A person who signed up from an invitation link lands in the organisation with the invited role.

    ``views.InvitationSignupView`` remembered the token in the session; acceptance follows the usual rules (the
    invited email must be one of the new account's verified addresses).
    """
    from .views import INVITATION_SESSION_KEY, accepted_message

    token = request.session.pop(INVITATION_SESSION_KEY, None) if request is not None else None
    if not token:
        return
    try:
        invitation = services.invitation_accept(user=user, token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    messages.success(request, accepted_message(invitation))


def remember_two_factor_enrolment(sender, request, user, authenticator, **kwargs):
    """A TOTP authenticator enrolled in this session counts as this session's second factor (``mixins``): its first
    code was entered here."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP and request.user.pk == user.pk:
        request.session[TWO_FACTOR_ENROLLED_SESSION_KEY] = authenticator.pk
