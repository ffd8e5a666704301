from . import services


def create_personal_space(sender, instance, created, raw=False, **kwargs):
    """Give every new account its personal space."""
    if created and not raw:
        services.personal_space_create(user=instance)
