import inspect

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

import apps.forms
import billing.forms
import organisations.forms
from accounts.models import User
from apps.models import Addon, Application, Deployment, Domain, EnvironmentVariable
from billing.models import AddonPlan, BillingProfile, Credit, Flavor, Invoice, Payment, PaymentMethod
from organisations.fields import OneLineCharField, OneLineField
from organisations.models import Organisation
from organisations.roles import ADMIN
from organisations.validators import validate_one_line
from tests.accounts.factories import UserFactory
from tests.organisations.members_support import url

# CR and LF (an email header or body), tab, NUL, escape, DEL, NEL and the Unicode line and paragraph separators.
NOT_ONE_LINE = ["Acme\r\nBcc: x@evil.example", "Acme\nWeb", "Ac\rme", "Ac\tme", "Ac\x00me", "Ac\x1bme", "Ac\x7fme"]
NOT_ONE_LINE += ["Ac\x85me", "Ac\u2028me", "Ac\u2029me"]
ONE_LINE = ["Acme", "Agence Étoile", "株式会社", "O'Brien & Sons — Paris", "🚀 launch", ""]

# The text fields of the forms that are several lines by nature.
MULTI_LINE = {("VariableForm", "value"), ("VariablesTextForm", "text"), ("OrganisationForm", "description")}

# Every text field a person types, in a form, the admin or the API: one line.
ONE_LINE_MODEL_FIELDS = [
    (Organisation, "name"),
    (Application, "name"),
    (Application, "description"),
    (Addon, "name"),
    (EnvironmentVariable, "name"),
    (Domain, "hostname"),
    (Deployment, "commit"),
    (BillingProfile, "company_name"),
    (BillingProfile, "address_line1"),
    (BillingProfile, "address_line2"),
    (BillingProfile, "postal_code"),
    (BillingProfile, "city"),
    (BillingProfile, "vat_number"),
    (PaymentMethod, "holder_name"),
    (Credit, "label"),
    (Invoice, "reason"),
    (Payment, "reference"),
    (Flavor, "name"),
    (AddonPlan, "name"),
    (User, "name"),
]


def console_form_classes():
    for module in (organisations.forms, apps.forms, billing.forms):
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                yield value


@pytest.mark.parametrize("value", NOT_ONE_LINE)
def test_the_validator_refuses_line_breaks_and_control_characters(value):
    with pytest.raises(ValidationError) as refused:
        validate_one_line(value)
    assert refused.value.code == "one_line"


@pytest.mark.parametrize("value", ONE_LINE)
def test_the_validator_accepts_one_line_in_any_script(value):
    validate_one_line(value)


def test_the_error_is_clear_in_english_and_french():
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        OneLineField().clean("Acme\nWeb")
    assert refused.value.messages == [
        "Enter a single line of text, without line breaks, tabs or other control characters."
    ]
    with translation.override("fr"):
        with pytest.raises(ValidationError) as refused:
            OneLineField().clean("Acme\nWeb")
        assert "une seule ligne" in refused.value.messages[0]


def test_every_text_field_of_every_form_is_one_line():
    checked = set()
    for form_class in console_form_classes():
        for name, field in form_class.base_fields.items():
            if not isinstance(field, forms.CharField) or (form_class.__name__, name) in MULTI_LINE:
                continue
            checked.add((form_class.__name__, name))
            if not isinstance(field, forms.EmailField):  # an email address has its own validator
                assert validate_one_line in field.validators, f"{form_class.__name__}.{name}"
            for value in NOT_ONE_LINE:
                with pytest.raises(ValidationError):
                    field.clean(value)
    assert {
        ("OrganisationForm", "name"),
        ("ApplicationCreateForm", "name"),
        ("ApplicationCreateForm", "description"),
        ("AddonCreateForm", "name"),
        ("VariableForm", "name"),
        ("DomainForm", "hostname"),
        ("BillingProfileForm", "company_name"),
        ("BillingProfileForm", "address_line1"),
        ("BillingProfileForm", "city"),
        ("BillingProfileForm", "vat_number"),
        ("CardForm", "holder_name"),
        ("SepaForm", "holder_name"),
        ("CreditNoteForm", "reason"),
        ("CreditGrantForm", "label"),
        ("MemberFilterForm", "q"),
        ("ActivityFilterForm", "actor"),
    } <= checked


@pytest.mark.parametrize(("model", "name"), ONE_LINE_MODEL_FIELDS, ids=lambda value: getattr(value, "__name__", value))
def test_every_typed_text_field_of_the_models_is_one_line(model, name):
    field = model._meta.get_field(name)
    assert isinstance(field, OneLineCharField)
    assert validate_one_line in field.validators
    assert isinstance(field.formfield(), OneLineField)
    with pytest.raises(ValidationError):
        field.clean("Acme\r\nBcc: x@evil.example", None)
    # Migrations see a plain CharField: the rule needs no migration.
    assert field.deconstruct()[1] == "django.db.models.CharField"


@pytest.mark.django_db
def test_an_organisation_named_on_two_lines_is_refused(client):
    client.force_login(UserFactory())
    before = Organisation.objects.count()
    response = client.post(reverse("organisations:create"), {"name": "Acme\r\nBcc: x@evil.example"})
    assert response.status_code == 200
    assert "without line breaks" in " ".join(response.context["form"].errors["name"])
    assert Organisation.objects.count() == before


@pytest.mark.django_db
def test_the_organisation_settings_refuse_a_control_character(client, organisation, member):
    client.force_login(member(ADMIN))
    response = client.post(url("settings"), {"name": "Acme\x00", "description": "Two\nlines are fine here."})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    organisation.refresh_from_db()
    assert organisation.name == "Acme Web Agency"
