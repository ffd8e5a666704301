import importlib

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


@pytest.fixture(autouse=True)
def _migrated_data(request):
    """Every test that commits starts with the rows the migrations write (permissions, the price list).

    The flush that ends a transactional test empties every table; its post_migrate signal writes the content types
    and permissions again (with new ids), but not the price list. Serialized rollback is not the way back: it reloads
    the content types with their first ids, which collide with the recreated ones, and its flush then skips the
    post_migrate signal, leaving the next test without permissions. So the suite passes in any order.
    """
    marker = request.node.get_closest_marker("django_db")
    committing = {"transactional_db", "live_server"} & set(request.fixturenames)
    if not (committing or (marker and marker.kwargs.get("transaction"))):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.core.management.sql import emit_post_migrate_signal

    if not Permission.objects.filter(content_type__app_label="organisations").exists():
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    importlib.import_module("billing.migrations.0002_price_list").create_price_list(apps, None)


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
