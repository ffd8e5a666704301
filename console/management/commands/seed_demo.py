from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps import demo as apps_demo
from billing import demo as billing_demo
from organisations import demo


class Command(BaseCommand):
    help = "Create the demo organisation and its sign-ins (idempotent). Refuses to run without DEBUG."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data has well-known passwords: seed_demo only runs with DEBUG=1.")
        acme = demo.seed()
        apps_demo.seed(acme)
        billing_demo.seed(acme)
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {acme.name}"))
        self.stdout.write(f"Sign in at http://127.0.0.1:8000/accounts/login/ with password {demo.DEMO_PASSWORD}:")
        for email, _name, role in demo.DEMO_MEMBERS:
            self.stdout.write(f"  {email:<28} {role}")
        self.stdout.write(f"  {demo.OUTSIDER[0]:<28} (member of no organisation of Acme's)")
        self.stdout.write(f"  {apps_demo.CUSTOMER[0]:<28} (no member; view access to {apps_demo.SHARED_APPLICATION})")
