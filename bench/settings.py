"""The production settings (console.settings, read from the environment), plus what the benchmark needs.

- ``bench.urls``: the console's URLs and the floor view (``bench/floor.py``), which the product never serves;
- emails are rendered (invoices' PDFs included) but not sent: Django's dummy mail backend;
- background tasks are enqueued and dropped (``bench/tasks.py``): the invoicing is measured enqueue-only; the emails
  and their PDFs are a worker's job in production (TASKS_BACKEND=database, ``manage.py db_worker``).
"""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
TASKS = {"default": {"BACKEND": "bench.tasks.EnqueueOnlyBackend"}}
