from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The project itself: the page shell, error pages and project-wide commands."""

    name = "console"
    verbose_name = "Console"

    def ready(self):
        from . import checks  # noqa: F401 - registers the deployment checks
