"""The page shell's sections: URLs reversed once per process, the same as ``reverse`` gives."""

import pytest
from django.urls import reverse

from console.navigation import SECTIONS, section_url


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.url_name)
@pytest.mark.parametrize("slug", ["acme", "a-b_c-9", "x"])
def test_section_urls_are_those_of_reverse(section, slug):
    assert section_url(section.url_name, slug) == reverse(section.url_name, kwargs={"slug": slug})
