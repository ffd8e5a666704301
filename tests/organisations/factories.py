import factory

from organisations import services
from organisations.models import Membership, Organisation
from organisations.roles import roles
from tests.accounts.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member with a role, and the guardian rights of that role, as the services would leave them."""

    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = roles.top.id

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        membership = super()._create(model_class, *args, **kwargs)
        services.membership_sync_rights(membership)
        return membership
