"""Demo data for a local console: Acme's applications, add-ons, deployments and a customer with a shared application."""

from billing.models import AddonPlan, Flavor
from organisations.demo import DEMO_MEMBERS, demo_user
from organisations.models import Membership, Organisation
from organisations.roles import DEVELOPER

from . import services
from .models import Addon, Application, ApplicationGrant

CUSTOMER = ("customer@client.example", "Chloé Customer")
SHARED_APPLICATION = "client-shop"

APPLICATIONS = [
    # name, description, runtime, region, flavor, min, max, commits
    ("client-shop", "The customer's online shop.", "php", "par", "s", 2, 6, ["3f9a2c1", "8b71e0d"]),
    ("agency-site", "Acme's own website.", "static", "rbx", "nano", 1, 1, ["c0ffee1"]),
    ("booking-api", "Booking API for a hotel customer.", "python", "par", "m", 1, 4, ["a1b2c3d"]),
    ("mobile-backend", "Backend of a mobile application.", "node", "waw", "xs", 1, 2, []),
]
ADDONS = [
    # name, kind, plan code, linked applications
    ("shop-db", "postgresql", "s", ["client-shop"]),
    ("shop-cache", "redis", "s", ["client-shop", "booking-api"]),
    ("media", "s3", "standard", ["client-shop", "agency-site"]),
]


def seed(acme: Organisation) -> None:
    """Create (or complete) Acme's applications and add-ons; running it twice changes nothing."""
    admin_email, admin_name, _role = DEMO_MEMBERS[0]
    admin = demo_user(admin_email, admin_name)
    developer = next(
        (m.user for m in Membership.objects.filter(organisation=acme, role__key=DEVELOPER).select_related("user")),
        admin,
    )
    for name, description, runtime, region, flavor, low, high, commits in APPLICATIONS:
        if Application.objects.filter(organisation=acme, name=name).exists():
            continue
        application = services.application_create(
            actor=admin,
            organisation=acme,
            name=name,
            description=description,
            runtime=runtime,
            region=region,
            flavor=Flavor.objects.get(code=flavor),
            min_instances=low,
            max_instances=high,
        )
        for commit in commits:
            services.deployment_create(actor=developer, application=application, commit=commit)
        services.variable_add(actor=developer, application=application, name="APP_ENV", value="production")
        services.variable_add(actor=developer, application=application, name="SECRET_KEY", value=f"demo-{name}-key")
    for hostname, name in (("shop.client.example", "client-shop"), ("www.acme.example", "agency-site")):
        application = Application.objects.get(organisation=acme, name=name)
        if not application.domains.filter(hostname=hostname).exists():
            services.domain_add(actor=admin, application=application, hostname=hostname)
    for name, kind, plan, linked in ADDONS:
        addon = Addon.objects.filter(organisation=acme, name=name).first()
        if addon is None:
            addon = services.addon_create(
                actor=admin,
                organisation=acme,
                name=name,
                plan=AddonPlan.objects.get(kind=kind, code=plan),
                region="par",
            )
            services.addon_link(
                actor=admin, addon=addon, applications=Application.objects.filter(organisation=acme, name__in=linked)
            )
    customer = demo_user(*CUSTOMER)
    shared = Application.objects.get(organisation=acme, name=SHARED_APPLICATION)
    if not ApplicationGrant.objects.filter(application=shared, user=customer).exists():
        services.grant_set(actor=admin, application=shared, user=customer, level=ApplicationGrant.Level.VIEW)
