"""Validators shared by the forms and models of every app of the console."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control characters (CR, LF, tab, NUL, escape, DEL, the C1 range with NEL) and the Unicode line and paragraph
# separators: a name holding one is no longer one line where it is written out (an email's subject or body, a CSV
# cell, a PDF, a log line).
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_one_line(value: str) -> None:
    """Refuse text holding a line break or a control character: names, addresses, labels are one line."""
    if _NOT_ONE_LINE.search(str(value)):
        raise ValidationError(
            _("Enter a single line of text, without line breaks, tabs or other control characters."),
            code="one_line",
        )
