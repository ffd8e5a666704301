from django.core.management.base import BaseCommand

from apps import services
from organisations import services as organisation_services


class Command(BaseCommand):
    help = (
        "Delete expired per-application grants and their permissions, and memberships expired for more than 30 days "
        "(they already give nothing). Run it daily."
    )

    def handle(self, *args, **options):
        count = services.grants_expire()
        self.stdout.write(f"{count} expired grant(s) deleted.")
        count = organisation_services.memberships_expire()
        self.stdout.write(f"{count} expired membership(s) deleted.")
