"""Demo data for a local console: Acme Web Agency, one member per role, and an outsider."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from . import services
from .models import Membership, Organisation
from .roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER

DEMO_PASSWORD = "acme-demo-2026"
ACME = "Acme Web Agency"
DEMO_MEMBERS = [
    ("admin@acme.example", "Alice Admin", ADMIN),
    ("manager@acme.example", "Marc Manager", MANAGER),
    ("developer@acme.example", "Dana Developer", DEVELOPER),
    ("accountant@acme.example", "Ada Accountant", ACCOUNTING),
]
OUTSIDER = ("outsider@example.com", "Oscar Outsider")


def demo_user(email: str, name: str):
    """The demo account for ``email``, created with a verified address if missing."""
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed() -> Organisation:
    """Create (or complete) the demo organisation; running it twice changes nothing."""
    admin_email, admin_name, _ = DEMO_MEMBERS[0]
    admin = demo_user(admin_email, admin_name)
    acme = Organisation.objects.filter(name=ACME, is_personal=False).first()
    if acme is None:
        acme = services.organisation_create(
            actor=admin, name=ACME, description="A web agency building sites for its customers."
        )
    for email, name, role in DEMO_MEMBERS[1:]:
        user = demo_user(email, name)
        if not Membership.objects.filter(organisation=acme, user=user).exists():
            services.membership_add(actor=admin, organisation=acme, user=user, role=role)
    demo_user(*OUTSIDER)
    return acme
