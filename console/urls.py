from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts.views import set_language
from organisations.views import HomeView

# The admin's sign-in goes through allauth: same rate limits, same two-factor.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Organisations console administration"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # Public: the sign-in and sign-up pages offer the language switch too.
    path("i18n/setlang/", set_language, name="set_language"),
    path("account/", include("accounts.urls")),
    path("", include("organisations.urls")),
    path("", include("apps.urls")),
    path("", include("billing.urls")),
]
