import factory

from organisations.models import Membership, Organisation, Role
from organisations.roles import roles
from tests.accounts.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An organisation, with its built-in roles (made for every new organisation)."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


def role_of(organisation: Organisation, role) -> Role:
    """The organisation's role named by a built-in key (ADMIN…), or ``role`` itself."""
    if isinstance(role, Role):
        return role
    return Role.objects.get(organisation=organisation, key=role)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A member with a role: ``role`` is a Role of the organisation, or a built-in key (``role=ADMIN``)."""

    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = roles.top.key

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs["role"] = role_of(kwargs["organisation"], kwargs["role"])
        return super()._create(model_class, *args, **kwargs)
