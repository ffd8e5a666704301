import csv
import io
import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organisations import selectors
from organisations.activity import KIND_RIGHTS, VERB_LABELS, activity_record, verb_right, visible_verbs
from organisations.models import Activity, Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER, Right, roles
from tests.organisations.factories import OrganisationFactory
from tests.organisations.members_support import (
    WHO,
    add_members,
    outcome,
    reauthenticate,
    url,
)

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12):
    return datetime(2026, 3, day, hour, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def history(organisation, member):
    """Three entries by two people on three days."""
    alice, bob = member(ADMIN), member(MANAGER)
    for when, actor, verb in [
        (at(1), alice, "member.added"),
        (at(2), bob, "invitation.created"),
        (at(3), alice, "member.removed"),
    ]:
        with time_machine.travel(when, tick=False):
            activity_record(organisation=organisation, actor=actor, verb=verb, target=organisation)
    return alice, bob


def verbs_shown(response):
    return [entry.verb for entry in response.context["activities"]]


@pytest.mark.parametrize("who", WHO)
def test_who_sees_the_activity(user_as, who):
    client, _ = user_as(who)
    expected = {"anonymous": "sign-in", "outsider": 404, ADMIN: 200, MANAGER: 200}.get(who, 403)
    assert outcome(client.get(url("activity"))) == expected
    assert outcome(client.get(url("activity_export"))) == expected


def test_newest_first(client, history):
    alice, _ = history
    client.force_login(alice)
    assert verbs_shown(client.get(url("activity"))) == ["member.removed", "invitation.created", "member.added"]


def test_filter_by_actor_kind_and_dates(client, history):
    alice, bob = history
    client.force_login(alice)
    page = url("activity")
    assert verbs_shown(client.get(page, {"actor": alice.email})) == ["member.removed", "member.added"]
    assert verbs_shown(client.get(page, {"verb": "invitation.created"})) == ["invitation.created"]
    assert verbs_shown(client.get(page, {"since": "2026-03-02"})) == ["member.removed", "invitation.created"]
    assert verbs_shown(client.get(page, {"until": "2026-03-02"})) == ["invitation.created", "member.added"]
    assert verbs_shown(client.get(page, {"since": "2026-03-02", "until": "2026-03-02"})) == ["invitation.created"]
    assert verbs_shown(client.get(page, {"actor": bob.email, "verb": "member.added"})) == []


@pytest.mark.parametrize(
    "query",
    [{"since": "yesterday"}, {"since": "2026-03-03", "until": "2026-03-01"}, {"verb": "made.up"}, {"actor": "x@y.z"}],
)
def test_bad_filters_are_form_errors_never_a_500(client, history, query):
    alice, _ = history
    client.force_login(alice)
    response = client.get(url("activity"), query)
    assert response.status_code == 200
    assert response.context["filter_form"].errors
    assert client.get(url("activity_export"), query).status_code == 200


@pytest.mark.parametrize(
    "query",
    [{"until": "9999-12-31"}, {"since": "0001-01-01"}, {"since": "0000-01-01"}, {"until": "1999-12-31"}],
)
def test_dates_out_of_range_are_a_clear_error_and_the_export_ignores_them(client, history, query):
    alice, _ = history
    client.force_login(alice)
    response = client.get(url("activity"), query)
    assert response.status_code == 200
    (field,) = query
    assert response.context["filter_form"].errors[field]
    assert len(verbs_shown(response)) == 3  # the date is left out of the filter
    export = client.get(url("activity_export"), query)
    assert export.status_code == 200
    assert len(export.getvalue().decode().splitlines()) == 4


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999999999999", "1\x00"])
def test_a_page_that_is_not_one_shows_the_nearest(client, history, page):
    alice, _ = history
    client.force_login(alice)
    assert client.get(url("activity"), {"page": page}).status_code == 200
    assert client.get(url("members"), {"page": page}).status_code == 200


def test_another_organisations_activity_is_not_shown(client, organisation, history):
    alice, _ = history
    other = OrganisationFactory(name="Elsewhere Corp")
    activity_record(organisation=other, actor=alice, verb="organisation.deleted", after={"name": "Secret Corp"})
    client.force_login(alice)
    page = client.get(url("activity")).content.decode()
    export = client.get(url("activity_export")).getvalue().decode()
    assert "organisation.deleted" not in export
    assert "Secret Corp" not in page + export


def test_csv_export_with_the_filters(client, history):
    alice, _ = history
    client.force_login(alice)
    response = client.get(url("activity_export"), {"actor": alice.email})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][:3] == ["Time", "Who", "Action"]
    assert [row[2] for row in rows[1:]] == ["member.removed", "member.added"]
    assert all(row[1] == alice.email for row in rows[1:])


def test_csv_cells_are_never_formulas(client, organisation, member):
    admin = member(ADMIN)
    Activity.objects.create(
        organisation=organisation, organisation_name="x", actor_label="=HYPERLINK(1)", verb="member.added"
    )
    client.force_login(admin)
    content = client.get(url("activity_export")).getvalue().decode()
    assert "'=HYPERLINK(1)" in content


def test_the_log_is_paginated(client, organisation, member):
    admin = member(ADMIN)
    Activity.objects.bulk_create(
        Activity(organisation=organisation, organisation_name="Acme", actor_label="a", verb="member.added")
        for _ in range(120)
    )
    client.force_login(admin)
    assert len(client.get(url("activity"), {"page": 3}).context["activities"]) == 20


def test_the_changes_of_the_members_pages_are_in_the_log(client, organisation, member):
    admin = member(ADMIN)
    target = Membership.objects.get(organisation=organisation, user=member(DEVELOPER))
    client.force_login(admin)
    client.post(url("invite"), {"email": "someone@example.com", "role": DEVELOPER})
    reauthenticate(client)
    client.post(url("member_role", pk=target.pk), {"role": MANAGER})
    client.post(url("member_remove", pk=target.pk))
    shown = verbs_shown(client.get(url("activity")))
    assert shown[:3] == ["member.removed", "member.role_changed", "invitation.created"]


def test_query_count_does_not_grow_with_the_members(client, organisation, member, django_assert_num_queries):
    admin = member(ADMIN)
    client.force_login(admin)
    counts, export_counts = [], []
    for size in (10, 500):
        users = add_members(organisation, size - Membership.objects.filter(organisation=organisation).count())
        Activity.objects.bulk_create(
            Activity(
                organisation=organisation,
                organisation_name="Acme",
                actor=user,
                actor_label=user.email,
                verb=sorted(VERB_LABELS)[i % 7],
            )
            for i, user in enumerate(users)
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("activity"), {"page": 2 if size > 50 else 1}).status_code == 200
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            lines = client.get(url("activity_export")).getvalue().splitlines()
            assert len(lines) == Activity.objects.filter(organisation=organisation).count() + 1
        export_counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert export_counts[0] == export_counts[1], export_counts
    with django_assert_num_queries(counts[0]):
        client.get(
            url("activity"),
            {"verb": sorted(VERB_LABELS)[3], "since": (timezone.localdate() - timedelta(days=1)).isoformat()},
        )


def test_the_filters_never_read_the_log(client, organisation, member, django_assert_num_queries):
    admin = member(ADMIN)
    client.force_login(admin)
    form = client.get(url("activity")).context["filter_form"]
    assert [value for value, _label in form.fields["verb"].choices][1:] == sorted(VERB_LABELS)
    # A person is typed; a member, or someone the log names, is accepted.
    Activity.objects.create(
        organisation=organisation, organisation_name="Acme", actor_label="gone@example.com", verb="x"
    )
    assert client.get(url("activity"), {"actor": admin.email}).context["filter_form"].is_valid()
    assert client.get(url("activity"), {"actor": "gone@example.com"}).context["filter_form"].is_valid()
    assert not client.get(url("activity"), {"actor": "stranger@example.com"}).context["filter_form"].is_valid()


def test_a_long_log_is_paged_up_to_the_cap(client, organisation, member, monkeypatch):
    from organisations.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 120)
    admin = member(ADMIN)
    Activity.objects.bulk_create(
        Activity(organisation=organisation, organisation_name="Acme", actor_label="a", verb="member.removed")
        for _ in range(130)
    )
    client.force_login(admin)
    response = client.get(url("activity"), {"page": 3})
    assert response.context["paginator"].count == 120 and len(response.context["activities"]) == 20
    assert "Only the newest 120 entries are paged here" in response.content.decode()
    small = client.get(url("activity"), {"verb": "member.added"})
    assert "Only the newest" not in small.content.decode()


# Each kind of entry is shown to the readers whose rights cover it: billing entries to billing.

BILLING_DETAILS = {
    "billing_email": "accounts@acme.example",
    "address": "1 rue de la Paix\n75002 Paris",
    "vat_number": "FR40303265045",
    "total": "1200.00",
}


@pytest.fixture
def every_kind_of_entry(organisation, member):
    """One entry of every known verb, each holding details (billing ones, for the billing entries)."""
    actor = member(ADMIN)
    for verb in sorted(VERB_LABELS):
        activity_record(
            organisation=organisation,
            actor=actor,
            verb=verb,
            target=organisation,
            before={"verb": verb, **BILLING_DETAILS} if verb.startswith("billing.") else {"verb": verb},
            after={"verb": verb},
        )
    return actor


def test_every_known_verb_has_a_kind_covered_by_a_right():
    assert all(verb_right(verb) is not None for verb in VERB_LABELS)
    assert {verb_right(verb) for verb in VERB_LABELS if verb.startswith("billing.")} == {Right.VIEW_BILLING}
    assert KIND_RIGHTS["application"] == KIND_RIGHTS["deployment"] == Right.VIEW_APPLICATIONS
    assert verb_right("made.up") is None  # an unknown kind of entry is shown to nobody


@pytest.mark.parametrize("role_id", [ADMIN, MANAGER, DEVELOPER, ACCOUNTING])
def test_the_verbs_each_role_may_see(role_id):
    rights = roles.get(role_id).rights
    shown = set(visible_verbs(rights))
    if Right.VIEW_ACTIVITY not in rights:
        assert shown == set()
        return
    assert any(verb.startswith("billing.") for verb in shown) == (Right.VIEW_BILLING in rights)
    assert any(verb.startswith("application.") for verb in shown) == (Right.VIEW_APPLICATIONS in rights)
    assert shown == {verb for verb in VERB_LABELS if verb_right(verb) in rights}


@pytest.mark.parametrize("role_id", [ADMIN, MANAGER])
def test_each_role_sees_exactly_the_entries_its_rights_cover_on_the_page_and_in_the_csv(
    client, organisation, member, every_kind_of_entry, role_id
):
    rights = roles.get(role_id).rights
    expected = sorted(verb for verb in VERB_LABELS if verb_right(verb) in rights)
    client.force_login(member(role_id))
    page = client.get(url("activity"), {"page": 1})
    shown = verbs_shown(page)
    if page.context["page_obj"].has_next():  # more kinds of entry than a page holds
        shown += verbs_shown(client.get(url("activity"), {"page": 2}))
    assert sorted(shown) == expected
    verbs_offered = [value for value, _label in page.context["filter_form"].fields["verb"].choices][1:]
    assert verbs_offered == expected
    rows = list(csv.reader(io.StringIO(client.get(url("activity_export")).getvalue().decode())))
    assert sorted(row[2] for row in rows[1:]) == expected
    overview = client.get(url("overview"))
    assert {entry.verb for entry in overview.context["recent_activity"]} <= set(expected)
    if role_id == MANAGER:
        content = page.content.decode() + "".join(",".join(row) for row in rows)
        assert "FR40303265045" not in content and "accounts@acme.example" not in content
        assert not any(verb.startswith("billing.") for verb in verbs_shown(page))


def test_a_manager_asking_for_billing_entries_gets_none(client, member, every_kind_of_entry):
    client.force_login(member(MANAGER))
    response = client.get(url("activity"), {"verb": "billing.profile_updated"})
    assert response.context["filter_form"].errors["verb"]
    assert not any(verb.startswith("billing.") for verb in verbs_shown(response))
    export = client.get(url("activity_export"), {"verb": "billing.invoice_paid"}).getvalue().decode()
    assert "billing." not in export


@pytest.mark.parametrize(
    "rights",
    [
        {Right.VIEW_ACTIVITY},
        {Right.VIEW_ACTIVITY, Right.VIEW_BILLING},
        {Right.VIEW_ACTIVITY, Right.VIEW_APPLICATIONS},
        {Right.VIEW_ACTIVITY, Right.VIEW_MEMBERS},
        set(Right) - {Right.VIEW_ACTIVITY},
    ],
)
def test_the_selector_keeps_the_entries_the_rights_cover(organisation, every_kind_of_entry, rights):
    codenames = frozenset(right.value for right in rights)
    shown = set(selectors.activity_list(organisation=organisation, rights=codenames).values_list("verb", flat=True))
    if Right.VIEW_ACTIVITY not in rights:
        assert shown == set()
    else:
        assert shown == {verb for verb in VERB_LABELS if verb_right(verb) in rights}
        assert any(verb.startswith("organisation.") for verb in shown)
    assert any(verb.startswith("billing.") for verb in shown) == (rights >= {Right.VIEW_ACTIVITY, Right.VIEW_BILLING})


def test_the_csv_details_are_json_with_sorted_keys(client, member, every_kind_of_entry):
    client.force_login(every_kind_of_entry)
    rows = list(csv.reader(io.StringIO(client.get(url("activity_export")).getvalue().decode())))
    assert rows[0][5:] == ["Before", "After"]
    for row in rows[1:]:
        before, after = json.loads(row[5]), json.loads(row[6])
        assert before["verb"] == after["verb"] == row[2]
        assert row[5] == json.dumps(before, sort_keys=True, ensure_ascii=False)
    profile = next(row for row in rows if row[2] == "billing.profile_updated")
    assert json.loads(profile[5]) == {"verb": "billing.profile_updated", **BILLING_DETAILS}


def test_an_entry_without_details_has_empty_detail_cells(client, organisation, member):
    admin = member(ADMIN)
    activity_record(organisation=organisation, actor=admin, verb="organisation.updated")
    client.force_login(admin)
    rows = list(csv.reader(io.StringIO(client.get(url("activity_export")).getvalue().decode())))
    assert rows[1][5:] == ["", ""]


@pytest.mark.parametrize("verb", ["x", "member.promoted", "invoice.issued"])
def test_an_entry_nobody_could_read_is_refused_when_written(organisation, verb):
    with pytest.raises(ValueError, match="Unknown activity verb"):
        activity_record(organisation=organisation, actor=None, verb=verb)
    assert not Activity.objects.filter(organisation=organisation).exists()


@pytest.mark.parametrize(("language", "system"), [("en", "System"), ("fr", "Système")])
def test_what_no_person_did_names_the_console(client, organisation, member, language, system):
    client.force_login(member(ADMIN))
    activity_record(organisation=organisation, actor=None, verb="organisation.updated", target=organisation)
    page = client.get(url("activity"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert f"<td>{system}</td>" in row
