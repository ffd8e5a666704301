from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors
from .activity import VERB_LABELS, verb_label
from .models import Organisation
from .roles import RIGHT_DESCRIPTIONS


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
    confirm_name = forms.CharField(label=_("Type the organisation's name to confirm"), max_length=100, strip=False)

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
    q = forms.CharField(label=_("Name or email"), required=False, max_length=254)
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


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
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

    actor = forms.CharField(
        label=_("Who"), required=False, max_length=254, widget=forms.TextInput(attrs={"type": "search"})
    )
    verb = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["verb"].choices = [
            ("", _("Any action")),
            *((verb, verb_label(verb)) for verb in sorted(VERB_LABELS)),
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
