import factory

from apps import services
from apps.models import Addon, Application, ApplicationGrant, Deployment, Domain, EnvironmentVariable
from billing.models import AddonPlan, Flavor
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"app-{n}")
    runtime = Application.Runtime.PYTHON
    region = Application.Region.PARIS
    flavor = factory.LazyFunction(lambda: Flavor.objects.get(code="xs"))


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    application = factory.SubFactory(ApplicationFactory)
    commit = factory.Sequence(lambda n: f"{n:040x}")
    status = Deployment.Status.SUCCEEDED


class VariableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnvironmentVariable

    application = factory.SubFactory(ApplicationFactory)
    name = factory.Sequence(lambda n: f"VAR_{n}")
    value = "s3cr3t-value"


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    application = factory.SubFactory(ApplicationFactory)
    hostname = factory.Sequence(lambda n: f"www{n}.example.com")


class AddonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Addon

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"db-{n}")
    plan = factory.LazyFunction(lambda: AddonPlan.objects.get(kind="postgresql", code="xs"))
    secret = "addon-password-123"


class GrantFactory(factory.django.DjangoModelFactory):
    """A grant with the guardian permissions of its level, as the services would leave them."""

    class Meta:
        model = ApplicationGrant

    application = factory.SubFactory(ApplicationFactory)
    user = factory.SubFactory(UserFactory)
    level = ApplicationGrant.Level.VIEW

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        grant = super()._create(model_class, *args, **kwargs)
        services.grant_sync_permissions(grant)
        return grant
