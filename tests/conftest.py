import importlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, connections

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


# PgBouncer in transaction mode, started by the tests that need it (the Debian package; make test installs it).


@dataclass
class PgBouncer:
    port: int

    @contextmanager
    def serving(self, *, server_side_cursors: bool):
        """Every database connection made inside goes through this PgBouncer; for transactional tests."""
        database = connection.settings_dict  # every thread's connection is made from this one dictionary
        saved = {key: database.get(key) for key in ("PORT", "DISABLE_SERVER_SIDE_CURSORS", "CONN_MAX_AGE")}
        connections.close_all()
        database.update(PORT=str(self.port), DISABLE_SERVER_SIDE_CURSORS=not server_side_cursors, CONN_MAX_AGE=0)
        try:
            connection.ensure_connection()
            assert connection.connection.info.port == self.port
            yield
        finally:
            connections.close_all()
            database.update(saved)


@pytest.fixture
def pgbouncer():
    """A PgBouncer in transaction mode on a free port in front of the test database, with two server connections
    for all its clients (so they take turns on them); stopped after the test."""
    binary = next(
        (path for path in (shutil.which("pgbouncer"), "/usr/sbin/pgbouncer") if path and os.access(path, os.X_OK)),
        None,
    )
    if binary is None:
        pytest.fail("PgBouncer is not installed: apt-get install pgbouncer (make test installs it).")
    database = connection.settings_dict
    directory = tempfile.mkdtemp(prefix="pgbouncer-")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = f"host={database['HOST'] or '127.0.0.1'} port={database['PORT'] or 5432} dbname={database['NAME']}"
    if database["PASSWORD"]:
        server += f" password={database['PASSWORD']}"
    config, users, log = (os.path.join(directory, name) for name in ("pgbouncer.ini", "users.txt", "pgbouncer.log"))
    with open(config, "w") as file:
        file.write(
            f"[databases]\n{database['NAME']} = {server}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\nlogfile = {log}\n"
            "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 50\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
    with open(users, "w") as file:
        file.write(f'"{database["USER"]}" ""\n')
    command = [binary, config]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        names = {entry.pw_name for entry in pwd.getpwall()}
        user = pwd.getpwnam("postgres" if "postgres" in names else "nobody")
        os.chmod(directory, 0o755)
        for path in (directory, config, users):
            os.chown(path, user.pw_uid, user.pw_gid)
        command = [binary, "-u", user.pw_name, config]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output = process.communicate()[0].decode()
                    pytest.fail(
                        f"PgBouncer did not start: {output} {Path(log).read_text() if os.path.exists(log) else ''}"
                    )
                time.sleep(0.05)
        yield PgBouncer(port=port)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
