"""The console's URLs and the benchmark's floor."""

from console.urls import urlpatterns as console_urlpatterns
from django.urls import path

from .floor import floor

urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *console_urlpatterns]
