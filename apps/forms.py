from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from billing.models import AddonPlan, Flavor
from organisations.fields import OneLineField

from . import validators
from .models import MAX_INSTANCES, MAX_VARIABLE_VALUE, Application, ApplicationGrant


def _flavor_field():
    return forms.ModelChoiceField(
        label=_("Flavor"),
        queryset=Flavor.objects.filter(is_active=True),
        empty_label=None,
        help_text=_("The size of each instance; its hourly price is on the price list."),
    )


def _instances_field(label):
    return forms.IntegerField(label=label, min_value=1, max_value=MAX_INSTANCES, initial=1)


class FlavorChoiceLabels:
    def label_from_instance(self, flavor):
        vcpus = formats.number_format(flavor.vcpus.normalize())
        price = formats.number_format(flavor.hourly_price, decimal_pos=4)
        return f"{flavor.name} · {vcpus} vCPU · {flavor.memory_mb} MiB · {price} €/h"


class ScalingForm(forms.Form):
    flavor = _flavor_field()
    min_instances = _instances_field(_("Minimum instances"))
    max_instances = _instances_field(_("Maximum instances"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flavor"].label_from_instance = FlavorChoiceLabels().label_from_instance

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_instances"), cleaned.get("max_instances")
        if low is not None and high is not None and low > high:
            self.add_error("max_instances", _("The maximum must be at least the minimum."))
        return cleaned


class ApplicationCreateForm(ScalingForm):
    name = OneLineField(
        label=_("Name"),
        max_length=64,
        validators=[validators.validate_resource_name],
        help_text=_("Lowercase letters, digits and hyphens, e.g. shop-front."),
    )
    description = OneLineField(label=_("Description"), max_length=255, required=False)
    runtime = forms.ChoiceField(label=_("Runtime"), choices=Application.Runtime.choices)
    region = forms.ChoiceField(label=_("Region"), choices=Application.Region.choices)
    field_order = ["name", "description", "runtime", "region", "flavor", "min_instances", "max_instances"]


class ApplicationFilterForm(forms.Form):
    q = OneLineField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *Application.State.choices]
    )
    runtime = forms.ChoiceField(
        label=_("Runtime"), required=False, choices=[("", _("Any runtime")), *Application.Runtime.choices]
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("Any region")), *Application.Region.choices]
    )


class DeleteApplicationForm(forms.Form):
    confirm_name = OneLineField(label=_("Type the application's name to confirm"), max_length=64, strip=False)

    def __init__(self, *args, application, **kwargs):
        self.application = application
        super().__init__(*args, **kwargs)

    def clean_confirm_name(self):
        value = self.cleaned_data["confirm_name"]
        if value != self.application.name:
            raise ValidationError(_("Type the application's name exactly to confirm."))
        return value


class VariableForm(forms.Form):
    name = OneLineField(label=_("Name"), max_length=128, validators=[validators.validate_variable_name])
    value = forms.CharField(
        label=_("Value"),
        required=False,
        strip=False,
        max_length=MAX_VARIABLE_VALUE,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_value(self):
        value = self.cleaned_data["value"]
        validators.validate_variable_value(value)
        return value


class VariablesTextForm(forms.Form):
    text = forms.CharField(
        label=_("Variables"),
        required=False,
        strip=False,
        max_length=validators.MAX_VARIABLES_TEXT,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "monospace"}),
        help_text=_("One NAME=value per line; lines starting with # are ignored. Variables left out are deleted."),
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        self.cleaned_data["variables"] = validators.parse_variables(text)
        return text


class DomainForm(forms.Form):
    hostname = OneLineField(label=_("Hostname"), max_length=253, help_text=_("e.g. www.example.com"))

    def clean_hostname(self):
        hostname = validators.normalise_hostname(self.cleaned_data["hostname"])
        validators.validate_hostname(hostname)
        return hostname


class DeployForm(forms.Form):
    commit = OneLineField(
        label=_("Commit"),
        required=False,
        max_length=40,
        help_text=_("A commit hash; leave empty to deploy the latest commit of the repository."),
    )

    def clean_commit(self):
        commit = self.cleaned_data["commit"].strip().lower()
        if commit:
            validators.validate_commit(commit)
        return commit


class AddonCreateForm(forms.Form):
    name = OneLineField(
        label=_("Name"),
        max_length=64,
        validators=[validators.validate_resource_name],
        help_text=_("Lowercase letters, digits and hyphens, e.g. shop-db."),
    )
    plan = forms.ModelChoiceField(label=_("Kind and plan"), queryset=AddonPlan.objects.filter(is_active=True))
    region = forms.ChoiceField(label=_("Region"), choices=Application.Region.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].label_from_instance = lambda plan: f"{plan} · {plan.monthly_price} €/month"


class AddonLinkForm(forms.Form):
    applications = forms.ModelMultipleChoiceField(
        label=_("Linked applications"),
        queryset=Application.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applications"].queryset = Application.objects.filter(organisation=organisation).order_by("name")


class GrantForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The person receives an invitation; the access starts once they accept it."),
    )
    level = forms.ChoiceField(
        label=_("Access"),
        choices=ApplicationGrant.Level.choices,
        help_text=_(
            "View: see the application. Deploy: also deploy, start, stop and restart. "
            "Manage: also configure variables, domains and scaling."
        ),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Optional: the access ends at this time."),
    )

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(_("The expiry must be in the future."))
        return expires_at
