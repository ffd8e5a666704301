"""``{% organisation_fragment organisation part ... %}…{% endorganisation_fragment %}``: the enclosed HTML, cached
until anything in the organisation changes (organisations/generations.py).

The parts name everything else the HTML depends on: the page's query string, the viewer's rights, the viewer's
id when the HTML singles them out. The active language is always part of the key. What the enclosed HTML reads
should come lazily from the view, so that a cached fragment costs no query.

Only the answers to GET are cached: a form sent back with its errors is rendered afresh. Forms inside keep
working: ``{% csrf_token %}`` is rendered as a placeholder, cached as such, and replaced by the request's own
token each time the fragment is served.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from organisations.generations import cached_fragment

register = template.Library()

CSRF_PLACEHOLDER = "csrf-token-of-the-request"


class OrganisationFragmentNode(template.Node):
    def __init__(self, nodelist, organisation, parts):
        self.nodelist, self.organisation, self.parts = nodelist, organisation, parts

    def render(self, context):
        request = context.get("request")
        if request is None or request.method not in {"GET", "HEAD"}:
            return self.nodelist.render(context)
        organisation = self.organisation.resolve(context)
        parts = [get_language(), *(part.resolve(context) for part in self.parts)]
        csrf_token = context.get("csrf_token")
        with context.push(csrf_token=CSRF_PLACEHOLDER if csrf_token else None):
            html = cached_fragment(organisation.pk, parts, lambda: self.nodelist.render(context))
        if csrf_token:
            html = html.replace(CSRF_PLACEHOLDER, str(csrf_token))
        return mark_safe(html)  # noqa: S308 - HTML rendered by the template engine


@register.tag
def organisation_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes an organisation and at least one part of the key.")
    nodelist = parser.parse(("endorganisation_fragment",))
    parser.delete_first_token()
    organisation, *parts = (parser.compile_filter(bit) for bit in bits[1:])
    return OrganisationFragmentNode(nodelist, organisation, parts)
