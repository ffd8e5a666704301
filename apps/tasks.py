"""Background work of applications, on Django's tasks framework: calls to the orchestrator made after a commit."""

from django.tasks import task


@task
def application_destroy(*, application_id: int, organisation_id: int, name: str, region: str, runtime: str) -> None:
    """Have the orchestrator free everything a deleted application used (its row is gone: it is described)."""
    from .models import Application
    from .runtime import orchestrator

    application = Application(
        pk=application_id, organisation_id=organisation_id, name=name, region=region, runtime=runtime
    )
    orchestrator().destroy(application)
