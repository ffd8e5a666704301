"""Reading in chunks, each chunk its own query (organisations/keyset.py): the activity log's CSV export of a log
larger than a chunk, with server-side cursors on and off, and through PgBouncer in transaction mode."""

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.keyset import in_chunks
from organisations.models import Activity
from organisations.roles import ADMIN
from organisations.views import ActivityExportView
from tests.organisations.factories import MembershipFactory, OrganisationFactory

CHUNK = 7
ROWS = 50  # per organisation: seven chunks and a bit


def write_log(*organisations):
    """ROWS entries per organisation, interleaved, three at a time at the same instant (ties the id must break)."""
    start = timezone.now() - timedelta(days=1)
    Activity.objects.bulk_create(
        Activity(
            organisation=organisation,
            organisation_name=organisation.name,
            actor_label="someone@example.com",
            verb="member.added",
            target_type="membership",
            target_label=f"{organisation.slug}-{index:03d}",
            created_at=start + timedelta(seconds=index // 3),
        )
        for index in range(ROWS)
        for organisation in organisations
    )


def exported(client, organisation) -> list[str]:
    response = client.get(reverse("organisations:activity_export", args=[organisation.slug]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    return [row[4] for row in rows[1:]]


def the_log_of(organisation) -> list[str]:
    """The organisation's entries, newest first, as the page shows them (one query, no chunks)."""
    return list(
        Activity.objects.filter(organisation=organisation)
        .order_by("-created_at", "-id")
        .values_list("target_label", flat=True)
    )


def assert_exactly_its_log(labels: list[str], organisation):
    assert labels == the_log_of(organisation)
    assert len(labels) == len(set(labels))
    written = [label for label in labels if label.startswith(f"{organisation.slug}-")]
    # Newest first; at the same instant, the later entry first.
    assert written == [f"{organisation.slug}-{index:03d}" for index in reversed(range(ROWS))]


@pytest.mark.django_db
class TestInChunks:
    @pytest.mark.parametrize("size", [1, 2, 5, 49, 50, 51, 1000])
    @pytest.mark.parametrize("ordering", [("-created_at", "-id"), ("created_at", "id"), ("target_label", "-pk")])
    def test_every_row_once_in_the_queryset_s_order(self, size, ordering):
        organisation = OrganisationFactory(slug="acme")
        write_log(organisation)
        activities = Activity.objects.filter(organisation=organisation).order_by(*ordering)
        assert [activity.pk for activity in in_chunks(activities, size=size)] == [a.pk for a in activities]

    def test_each_chunk_is_a_query_of_its_own(self):
        organisation = OrganisationFactory(slug="acme")
        write_log(organisation)
        activities = Activity.objects.filter(organisation=organisation)  # the model's ordering
        with CaptureQueriesContext(connection) as queries:
            rows = list(in_chunks(activities.values("id", "created_at", "target_label"), size=10))
        assert len(rows) == ROWS
        assert len(queries) == ROWS // 10 + 1  # the last, empty, chunk tells the end
        assert all("DECLARE" not in query["sql"] for query in queries.captured_queries)

    @pytest.mark.parametrize("ordering", [("created_at",), ("-id", "created_at"), (F("created_at").desc(), "id")])
    def test_an_ordering_that_is_not_total_is_refused(self, ordering):
        with pytest.raises(ValueError, match="ordering"):
            list(in_chunks(Activity.objects.order_by(*ordering)))


@pytest.mark.django_db
@pytest.mark.parametrize("server_side_cursors", [True, False], ids=["server-side-cursors", "disabled"])
def test_the_export_of_a_log_larger_than_a_chunk_is_exactly_the_organisation_s(
    monkeypatch, client, server_side_cursors
):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", not server_side_cursors)
    monkeypatch.setattr(ActivityExportView, "chunk_size", CHUNK)
    acme, other = OrganisationFactory(slug="acme"), OrganisationFactory(slug="other")
    write_log(acme, other)
    client.force_login(MembershipFactory(organisation=acme, role=ADMIN).user)
    assert_exactly_its_log(exported(client, acme), acme)


# Through PgBouncer in transaction mode (tests/conftest.py starts it): every query may run on whichever server
# connection is free, and a cursor left open may be found by another client.


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer pools PostgreSQL connections")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server_side_cursors", [True, False], ids=["server-side-cursors", "disabled"])
def test_exports_through_pgbouncer_in_transaction_mode_never_mix_organisations(
    monkeypatch, pgbouncer, server_side_cursors
):
    monkeypatch.setattr(ActivityExportView, "chunk_size", CHUNK)
    organisations = [OrganisationFactory(slug=f"org-{index}") for index in range(4)]
    write_log(*organisations)
    admins = [MembershipFactory(organisation=organisation, role=ADMIN).user for organisation in organisations]
    expected = {organisation.slug: the_log_of(organisation) for organisation in organisations}
    results, errors = {}, []
    barrier = threading.Barrier(len(organisations))

    def export(organisation, admin):
        try:
            client = Client()
            client.force_login(admin)
            barrier.wait()
            for attempt in range(3):
                results[organisation.slug, attempt] = exported(client, organisation)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    with pgbouncer.serving(server_side_cursors=server_side_cursors):
        threads = [threading.Thread(target=export, args=pair) for pair in zip(organisations, admins, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    for (slug, _attempt), labels in results.items():
        assert labels == expected[slug], slug
    assert len(results) == len(organisations) * 3
