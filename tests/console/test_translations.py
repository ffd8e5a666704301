"""The whole console in English and French: the French catalogue is complete, compiled and up to date."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_french_entry_is_translated():
    catalogue = polib.pofile(str(CATALOGUE))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    empty_plurals = [entry.msgid for entry in catalogue if entry.msgid_plural and not all(entry.msgstr_plural.values())]
    assert not missing, f"{len(missing)} untranslated: {missing[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"
    assert not empty_plurals, empty_plurals[:20]


def test_the_compiled_catalogue_matches_the_source():
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete
    }
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.mofile(str(CATALOGUE.with_suffix(".mo")))}
    assert {key: value for key, value in source.items() if value} == {
        key: value for key, value in compiled.items() if key[1]
    }


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (installed by .ci/run)")
def test_every_marked_string_is_in_the_catalogue(tmp_path):
    """makemessages run on a copy of the project finds no string that the committed catalogue lacks."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "node_modules", "__pycache__", "staticfiles", "*.sqlite3", "test-artifacts"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--ignore=tests", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)},
        timeout=300,
    )
    fresh = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(copy / CATALOGUE.relative_to(ROOT)))}
    committed = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(CATALOGUE))}
    new = sorted(msgid for _, msgid in fresh - committed)
    assert not new, f"{len(new)} strings missing from the catalogue (run `make messages`): {new[:20]}"


@pytest.mark.django_db
def test_the_language_switcher_turns_the_console_french_and_back(client, member):
    from organisations.roles import ADMIN

    client.force_login(member(ADMIN))
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="fr"' in page
    assert "Vos organisations" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Your organisations" in client.get("/").content.decode()
