"""The floor: a signed-in page that runs one query of its own, through the same middleware as every page."""

from django.http import HttpResponse
from organisations.models import Membership


def floor(request):
    """The number of the signed-in person's memberships (one query), as a tiny HTML page."""
    count = Membership.objects.filter(user_id=request.user.pk).count()
    return HttpResponse(f"<!doctype html><title>floor</title><p>{count}</p>")
