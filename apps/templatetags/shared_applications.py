from django import template

from apps.selectors import shared_with

register = template.Library()


@register.simple_tag
def shared_applications(user):
    """The applications shared with ``user``, for the home page."""
    return shared_with(user=user) if user.is_authenticated else []
