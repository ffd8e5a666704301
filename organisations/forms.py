from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from . import selectors
from .activity import verb_label, visible_verbs
from .fields import OneLineField
from .models import Organisation
from .roles import RIGHT_DESCRIPTIONS

# The dates and years the list filters accept: wider than any entry or invoice, narrow enough that a day added or a
# time zone applied to them stays a date (9999-12-31 plus a day, 0001-01-01 in UTC+1 are not).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def filter_date_field(label) -> forms.DateField:
    """An optional date of a list filter, between FIRST_DAY and LAST_DAY (a clear error outside them)."""
    return forms.DateField(
        label=label,
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        widget=forms.DateInput(attrs={"type": "date", "min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()}),
    )


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the organisation a name."))
        return name


class DeleteOrganisationForm(forms.Form):
    confirm_name = OneLineField(label=_("Type the organisation's name to confirm"), max_length=100, strip=False)

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_confirm_name(self):
        value = self.cleaned_data["confirm_name"]
        if value != self.organisation.name:
            raise forms.ValidationError(_("Type the organisation's name exactly to confirm."))
        return value


def _role_choices(manageable_roles) -> list[tuple[str, str]]:
    return [(role.choice_value, role.display_name) for role in manageable_roles]


class MemberFilterForm(forms.Form):
    q = OneLineField(label=_("Name or email"), required=False, max_length=254)
    without_two_factor = forms.BooleanField(label=_("Not secured with two-factor"), required=False)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, manageable_roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(manageable_roles)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"))

    def __init__(self, *args, manageable_roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(manageable_roles)


class MemberRenewForm(forms.Form):
    expires_at = forms.DateTimeField(
        label=_("Access until"),
        required=False,
        help_text=_("Leave empty for access that does not expire."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class RoleForm(forms.Form):
    name = OneLineField(label=_("Name"), max_length=60)
    description = OneLineField(label=_("Description"), max_length=255, required=False)
    rights = forms.MultipleChoiceField(
        label=_("Rights"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(right.value, description) for right, description in RIGHT_DESCRIPTIONS.items()],
    )


class RoleDeleteForm(forms.Form):
    replacement = forms.ChoiceField(label=_("Move its members to"), required=False)

    def __init__(self, *args, role, other_roles, in_use: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replacement"].choices = [("", "—"), *_role_choices(other_roles)]
        self.fields["replacement"].required = in_use
        if not in_use:
            self.fields["replacement"].widget = forms.HiddenInput()


class ConfirmForm(forms.Form):
    """A confirmation: the form is its button."""


class TwoFactorSettingForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication for every member"),
        required=False,
        help_text=_(
            "Members without two-factor authentication are sent to set it up before they reach any page of the "
            "organisation."
        ),
    )


class ActivityFilterForm(forms.Form):
    """The activity log's filters. Their choices never read the log (its size has no bound): the kinds of action are
    the console's known verbs, and the person is typed (an email), checked against the organisation's members and
    the people its log names, with one indexed lookup when the filter is used."""

    actor = OneLineField(
        label=_("Who"), required=False, max_length=254, widget=forms.TextInput(attrs={"type": "search"})
    )
    verb = forms.ChoiceField(label=_("Action"), required=False)
    since = filter_date_field(_("From"))
    until = filter_date_field(_("To"))

    def __init__(self, *args, organisation, rights, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        # Only the kinds of action the reader may see (activity.KIND_RIGHTS).
        self.fields["verb"].choices = [
            ("", _("Any action")),
            *((verb, verb_label(verb)) for verb in visible_verbs(rights)),
        ]

    def clean_actor(self):
        actor = self.cleaned_data["actor"].strip()
        if actor and not selectors.is_known_actor(organisation=self.organisation, actor=actor):
            raise forms.ValidationError(
                _("Select a valid choice. %(value)s is not one of the available choices."), params={"value": actor}
            )
        return actor

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date must be before the end date."))
        return cleaned
