from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organisation


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
