import pytest
from django.template import Context, Template
from django.urls import reverse


@pytest.mark.parametrize(
    ("viewname", "args"),
    [
        ("organisations:member_role", ["acme"]),
        ("organisations:member_remove", ["a-slug-2147480647"]),
        ("billing:invoice_pdf", ["acme"]),
    ],
)
@pytest.mark.parametrize("pk", [1, 7, 42, 2147480647, 10**12])
def test_row_url_is_what_the_url_tag_gives(viewname, args, pk):
    template = Template("{% load rows %}{% row_url viewname slug as link %}{{ link|for_row:pk }}")
    rendered = template.render(Context({"viewname": viewname, "slug": args[0], "pk": pk}))
    assert rendered == reverse(viewname, args=[*args, pk])
