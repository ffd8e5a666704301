from django.db import transaction

from .models import User


@transaction.atomic
def user_update_profile(*, user: User, name: str, language: str, time_zone: str) -> User:
    """Change the person's name, language and time zone."""
    user.name, user.language, user.time_zone = name, language, time_zone
    user.save(update_fields=["name", "language", "time_zone"])
    return user


def user_set_language(*, user: User, language: str) -> User:
    """Keep the language a signed-in person chose with the language switcher."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
