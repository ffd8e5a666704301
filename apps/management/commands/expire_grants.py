from django.core.management.base import BaseCommand

from apps import services


class Command(BaseCommand):
    help = "Delete expired per-application grants and their permissions (they already give nothing). Run it daily."

    def handle(self, *args, **options):
        count = services.grants_expire()
        self.stdout.write(f"{count} expired grant(s) deleted.")
