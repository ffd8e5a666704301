import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from billing import selectors, services
from billing.models import UsageRecord


class Command(BaseCommand):
    help = (
        "Compute the monthly roll-up of usage (what the consumption page reads) again from the usage rows, for one "
        "month or every month with usage. Idempotent; recordings running meanwhile wait and are counted once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month to rebuild, as YYYY-MM (default: every month with usage).")

    def handle(self, *args, month=None, **options):
        if month:
            match = re.fullmatch(r"(\d{4})-(\d{2})", month)
            if not match or not 1 <= int(match[2]) <= 12:
                raise CommandError("--month takes a month as YYYY-MM, e.g. 2026-11.")
            months = [date(int(match[1]), int(match[2]), 1)]
        else:
            span = UsageRecord.objects.aggregate(first=Min("day"), last=Max("day"))
            months, current = [], span["first"] and selectors.month_start(span["first"])
            while current and current <= span["last"]:
                months.append(current)
                current = selectors.next_month(current)
        for period in months:  # one transaction per month: recordings wait for one month's rebuild at most
            written = services.usage_months_rebuild(month=period)
            self.stdout.write(f"{period:%Y-%m}: {written} roll-up row(s).")
        self.stdout.write(self.style.SUCCESS(f"{len(months)} month(s) rebuilt."))
