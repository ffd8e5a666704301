"""
The sections of an organisation's console, as shown in the page shell.

A section names a URL; whether it is shown is decided by the right its view declares (``required_right``), so
the navigation and the views cannot disagree. Sections whose URL is not installed are left out.
"""

from dataclasses import dataclass
from functools import cache

from django.urls import NoReverseMatch, get_script_prefix, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    url_name: str
    label: Promise
    icon: str


SECTIONS = (
    Section("organisations:overview", _("Overview"), "home"),
    Section("apps:list", _("Applications"), "apps"),
    Section("apps:addons", _("Add-ons"), "addons"),
    Section("organisations:members", _("Members"), "members"),
    Section("billing:invoices", _("Billing"), "billing"),
    Section("organisations:activity", _("Activity"), "activity"),
    Section("organisations:settings", _("Settings"), "settings"),
)


@cache
def section_right(url_name: str):
    """The right declared by the view behind ``url_name``; None when the URL is not installed."""
    try:
        match = resolve(reverse(url_name, kwargs={"slug": "x"}))
    except NoReverseMatch:
        return None
    view_class = getattr(match.func, "view_class", None)
    return getattr(view_class, "required_right", None)


SLUG_MARK = "slug-placeholder"


@cache
def _url_pattern(url_name: str, script_prefix: str) -> tuple[str, str]:
    """The section's URL around its slug, reversed once per process (and script prefix): a slug is only letters,
    digits, hyphens and underscores, so putting it between the two halves is what ``reverse`` would give."""
    before, _mark, after = reverse(url_name, kwargs={"slug": SLUG_MARK}).partition(SLUG_MARK)
    return before, after


def section_url(url_name: str, slug: str) -> str:
    before, after = _url_pattern(url_name, get_script_prefix())
    return f"{before}{slug}{after}"


def sections_for(access, current_path: str = "") -> list[dict]:
    """The sections the access allows, with their URLs for its organisation."""
    visible = []
    for section in SECTIONS:
        right = section_right(section.url_name)
        if right is None or not access.has(right):
            continue
        url = section_url(section.url_name, access.organisation.slug)
        visible.append(
            {
                "url_name": section.url_name,
                "label": section.label,
                "icon": section.icon,
                "url": url,
                "is_current": current_path.startswith(url),
            }
        )
    return visible
