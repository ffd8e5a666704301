import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisations.fields import OneLineCharField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """The IANA time zones this system knows, as choices: Europe/Paris, America/New_York, UTC."""
    return [(zone, zone.replace("_", " ")) for zone in sorted(zoneinfo.available_timezones())]


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


class User(AbstractUser):
    """A person who signs in with an email address; there are no usernames."""

    username = None
    first_name = None
    last_name = None
    name = OneLineCharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("email address"), unique=True)
    # Applied to each of the person's requests (accounts.middleware.PreferencesMiddleware); no language yet means
    # the browser's or the language switcher's.
    language = models.CharField(_("language"), max_length=16, choices=language_choices, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, choices=time_zone_choices, default="Europe/Paris")

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email.split("@")[0]

    @property
    def display_name(self) -> str:
        return self.name or self.email
