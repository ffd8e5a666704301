import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing import selectors, services


class Command(BaseCommand):
    help = (
        "Issue the monthly invoices (default: last month) and email them. Idempotent: one invoice per organisation "
        "and month, so running it again, e.g. from cron every day of the month's start, changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month to invoice, as YYYY-MM (default: the previous month).")

    def handle(self, *args, month=None, **options):
        today = timezone.localdate()
        if month:
            match = re.fullmatch(r"(\d{4})-(\d{2})", month)
            if not match or not 1 <= int(match[2]) <= 12:
                raise CommandError("--month takes a month as YYYY-MM, e.g. 2026-11.")
            period = date(int(match[1]), int(match[2]), 1)
        else:
            period = selectors.previous_month(today)
        if period >= selectors.month_start(today):
            raise CommandError("Only a month that has ended can be invoiced.")
        report = services.invoices_issue_month(month=period)
        self.stdout.write(
            self.style.SUCCESS(
                f"{period:%Y-%m}: {len(report.issued)} invoice(s) issued, {report.skipped} already issued or empty."
            )
        )
        for invoice in report.issued:
            self.stdout.write(f"  {invoice.number}  {invoice.buyer_name}  {invoice.total} {invoice.currency}")
