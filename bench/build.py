"""Build the benchmark's data set in a fresh PostgreSQL database, with COPY (no ORM save per row).

200 organisations, 5,000 users; one organisation ("big") with 1,000 members, 20,000 applications, add-ons,
per-application grants, 100,000 activity entries and ~36 months of daily usage (about 1,000,000 usage rows across
all organisations). Guardian rows are those the services write (the roles' group rights, the grants), made in
bulk. The invoices are issued afterwards by the real command (``bench.invoicing``).

Run through ``make bench`` (or ``python -m bench.build``) with DATABASE_URL pointing at a ``console_bench*`` database.
"""

import io
import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from bench import setup_django

# The first day of usage: 36 months before the month of ``TODAY`` (2026-11 → 2023-11), then every day to yesterday.
BIG_SLUG = "big"
SIZES = {
    "organisations": 200,
    "users": 5000,
    "big_members": 1000,
    "big_applications": 20000,
    "big_addons": 200,
    "big_grants": 3000,
    "detail_grants": 100,
    "big_activity": 100_000,
    "usage_months": 36,
    # Services with daily usage: the big organisation's first applications and add-ons, one application elsewhere.
    "big_usage_applications": 680,
    "big_usage_addons": 20,
}
PASSWORD = "bench-password-2026"  # benchmark accounts on a throw-away database
# Big organisation's members, by role: (first user id, last user id, role).
BIG_ROLES = ((1, 10, "ADMIN"), (11, 100, "MANAGER"), (101, 800, "DEVELOPER"), (801, 1000, "ACCOUNTING"))
SMALL_ROLES = ("ADMIN", "MANAGER", "DEVELOPER", "ACCOUNTING")
FIRST_SMALL_MEMBER = 1001
FIRST_GRANTEE = 1797
SUPERUSER_ID = SIZES["users"] + 1
RUNTIMES = ["node", "python", "java", "php", "go", "ruby", "rust", "docker", "static"]
REGIONS = ["par", "rbx", "mtl", "sgp", "waw"]
STATES = ["running", "running", "running", "stopped", "failed"]
VERBS = [
    "application.created",
    "deployment.succeeded",
    "application.started",
    "application.stopped",
    "application.scaled",
    "variable.added",
    "variable.changed",
    "domain.added",
    "member.added",
    "member.role_changed",
    "addon.created",
    "billing.invoice_issued",
]


def log(message: str) -> None:
    print(f"[build {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_rows(cursor, table: str, columns: list[str], rows, *, label: str = "", every: int = 200_000) -> int:
    """COPY ``rows`` (tuples) into ``table``; prints progress every ``every`` rows."""
    count, started = 0, time.monotonic()
    buffer = io.StringIO()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            buffer.write("\t".join(_text(value) for value in row))
            buffer.write("\n")
            count += 1
            if count % 20_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
            if count % every == 0:
                log(f"  {label or table}: {count:,} rows ({time.monotonic() - started:.1f} s)")
        copy.write(buffer.getvalue())
    log(f"{label or table}: {count:,} rows in {time.monotonic() - started:.1f} s")
    return count


def recreate_database(url: str) -> None:
    """Drop and create the database named by ``url`` (only ``console_bench*``), then migrate it."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if not name.startswith("console_bench"):
        sys.exit(f"Refusing to rebuild {name!r}: the benchmark only uses databases named console_bench*.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} created")


def usage_start(today: date) -> date:
    month = today.replace(day=1)
    for _step in range(SIZES["usage_months"]):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def build(today: date) -> dict:
    from apps.access import LEVEL_PERMISSIONS
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from organisations.roles import roles

    rng = random.Random(7)  # noqa: S311 - synthetic data
    now = datetime.now().astimezone()
    cursor = connection.cursor().cursor  # psycopg's own cursor, for COPY
    started = time.monotonic()

    cursor.execute(
        "SELECT p.codename, p.id, ct.model FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id"
        " WHERE ct.app_label IN ('organisations', 'apps') AND ct.model IN ('organisation', 'application')"
    )
    permission_ids = {(model, codename): pk for codename, pk, model in cursor.fetchall()}
    cursor.execute("SELECT id, code, hourly_price FROM billing_flavor ORDER BY position, code")
    flavors = cursor.fetchall()
    cursor.execute("SELECT id, kind, code, name, monthly_price FROM billing_addonplan WHERE kind <> 's3'")
    plans = cursor.fetchall()

    # Users, with verified primary email addresses (allauth signs them in), and one platform superuser.
    password = make_password(PASSWORD)
    n_users = SIZES["users"]

    def users():
        for pk in range(1, n_users + 1):
            yield (pk, password, None, False, False, True, now, f"Bench User {pk:05d}", f"user{pk:05d}@bench.example")
        yield (SUPERUSER_ID, password, None, True, True, True, now, "Platform Staff", "staff@bench.example")

    user_columns = ["id", "password", "last_login", "is_superuser", "is_staff", "is_active", "date_joined", "name"]
    copy_rows(cursor, "accounts_user", [*user_columns, "email"], users(), label="users")
    copy_rows(
        cursor,
        "account_emailaddress",
        ["id", "email", "verified", '"primary"', "user_id"],
        (
            (pk, f"user{pk:05d}@bench.example" if pk <= n_users else "staff@bench.example", True, True, pk)
            for pk in range(1, SUPERUSER_ID + 1)
        ),
        label="email addresses",
    )

    # Organisations: 1 is the big one.
    n_orgs = SIZES["organisations"]
    copy_rows(
        cursor,
        "organisations_organisation",
        ["id", "name", "slug", "description", "is_personal", "require_two_factor", "created_at"],
        (
            (1, "Big Agency", BIG_SLUG, "The benchmark's large organisation.", False, False, now)
            if pk == 1
            else (pk, f"Organisation {pk:03d}", f"org-{pk:03d}", "", False, False, now)
            for pk in range(1, n_orgs + 1)
        ),
        label="organisations",
    )

    # Every organisation's built-in roles: a group each, holding the role's rights on the organisation (as
    # services.organisation_roles_create makes them); memberships point at their role.
    builtin = list(roles)
    role_ids = {}
    role_rows, group_rows, group_rights = [], [], []
    for org_id in range(1, n_orgs + 1):
        slug = BIG_SLUG if org_id == 1 else f"org-{org_id:03d}"
        for definition in builtin:
            pk = len(role_rows) + 1
            role_ids[(org_id, definition.key)] = pk
            name = str(definition.name)
            group_rows.append((pk, f"{slug} #{org_id}: {name}"))
            role_rows.append((pk, name, "", definition.key, definition.priority, pk, org_id))
            group_rights += [
                (org_id, permission_ids[("organisation", right.value)], pk) for right in sorted(definition.rights)
            ]
    copy_rows(cursor, "auth_group", ["id", "name"], group_rows, label="role groups")
    copy_rows(
        cursor,
        "organisations_role",
        ["id", "name", "description", "key", "priority", "group_id", "organisation_id"],
        role_rows,
        label="roles",
    )
    copy_rows(
        cursor,
        "organisations_organisationgroupobjectpermission",
        ["id", "content_object_id", "permission_id", "group_id"],
        ((pk, *row) for pk, row in enumerate(group_rights, 1)),
        label="role rights (guardian)",
    )
    memberships = []
    for first, last, role in BIG_ROLES:
        memberships += [(1, user_id, role) for user_id in range(first, last + 1)]
    for org_id in range(2, n_orgs + 1):
        base = FIRST_SMALL_MEMBER + (org_id - 2) * len(SMALL_ROLES)
        memberships += [(org_id, base + index, role) for index, role in enumerate(SMALL_ROLES)]
    copy_rows(
        cursor,
        "organisations_membership",
        ["id", "role_id", "joined_at", "expires_at", "invited_by_id", "user_id", "organisation_id"],
        (
            (pk, role_ids[(org_id, role)], now, None, None, user_id, org_id)
            for pk, (org_id, user_id, role) in enumerate(memberships, 1)
        ),
        label="memberships",
    )

    # Applications: 20,000 in the big organisation, three in each other one.
    n_big_apps = SIZES["big_applications"]
    applications = []  # (id, org_id, name, flavor index)
    for index in range(n_big_apps):
        applications.append((index + 1, 1, f"app-{index + 1:05d}", index % len(flavors)))
    for org_id in range(2, n_orgs + 1):
        for index in range(3):
            applications.append((len(applications) + 1, org_id, f"site-{index + 1}", (org_id + index) % 4))
    copy_rows(
        cursor,
        "apps_application",
        [
            "id",
            "name",
            "description",
            "runtime",
            "region",
            "min_instances",
            "max_instances",
            "state",
            "created_at",
            "flavor_id",
            "organisation_id",
        ],
        (
            (
                pk,
                name,
                f"Application {name} of organisation {org_id}",
                RUNTIMES[pk % len(RUNTIMES)],
                REGIONS[pk % len(REGIONS)],
                1,
                1 + pk % 4,
                STATES[pk % len(STATES)],
                now - timedelta(days=pk % 900),
                flavors[flavor][0],
                org_id,
            )
            for pk, org_id, name, flavor in applications
        ),
        label="applications",
    )
    first_app_of = {}
    for pk, org_id, _name, _flavor in applications:
        first_app_of.setdefault(org_id, pk)

    def deployments():
        pk = 0
        for app_id, org_id, _name, _flavor in applications:
            for step in range(2 if org_id == 1 else 1):
                pk += 1
                yield (
                    pk,
                    f"{rng.getrandbits(160):040x}",
                    "user00101@bench.example",
                    "succeeded",
                    now - timedelta(days=30 * (2 - step), minutes=app_id % 1000),
                    now - timedelta(days=30 * (2 - step), minutes=app_id % 1000 - 2),
                    app_id,
                    101 if org_id == 1 else None,
                    None,
                )

    copy_rows(
        cursor,
        "apps_deployment",
        [
            "id",
            "commit",
            "author_label",
            "status",
            "created_at",
            "finished_at",
            "application_id",
            "author_id",
            "redeploy_of_id",
        ],
        deployments(),
        label="deployments",
    )

    # Add-ons: 200 in the big organisation (each linked to five applications), one in each other one.
    addons = [
        (index + 1, 1, f"addon-{index + 1:03d}", plans[index % len(plans)]) for index in range(SIZES["big_addons"])
    ]
    for org_id in range(2, n_orgs + 1):
        addons.append((len(addons) + 1, org_id, "db", plans[0]))
    copy_rows(
        cursor,
        "apps_addon",
        ["id", "name", "region", "created_at", "organisation_id", "plan_id", "secret"],
        ((pk, name, "par", now, org_id, plan[0], f"secret{pk:08d}") for pk, org_id, name, plan in addons),
        label="add-ons",
    )

    def addon_links():
        pk = 0
        for addon_id, org_id, _name, _plan in addons:
            targets = [(addon_id - 1) * 5 + k + 1 for k in range(5)] if org_id == 1 else [first_app_of[org_id]]
            for app_id in targets:
                pk += 1
                yield (pk, addon_id, app_id)

    copy_rows(cursor, "apps_addon_applications", ["id", "addon_id", "application_id"], addon_links(), label="links")

    # Per-application grants to people outside the organisations, with their guardian permissions.
    grants = []  # (application id, user id, level)
    levels = list(LEVEL_PERMISSIONS)
    detail_app = 1
    for index in range(SIZES["detail_grants"]):
        grants.append((detail_app, FIRST_GRANTEE + index, levels[index % 3]))
    for index in range(SIZES["big_grants"] - SIZES["detail_grants"]):
        grants.append(
            (2 + index % (n_big_apps - 1), FIRST_GRANTEE + index % (n_users - FIRST_GRANTEE), levels[index % 3])
        )
    for org_id in range(2, n_orgs + 1):
        grants.append((first_app_of[org_id], FIRST_GRANTEE + org_id, levels[org_id % 3]))
    grants = list(dict.fromkeys(grants))
    seen = set()
    grants = [g for g in grants if (g[0], g[1]) not in seen and not seen.add((g[0], g[1]))]
    copy_rows(
        cursor,
        "apps_applicationgrant",
        ["id", "level", "expires_at", "created_at", "application_id", "granted_by_id", "user_id"],
        ((pk, level, None, now, app_id, 1, user_id) for pk, (app_id, user_id, level) in enumerate(grants, 1)),
        label="grants",
    )

    def grant_permissions():
        pk = 0
        for app_id, user_id, level in grants:
            for codename in LEVEL_PERMISSIONS[level]:
                pk += 1
                yield (pk, app_id, permission_ids[("application", codename)], user_id)

    copy_rows(
        cursor,
        "apps_applicationuserobjectpermission",
        ["id", "content_object_id", "permission_id", "user_id"],
        grant_permissions(),
        label="grant permissions (guardian)",
    )

    # The activity log: 100,000 entries in the big organisation, twenty in each other one.
    def activities():
        pk = 0
        span = 36 * 30 * 24 * 3600
        for org_id in range(1, n_orgs + 1):
            count = SIZES["big_activity"] if org_id == 1 else 20
            name = "Big Agency" if org_id == 1 else f"Organisation {org_id:03d}"
            for index in range(count):
                pk += 1
                actor = 1 + index % 100 if org_id == 1 else FIRST_SMALL_MEMBER + (org_id - 2) * 4
                app_id = 1 + index % n_big_apps if org_id == 1 else first_app_of[org_id]
                yield (
                    pk,
                    name,
                    f"user{actor:05d}@bench.example",
                    VERBS[index % len(VERBS)],
                    "application",
                    str(app_id),
                    f"app-{app_id:05d}",
                    None,
                    json.dumps({"state": "running"}),
                    now - timedelta(seconds=span * index // count),
                    actor,
                    org_id,
                )

    copy_rows(
        cursor,
        "organisations_activity",
        [
            "id",
            "organisation_name",
            "actor_label",
            "verb",
            "target_type",
            "target_id",
            "target_label",
            "before",
            "after",
            "created_at",
            "actor_id",
            "organisation_id",
        ],
        activities(),
        label="activity",
    )

    # Billing: a profile (French business: 20 % VAT) and a default card for every organisation.
    copy_rows(
        cursor,
        "billing_billingprofile",
        [
            "id",
            "customer_type",
            "billing_email",
            "company_name",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "vat_number",
            "updated_at",
            "organisation_id",
        ],
        (
            (pk, "business", "", f"Company {pk:03d} SAS", "1 rue de la Paix", "", "75002", "Paris", "FR", "", now, pk)
            for pk in range(1, n_orgs + 1)
        ),
        label="billing profiles",
    )
    copy_rows(
        cursor,
        "billing_paymentmethod",
        [
            "id",
            "kind",
            "is_default",
            "holder_name",
            "card_brand",
            "card_last4",
            "card_exp_month",
            "card_exp_year",
            "iban_masked",
            "mandate_reference",
            "created_at",
            "organisation_id",
        ],
        ((pk, "card", True, "", "visa", "4242", 12, 2030, "", "", now, pk) for pk in range(1, n_orgs + 1)),
        label="payment methods",
    )

    # Daily usage from 36 months back to yesterday.
    start = usage_start(today)
    days = [start + timedelta(days=offset) for offset in range((today - start).days)]
    services = []  # (kind, service id, org_id, name, flavor_id, plan_id, unit price, application id, addon id)
    flavor_by_id = {pk: price for pk, _code, price in flavors}
    for app_id, org_id, name, flavor in applications:
        if (org_id == 1 and app_id <= SIZES["big_usage_applications"]) or (
            org_id != 1 and app_id == first_app_of[org_id]
        ):
            flavor_id = flavors[flavor][0]
            price = Decimal(flavor_by_id[flavor_id]).quantize(Decimal("0.000001"))
            services.append(("application", app_id, org_id, name, flavor_id, None, price))
    for addon_id, org_id, name, plan in addons[: SIZES["big_usage_addons"]]:
        price = (Decimal(plan[4]) / Decimal(720)).quantize(Decimal("0.000001"))
        services.append(("addon", addon_id, org_id, name, None, plan[0], price))

    def usage():
        pk = 0
        for kind, service_id, org_id, name, flavor_id, plan_id, price in services:
            weights = [1.0 + (service_id * 7 + k) % 5 * 0.5 for k in range(7)]
            for day in days:
                pk += 1
                quantity = "24.00" if kind == "addon" else f"{24 * weights[day.weekday()]:.2f}"
                yield (
                    pk,
                    kind,
                    f"{kind}:{service_id}",
                    name,
                    day.isoformat(),
                    quantity,
                    price,
                    service_id if kind == "addon" else None,
                    service_id if kind == "application" else None,
                    flavor_id,
                    org_id,
                    plan_id,
                )

    usage_count = copy_rows(
        cursor,
        "billing_usagerecord",
        [
            "id",
            "kind",
            "service_key",
            "service_name",
            "day",
            "quantity",
            "unit_price",
            "addon_id",
            "application_id",
            "flavor_id",
            "organisation_id",
            "plan_id",
        ],
        usage(),
        label="usage records",
    )

    # The monthly roll-up the consumption page reads (billing.models.UsageMonth), as recording the usage through
    # billing.services.usage_record would have written it: one INSERT ... SELECT ... GROUP BY over the copied rows.
    from billing.services import usage_months_insert

    log("usage roll-up")
    cursor.execute(*usage_months_insert(start=start, end=today))

    # COPY gave explicit ids: move every sequence past them.
    for table in [
        "accounts_user",
        "account_emailaddress",
        "organisations_organisation",
        "organisations_membership",
        "auth_group",
        "organisations_role",
        "organisations_organisationgroupobjectpermission",
        "apps_application",
        "apps_deployment",
        "apps_addon",
        "apps_addon_applications",
        "apps_applicationgrant",
        "apps_applicationuserobjectpermission",
        "organisations_activity",
        "billing_billingprofile",
        "billing_paymentmethod",
        "billing_usagerecord",
    ]:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
    connection.commit() if not connection.get_autocommit() else None
    log("analyze")
    cursor.execute("ANALYZE")
    log(f"data set built in {time.monotonic() - started:.0f} s ({usage_count:,} usage rows)")
    return {"usage_rows": usage_count, "first_day": start.isoformat(), "months": SIZES["usage_months"]}


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if "console_bench" not in url:
        sys.exit("Set DATABASE_URL to a console_bench* PostgreSQL database (make bench does).")
    recreate_database(url)
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    log("migrate")
    call_command("migrate", verbosity=0, interactive=False)
    summary = build(timezone.localdate())
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
