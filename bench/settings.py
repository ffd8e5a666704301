"""The production settings (console.settings, read from the environment), plus what the benchmark needs.

- ``bench.urls``: the console's URLs and the floor view (``bench/floor.py``), which the product never serves;
- emails are rendered (invoices' PDFs included) but not sent: Django's dummy mail backend.
"""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
