"""The rules for what people type: names, hostnames, environment variables. Used by the forms and the services."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import MAX_VARIABLE_VALUE

NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
VARIABLE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
HOSTNAME_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
COMMIT_RE = re.compile(r"^[0-9a-f]{7,40}$")
MAX_VARIABLES = 200
MAX_VARIABLES_TEXT = 64 * 1024


def validate_resource_name(value: str) -> None:
    """An application's or add-on's name: lowercase letters, digits and hyphens, as in a hostname."""
    if not NAME_RE.match(value):
        raise ValidationError(
            _("Use 1 to 64 lowercase letters, digits and hyphens, not starting or ending with a hyphen."),
            code="invalid_name",
        )


def validate_variable_name(value: str) -> None:
    if not VARIABLE_NAME_RE.match(value):
        raise ValidationError(
            _("%(name)s: use letters, digits and underscores, not starting with a digit (at most 128 characters).")
            % {"name": value[:40] or _("(empty)")},
            code="invalid_variable_name",
        )


def validate_variable_value(value: str, name: str = "") -> None:
    if len(value) > MAX_VARIABLE_VALUE:
        raise ValidationError(
            _("%(name)s: a value has at most %(max)d characters.")
            % {"name": name or _("Value"), "max": MAX_VARIABLE_VALUE},
            code="value_too_long",
        )
    # One line, so that the "edit as text" mode shows every variable as it is; multi-line secrets go in base64.
    if any(char in value for char in "\x00\r\n"):
        raise ValidationError(
            _("%(name)s: a value is one line, without line breaks or null characters.") % {"name": name or _("Value")},
            code="invalid_value",
        )


def normalise_hostname(value: str) -> str:
    return value.strip().lower().rstrip(".")


def validate_hostname(value: str) -> None:
    """A fully qualified hostname: at least two labels, a letter-only top-level label, 253 characters at most."""
    message = _("Enter a hostname such as www.example.com (letters, digits, hyphens and dots).")
    if not value or len(value) > 253:
        raise ValidationError(message, code="invalid_hostname")
    labels = value.split(".")
    if len(labels) < 2 or not all(HOSTNAME_LABEL_RE.match(label) for label in labels):
        raise ValidationError(message, code="invalid_hostname")
    if not labels[-1].isalpha() or len(labels[-1]) < 2:
        raise ValidationError(message, code="invalid_hostname")


def validate_commit(value: str) -> None:
    if not COMMIT_RE.match(value):
        raise ValidationError(_("A commit is 7 to 40 hexadecimal characters."), code="invalid_commit")


def parse_variables(text: str) -> dict[str, str]:
    """Read ``NAME=value`` lines (blank lines and ``#`` comments ignored); every error names its line."""
    if len(text) > MAX_VARIABLES_TEXT:
        raise ValidationError(_("The text is too long (at most %(max)d characters).") % {"max": MAX_VARIABLES_TEXT})
    variables: dict[str, str] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep:
            errors.append(_("Line %(line)d: write NAME=value.") % {"line": number})
            continue
        try:
            validate_variable_name(name)
            validate_variable_value(value, name)
        except ValidationError as error:
            errors.extend(_("Line %(line)d: %(error)s") % {"line": number, "error": m} for m in error.messages)
            continue
        if name in variables:
            errors.append(_("Line %(line)d: %(name)s is given twice.") % {"line": number, "name": name})
            continue
        variables[name] = value
    if len(variables) > MAX_VARIABLES:
        errors.append(_("An application has at most %(max)d variables.") % {"max": MAX_VARIABLES})
    if errors:
        raise ValidationError(errors)
    return variables


def variables_as_text(variables) -> str:
    return "".join(f"{variable.name}={variable.value}\n" for variable in variables)
