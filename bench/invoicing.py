"""Issue monthly invoices with the real command, in this process, and report time and peak memory as JSON.

    python -m bench.invoicing 2023-11 2024-02      # every month from the first to the last, inclusive

Run as a subprocess by ``bench.run`` so that its peak resident memory (``ru_maxrss``) is the invoicing's own.
Enqueue-only: each invoice's email task is enqueued and dropped (``bench/tasks.py``); the PDFs and the emails are a
worker's job in production, not part of the run.
"""

import json
import resource
import sys
import time
import tracemalloc
from datetime import date

from bench import setup_django


def months_between(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def main(argv: list[str]) -> None:
    first, last = argv[0], argv[-1]
    trace = "--tracemalloc" in argv
    setup_django()
    from billing.models import UsageRecord
    from django.core.management import call_command
    from django.db import connection

    months = months_between(first, last)
    start = date.fromisoformat(f"{months[0]}-01")
    end_year, end_month = map(int, months[-1].split("-"))
    end = date(end_year + (end_month == 12), end_month % 12 + 1, 1)
    rows = UsageRecord.objects.filter(day__gte=start, day__lt=end).count()
    connection.close()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    for index, month in enumerate(months, 1):
        call_command("issue_invoices", month=month, stdout=open("/dev/null", "w"))  # noqa: SIM115
        print(
            f"[invoicing] {month} issued ({index}/{len(months)}, {time.monotonic() - started:.1f} s)", file=sys.stderr
        )
    elapsed = time.monotonic() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    print(
        json.dumps(
            {
                "months": len(months),
                "usage_rows": rows,
                "seconds": round(elapsed, 2),
                "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "rss_before_kib": baseline,
                "traced_peak_bytes": traced_peak,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
