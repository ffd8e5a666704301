"""The form renderer: Django's, with the ``<select>`` template written in one piece.

Django's ``select.html`` includes ``select_option.html`` for every option, which includes ``attrs.html``: two
template includes per option, about 50 per filter form of the list pages (members, applications, activity), a
fifth of such a page's render time. ``form_templates/django/forms/widgets/select.html`` writes the same markup with
the option and attribute templates inlined; every other template is Django's.
"""

from pathlib import Path

from django.forms import renderers
from django.utils.functional import cached_property


class ConsoleFormRenderer(renderers.DjangoTemplates):
    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(__file__).parent / "form_templates",
                    Path(renderers.__file__).parent / self.backend.app_dirname,
                ],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )
