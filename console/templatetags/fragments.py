"""``{% organisation_fragment organisation part ... %}…{% endorganisation_fragment %}``: the enclosed HTML, cached
until anything in the organisation changes (organisations/generations.py).

The parts name everything else the HTML depends on: the page's query string, the viewer's rights, the viewer's
id when the HTML singles them out. The active language is always part of the key. What the enclosed HTML reads
should come lazily from the view, so that a cached fragment costs no query.

``{% shell_fragment part... %}`` caches the page shell the same way, under parts that determine it entirely
(``organisations.context_processors``), with no generation.

Only the answers to GET are cached: a form sent back with its errors is rendered afresh. Forms inside keep
working: ``{% csrf_token %}`` is rendered as a placeholder, cached as such, and replaced by the request's own
token each time the fragment is served.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from organisations.generations import cached_fragment, release

register = template.Library()

CSRF_PLACEHOLDER = "csrf-token-of-the-request"


class FragmentNode(template.Node):
    def __init__(self, nodelist, organisation, parts):
        self.nodelist, self.organisation, self.parts = nodelist, organisation, parts

    def render(self, context):
        request = context.get("request")
        if request is None or request.method not in {"GET", "HEAD"}:
            return self.nodelist.render(context)
        organisation_id = self.organisation.resolve(context).pk if self.organisation else None
        parts = [part.resolve(context) for part in self.parts]
        if not all(parts) and organisation_id is None:
            return self.nodelist.render(context)  # no key for the shell (signed out)
        # The outermost template too (the blocks a page overrides inside the fragment), and the release.
        parts = [release(), get_language(), context.template.name, *parts]
        csrf_token = context.get("csrf_token")
        with context.push(csrf_token=CSRF_PLACEHOLDER if csrf_token else None):
            html = cached_fragment(organisation_id, parts, lambda: self.nodelist.render(context))
        if csrf_token:
            # The attribute with its quotes: escaped text (a name, a description) can never hold a double quote.
            html = html.replace(f'value="{CSRF_PLACEHOLDER}"', f'value="{csrf_token}"')
        return mark_safe(html)  # noqa: S308 - HTML rendered by the template engine


@register.tag
def organisation_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes an organisation and at least one part of the key.")
    nodelist = parser.parse(("endorganisation_fragment",))
    parser.delete_first_token()
    organisation, *parts = (parser.compile_filter(bit) for bit in bits[1:])
    return FragmentNode(nodelist, organisation, parts)


@register.tag
def shell_fragment(parser, token):
    """``{% shell_fragment part... %}…{% endshell_fragment %}``: cached under the parts alone, which must
    determine the HTML (no organisation generation)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes at least one part of the key.")
    nodelist = parser.parse(("endshell_fragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, None, [parser.compile_filter(bit) for bit in bits[1:]])
