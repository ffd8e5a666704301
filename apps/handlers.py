from . import services


def delete_organisation_resources(sender, organisation, actor, **kwargs):
    """The organisation is being deleted: its applications and add-ons go with it."""
    services.organisation_resources_delete(actor=actor, organisation=organisation)
