import pytest
from django.core.cache import cache

from billing.pdf import _recent_pdfs
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER
from tests.accounts.factories import UserFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory

ROLE_IDS = [ADMIN, MANAGER, DEVELOPER, ACCOUNTING]


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits count in the cache: every test starts from zero. So do the PDFs kept by the process.
    cache.clear()
    _recent_pdfs.clear()
    yield
    cache.clear()
    _recent_pdfs.clear()


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Acme Web Agency", slug="acme")


@pytest.fixture
def member(organisation):
    """``member(role)``: a new user holding ``role`` in the organisation."""

    def make(role: str, **kwargs):
        return MembershipFactory(organisation=organisation, role=role, **kwargs).user

    return make


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com")


@pytest.fixture
def user_as(client, organisation, member, outsider):
    """``user_as(who)``: a client signed in as ``who``: "anonymous", "outsider" or a role id."""

    def sign_in(who: str):
        if who == "anonymous":
            return client, None
        user = outsider if who == "outsider" else member(who)
        client.force_login(user)
        return client, user

    return sign_in
