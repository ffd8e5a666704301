"""The one-line text fields of the console's forms and models (names, labels, addresses): ``validate_one_line``."""

from django import forms
from django.db import models

from .validators import validate_one_line


class OneLineField(forms.CharField):
    """A form's one-line text: no line break, no control character."""

    default_validators = [validate_one_line]


class OneLineCharField(models.CharField):
    """A model's one-line text, validated by ``validate_one_line`` in its forms, the admin and ``full_clean``."""

    default_validators = [validate_one_line]

    def deconstruct(self):
        # The rule is the application's, the column a CharField's: migrations see a CharField, and need none.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": OneLineField, **kwargs})
