"""The activity log's one writer. Every service that changes an organisation calls ``activity_record``."""

from typing import Any

from django.db import models

from .models import Activity, Organisation


def activity_record(
    *,
    organisation: Organisation | None,
    actor,
    verb: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Activity:
    """Record that ``actor`` did ``verb`` to ``target`` in ``organisation``."""
    return Activity.objects.create(
        organisation=organisation,
        organisation_name=organisation.name if organisation else "",
        actor=actor if actor is not None and actor.pk else None,
        actor_label=str(actor) if actor is not None else "",
        verb=verb,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
    )
