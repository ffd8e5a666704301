import pytest

from apps.models import Application
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import UserFactory

from .factories import ApplicationFactory, DeploymentFactory, GrantFactory

LEVELS = ["view", "deploy", "manage"]
WHO = ["anonymous", "outsider", ADMIN, MANAGER, DEVELOPER, ACCOUNTING, *LEVELS]


@pytest.fixture
def application(organisation):
    """A running application of Acme, deployed once."""
    application = ApplicationFactory(organisation=organisation, name="shop-front", state=Application.State.RUNNING)
    DeploymentFactory(application=application)
    return application


@pytest.fixture
def grantee(application):
    """``grantee(level)``: a person outside the organisation holding ``level`` on ``application``."""

    def make(level: str, **kwargs):
        return GrantFactory(application=application, level=level, **kwargs).user

    return make


@pytest.fixture
def actor_as(client, user_as, grantee):
    """``actor_as(who)``: like ``user_as``, plus "view", "deploy" and "manage" for grantees of ``application``."""

    def sign_in(who: str):
        if who in LEVELS:
            user = grantee(who)
            client.force_login(user)
            return client, user
        return user_as(who)

    return sign_in


@pytest.fixture
def other_user(db):
    return UserFactory()
