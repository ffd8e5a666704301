"""
The generation of an organisation: a token that changes after every committed change to what its pages show.

Rendered parts of the pages (``{% organisation_fragment %}``, console/templatetags/fragments.py) are cached with
the generation they were rendered under and served only while it is still the current one, so a change is seen on
the next request, by every worker (the token lives in the shared cache). The token is dropped after the commit of
the change; the next reader draws a new one. Whatever was rendered before or during the change carries a token
that will never be current again.

What changes an organisation is wired in one place per app (``organisations.apps``, ``apps.apps``,
``billing.apps``): saving or deleting any of its rows, and the people shown in its pages (a name, an email, a
second factor). Writes that bypass model signals (``bulk_create``, ``QuerySet.update``) call
``organisation_changed`` themselves.
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

KEY = "organisation-generation:{}"


def organisation_generation(organisation_id: int) -> str:
    key = KEY.format(organisation_id)
    generation = shared_cache.get(key)
    if generation is None:
        generation = new_generation(organisation_id)
    return generation


def new_generation(organisation_id: int) -> str:
    """A new token for an organisation that has none (never read, or changed since); the first writer wins."""
    key = KEY.format(organisation_id)
    token = secrets.token_hex(8)
    if shared_cache.add(key, token, timeout=None):
        return token
    return shared_cache.get(key) or token


def organisation_changed(organisation_ids: int | Iterable[int | None] | None) -> None:
    """Retire the current generation of these organisations once the current transaction commits (at once
    outside a transaction)."""
    if organisation_ids is None:
        return
    ids = {organisation_ids} if isinstance(organisation_ids, int) else {pk for pk in organisation_ids if pk}
    if ids:
        keys = [KEY.format(pk) for pk in sorted(ids)]
        transaction.on_commit(lambda: shared_cache.delete_many(keys))


def changes_organisation(model, organisation_of, *, on_delete: bool = True) -> None:
    """Saving (and deleting, unless ``on_delete`` is False) a row of ``model`` changes the organisation(s) that
    ``organisation_of(row)`` names. Leave ``on_delete`` off for tables that are only ever deleted with their
    organisation or application (which changes it anyway): a delete receiver stops Django's fast cascade."""

    def changed(sender, instance, **kwargs):
        if kwargs.get("raw"):  # loading fixtures
            return
        origin = kwargs.get("origin")
        if origin is not None and origin is not instance and type(origin) in _DELETES_CHANGE_ORGANISATION:
            return  # deleted with its organisation or application, whose own deletion counts (once, not per row)
        organisation_changed(organisation_of(instance))

    uid = f"organisation-generation:{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    if on_delete:
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        _DELETES_CHANGE_ORGANISATION.add(model)


_DELETES_CHANGE_ORGANISATION: set[type] = set()


def changes_people(organisations_of_user) -> None:
    """A person's name, email or second factor shows in the pages of the organisations that
    ``organisations_of_user(user_id)`` returns: changing them changes those organisations."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    def user_saved(sender, instance, update_fields=None, raw=False, **kwargs):
        if raw or (update_fields is not None and set(update_fields) <= {"last_login", "password"}):
            return  # signing in or a new password changes nothing that a page shows
        organisation_changed(organisations_of_user(instance.pk))

    def factor_changed(sender, instance, **kwargs):
        organisation_changed(organisations_of_user(instance.user_id))

    cleared_groups: dict[int, list[int]] = {}  # group.user_set.clear(): its users, read before they are gone

    def groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
        if reverse and action == "pre_clear":
            cleared_groups[instance.pk] = list(instance.user_set.values_list("pk", flat=True))
            return
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        # user.groups.add(...) names one user; group.user_set.add(...) names the users in pk_set, and
        # group.user_set.clear() none (pk_set is None): those read at pre_clear.
        if not reverse:
            user_ids = [instance.pk]
        elif action == "post_clear":
            user_ids = cleared_groups.pop(instance.pk, ())
        else:
            user_ids = pk_set or ()
        for user_id in user_ids:
            organisation_changed(organisations_of_user(user_id))

    uid = f"organisation-generation:people:{organisations_of_user.__module__}"
    user_model = get_user_model()
    post_save.connect(user_saved, sender=user_model, weak=False, dispatch_uid=uid)
    m2m_changed.connect(groups_changed, sender=user_model.groups.through, weak=False, dispatch_uid=uid)
    post_save.connect(factor_changed, sender=Authenticator, weak=False, dispatch_uid=uid)
    post_delete.connect(factor_changed, sender=Authenticator, weak=False, dispatch_uid=uid)


# Rendered fragments of the pages


@cache
def release() -> str:
    """What the fragments are rendered from besides the data: the templates and the compiled translations. Read
    once per process: after a deployment that changes them, no fragment of the previous release is served."""
    roots = [Path(directory) for engine in settings.TEMPLATES for directory in engine.get("DIRS", [])]
    roots += [Path(directory) for directory in settings.LOCALE_PATHS]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in {".html", ".txt", ".mo"}:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


FRAGMENT_TIMEOUT = 60  # seconds: bounds what changes with time alone (expiry dates, overdue invoices)


def _key_part(part) -> str:
    if isinstance(part, (set, frozenset)):
        return ",".join(sorted(map(str, part)))
    return str(part)


def cached_fragment(organisation_id: int | None, parts: Iterable, render: Callable[[], str]) -> str:
    """``render()``'s HTML, from the cache when it was rendered under the organisation's current generation with
    the same ``parts`` (language, query string, the viewer's rights...); one round trip to the cache on a hit.

    Without an organisation, the parts alone must determine the HTML (the page shell: the person, their
    memberships and rights as just read, the path): nothing can make such a fragment stale.

    The HTML must not hold anything that belongs to one browser: ``{% organisation_fragment %}`` renders a
    placeholder in place of the CSRF token.
    """
    digest = hashlib.sha256("\x1f".join(map(_key_part, parts)).encode()).hexdigest()
    if organisation_id is None:
        key = f"fragment:{digest}"
        html = shared_cache.get(key)
        if html is None:
            html = render()
            shared_cache.set(key, html, FRAGMENT_TIMEOUT)
        return html
    key, generation_key = f"organisation-fragment:{organisation_id}:{digest}", KEY.format(organisation_id)
    found = shared_cache.get_many([generation_key, key])
    generation = found.get(generation_key) or new_generation(organisation_id)
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    html = render()
    shared_cache.set(key, (generation, html), FRAGMENT_TIMEOUT)
    return html
