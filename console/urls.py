from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from organisations.views import HomeView

# The admin's sign-in goes through allauth: same rate limits, same two-factor.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Organisations console administration"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("organisations.urls")),
    path("", include("apps.urls")),
    path("", include("billing.urls")),
]
