from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from organisations.views import HomeView

from .health import healthz, readyz

# The admin's sign-in goes through allauth: same rate limits, same two-factor.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Organisations console administration"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # The load balancer's probes (console/health.py).
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # Public: the sign-in and sign-up pages offer the language switch too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("organisations.urls")),
    path("", include("apps.urls")),
    path("", include("billing.urls")),
]
