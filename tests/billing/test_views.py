import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from billing import services
from billing.models import BillingProfile, Invoice, Payment, PaymentMethod
from organisations.models import Activity, Membership
from organisations.roles import ACCOUNTING, ADMIN, DEVELOPER, MANAGER

from .factories import AddonFactory, ApplicationFactory, BillingProfileFactory, CardFactory, usage_of

WHO = ["anonymous", "outsider", ADMIN, MANAGER, DEVELOPER, ACCOUNTING]
EXPECTED = {"anonymous": 302, "outsider": 404, ADMIN: 200, MANAGER: 403, DEVELOPER: 403, ACCOUNTING: 200}
GET_PAGES = [
    "billing:invoices",
    "billing:invoices_csv",
    "billing:invoice",
    "billing:invoice_pdf",
    "billing:consumption",
    "billing:payment_methods",
    "billing:card_add",
    "billing:sepa_add",
    "billing:profile",
    "billing:profile_edit",
]
POST_ACTIONS = {
    "billing:invoice_pay",
    "billing:bank_transfer_add",
    "billing:payment_method_default",
    "billing:payment_method_remove",
}


@pytest.fixture
def invoice(organisation):
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    for day in range(1, 31):
        usage_of(app, date(2026, 11, day), 24)
    return services.invoice_issue(organisation=organisation, month=date(2026, 11, 1), issued_on=date(2026, 12, 1))


@pytest.fixture
def card(organisation):
    return CardFactory(organisation=organisation)


def url_of(name, organisation, invoice=None, card=None):
    kwargs = {"slug": organisation.slug}
    if name in {"billing:invoice", "billing:invoice_pdf", "billing:invoice_pay"}:
        kwargs["invoice_id"] = invoice.pk
    if name in {"billing:payment_method_default", "billing:payment_method_remove"}:
        kwargs["method_id"] = card.pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", GET_PAGES)
def test_billing_pages_are_for_admins_and_accountants(user_as, organisation, invoice, card, who, name):
    client, _user = user_as(who)
    response = client.get(url_of(name, organisation, invoice, card))
    assert response.status_code == EXPECTED[who]
    if who == "anonymous":
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["outsider", MANAGER, DEVELOPER])
@pytest.mark.parametrize("name", sorted(POST_ACTIONS))
def test_billing_actions_are_refused_to_others(user_as, organisation, invoice, card, who, name):
    client, _user = user_as(who)
    response = client.post(url_of(name, organisation, invoice, card))
    assert response.status_code == EXPECTED[who]
    assert not Payment.objects.exists()
    assert list(PaymentMethod.objects.values_list("pk", "is_default")) == [(card.pk, True)]
    assert not Activity.objects.filter(verb__startswith="billing.payment").exists()


def test_another_organisations_invoice_is_not_found(user_as, organisation, invoice):
    from tests.organisations.factories import OrganisationFactory

    client, _user = user_as(ACCOUNTING)
    other = OrganisationFactory()
    app = ApplicationFactory(organisation=other, name="theirs")
    usage_of(app, date(2026, 11, 3), 24)
    theirs = services.invoice_issue(organisation=other, month=date(2026, 11, 1), issued_on=date(2026, 12, 1))
    for name in ["billing:invoice", "billing:invoice_pdf"]:
        assert client.get(reverse(name, args=[organisation.slug, theirs.pk])).status_code == 404
    assert client.post(reverse("billing:invoice_pay", args=[organisation.slug, theirs.pk])).status_code == 404


# The Accountant's whole console is the billing section.


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner or "")
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), f"{namespace}:{entry.name}" if namespace else entry.name, entry


def organisation_url_patterns():
    """Every named URL pattern under ``o/<slug:slug>/``, from the URL configuration itself."""
    return sorted(
        {
            (route, name)
            for route, name, _entry in _walk(get_resolver().url_patterns)
            if route.startswith("o/<slug:slug>/")
        }
    )


@pytest.fixture
def real_objects(organisation, invoice, card, member):
    """Real objects of the organisation, to fill the URL kwargs of every page."""
    application = ApplicationFactory(organisation=organisation, name="site")
    addon = AddonFactory(organisation=organisation, name="site-db")
    developer = member(DEVELOPER)
    return {
        "application": application,
        "addon": addon,
        "membership": Membership.objects.get(organisation=organisation, user=developer),
        "invoice": invoice,
        "card": card,
    }


def fill_kwargs(route: str, objects: dict, organisation) -> dict:
    """Kwargs for ``route``: real objects of the organisation where the name tells which, else a plausible id."""
    import re

    kwargs = {}
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        if name == "slug":
            kwargs[name] = organisation.slug
        elif name == "invoice_id":
            kwargs[name] = objects["invoice"].pk
        elif name == "method_id":
            kwargs[name] = objects["card"].pk
        elif name == "addon_id":
            kwargs[name] = objects["addon"].pk
        elif name == "pk" and "/apps/" in route:
            kwargs[name] = objects["application"].pk
        elif name == "pk" and "/members/" in route:
            kwargs[name] = objects["membership"].pk
        elif converter in {"int", ""} or name.endswith("id") or name == "pk":
            kwargs[name] = 1
        else:
            kwargs[name] = "x"
    return kwargs


# Personal actions of any member, not pages of the organisation.
PERSONAL = {"organisations:entry", "organisations:leave"}


def test_the_url_walk_finds_the_sections():
    names = {name for _route, name in organisation_url_patterns()}
    assert set(GET_PAGES) | POST_ACTIONS <= names
    assert "organisations:settings" in names


def test_the_accountant_reaches_every_billing_page_and_nothing_else(client, organisation, member, real_objects):
    accountant = member(ACCOUNTING)
    client.force_login(accountant)
    counts = (Membership.objects.count(), Invoice.objects.count(), BillingProfile.objects.count())
    reached, refused = [], []
    for route, name in organisation_url_patterns():
        url = reverse(name, kwargs=fill_kwargs(route, real_objects, organisation))
        if name.startswith("billing:"):
            if name in POST_ACTIONS:
                continue  # exercised below
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            reached.append(name)
        elif name == "organisations:entry":
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"] == reverse("billing:invoices", args=[organisation.slug])
        elif name in PERSONAL:
            continue
        else:
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code in {403, 404, 405}, (name, method.__name__, response.status_code)
            refused.append(name)
    assert set(reached) == set(GET_PAGES)
    assert refused  # the other sections exist and were all tried
    assert (Membership.objects.count(), Invoice.objects.count(), BillingProfile.objects.count()) == counts
    # The page shell shows the billing section only.
    page = client.get(reverse("billing:invoices", args=[organisation.slug])).content.decode()
    for other in ["organisations:overview", "organisations:settings"]:
        assert f'href="{reverse(other, args=[organisation.slug])}"' not in page
    # And the billing actions work for them.
    response = client.post(url_of("billing:invoice_pay", organisation, real_objects["invoice"]))
    assert response.status_code == 302
    assert Invoice.objects.get(pk=real_objects["invoice"].pk).status == Invoice.Status.PAID


def test_the_admin_sees_billing_in_the_navigation(user_as, organisation):
    client, _user = user_as(ADMIN)
    page = client.get(reverse("organisations:overview", args=[organisation.slug])).content.decode()
    assert f'href="{reverse("billing:invoices", args=[organisation.slug])}"' in page


# Invoices page


def test_invoices_are_grouped_with_totals_and_filtered_by_year(user_as, organisation, invoice, time_machine):
    time_machine.move_to("2027-02-10")
    app = ApplicationFactory(organisation=organisation, name="next-year")
    usage_of(app, date(2027, 1, 4), 24)
    january = services.invoice_issue(organisation=organisation, month=date(2027, 1, 1), issued_on=date(2027, 2, 1))
    invoice.status = Invoice.Status.PAID
    invoice.save(update_fields=["status"])
    client, _user = user_as(ACCOUNTING)
    page = client.get(reverse("billing:invoices", args=[organisation.slug])).content.decode()
    assert january.number in page and invoice.number not in page  # the latest year by default
    page = client.get(reverse("billing:invoices", args=[organisation.slug]) + "?year=2026").content.decode()
    assert invoice.number in page and january.number not in page
    assert "Paid" in page and "€33.70" in page  # 28.08 + 20 % VAT
    assert "Export 2026 as CSV" in page and "Total 2026" in page  # the year itself, never a callable's repr
    assert client.get(reverse("billing:invoices", args=[organisation.slug]) + "?year=abc").status_code == 200


@pytest.mark.parametrize("year", ["0000", "0001", "9999", "99999999999999999999", "-1", "2026\x00", "1e3"])
@pytest.mark.parametrize("name", ["billing:invoices", "billing:invoices_csv"])
def test_a_year_out_of_range_shows_the_latest_year(user_as, organisation, invoice, name, year):
    client, _user = user_as(ACCOUNTING)
    response = client.get(reverse(name, args=[organisation.slug]), {"year": year})
    assert response.status_code == 200
    assert invoice.number in response.content.decode()


def test_invoice_detail_shows_lines_totals_and_pay_button(user_as, organisation, invoice, card):
    client, _user = user_as(ACCOUNTING)
    page = client.get(reverse("billing:invoice", args=[organisation.slug, invoice.pk])).content.decode()
    assert "shop-front" in page and "€28.08" in page and "€33.70" in page
    assert reverse("billing:invoice_pay", args=[organisation.slug, invoice.pk]) in page


def test_pay_through_the_page(user_as, organisation, invoice, card):
    client, user = user_as(ADMIN)
    response = client.post(reverse("billing:invoice_pay", args=[organisation.slug, invoice.pk]), follow=True)
    assert "paid" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Activity.objects.filter(verb="billing.invoice_paid", actor=user).exists()


def test_a_declined_payment_is_shown(user_as, organisation, invoice):
    CardFactory(organisation=organisation, card_last4="0002")
    client, _user = user_as(ACCOUNTING)
    response = client.post(reverse("billing:invoice_pay", args=[organisation.slug, invoice.pk]), follow=True)
    assert "declined" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING
    assert Payment.objects.get().status == Payment.Status.FAILED


def test_csv_export_of_a_year(user_as, organisation, invoice):
    client, _user = user_as(ACCOUNTING)
    response = client.get(reverse("billing:invoices_csv", args=[organisation.slug]) + "?year=2026")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Number"
    assert rows[1][0] == invoice.number and rows[1][9] == "33.70"
    assert len(rows) == 2


def test_pdf_download(user_as, organisation, invoice):
    client, _user = user_as(ACCOUNTING)
    response = client.get(reverse("billing:invoice_pdf", args=[organisation.slug, invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert invoice.number in response["Content-Disposition"]


def test_amounts_in_french(user_as, organisation, invoice):
    client, _user = user_as(ACCOUNTING)
    page = client.get(
        reverse("billing:invoice", args=[organisation.slug, invoice.pk]), headers={"accept-language": "fr"}
    ).content.decode()
    assert "33,70\u00a0€" in page


# Banners


def test_banner_when_there_is_no_default_payment_method(user_as, organisation):
    client, _user = user_as(ACCOUNTING)
    page = client.get(reverse("billing:invoices", args=[organisation.slug])).content.decode()
    assert "You have no default payment method" in page


def test_banner_when_the_default_card_has_expired(user_as, organisation):
    CardFactory(organisation=organisation, card_exp_month=1, card_exp_year=2020)
    client, _user = user_as(ACCOUNTING)
    page = client.get(reverse("billing:payment_methods", args=[organisation.slug])).content.decode()
    assert "Your default card has expired" in page
    assert "You have no default payment method" not in page


def test_no_banner_with_a_valid_default(user_as, organisation, card):
    client, _user = user_as(ACCOUNTING)
    page = client.get(reverse("billing:invoices", args=[organisation.slug])).content.decode()
    assert "billing-banner" not in page


# Consumption


def test_consumption_shows_month_to_date_estimate_chart_and_past_months(user_as, organisation, time_machine):
    time_machine.move_to("2026-11-11 12:00 +01:00")
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    addon = AddonFactory(organisation=organisation, name="shop-db")
    for day in range(1, 11):
        usage_of(app, date(2026, 11, day), 24)  # 0.936 a day
        usage_of(addon, date(2026, 11, day), 24)
    usage_of(app, date(2026, 10, 5), 100)
    client, _user = user_as(ACCOUNTING)
    page = client.get(reverse("billing:consumption", args=[organisation.slug])).content.decode()
    assert "shop-front" in page and "shop-db" in page
    assert "€9.36" in page  # shop-front, month to date
    assert "€12.69" in page  # 9.36 + 3.33 (10 days of a 10 €/month add-on)
    assert "€38.07" in page  # estimate: 12.69 / 10 days * 30
    assert "<svg" in page and "billing-chart__bar" in page
    assert "October 2026" in page and "€3.90" in page
    past = client.get(reverse("billing:consumption", args=[organisation.slug]) + "?month=2026-10").content.decode()
    assert "€3.90" in past and "shop-db" not in past
    assert client.get(reverse("billing:consumption", args=[organisation.slug]) + "?month=junk").status_code == 200
    for month in ["0000-01", "0001-01", "9999-12", "2026-13", "1999-12", "2026-10\x00"]:
        response = client.get(reverse("billing:consumption", args=[organisation.slug]), {"month": month})
        assert response.status_code == 200 and response.context["is_current"], month


def test_the_chart_draws_in_french_too(user_as, organisation, time_machine):
    """Amounts are localised, SVG coordinates never: "16,9" would not draw."""
    import re

    time_machine.move_to("2026-11-11 12:00 +01:00")
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    usage_of(app, date(2026, 10, 5), 100)
    usage_of(app, date(2026, 11, 5), 33)
    client, _user = user_as(ACCOUNTING)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get(reverse("billing:consumption", args=[organisation.slug])).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    coordinates = re.findall(r'\b(?:x|y|width|height)="([^"]*)"', svg)
    assert coordinates
    assert all("," not in value for value in coordinates), coordinates
    assert "3,90\u00a0€" in page or "3,90 €" in page


def test_consumption_shows_usage_recorded_late_for_a_closed_month_at_once(user_as, organisation, time_machine):
    """The page reads the roll-up written with the usage rows: a row for any day, even of a closed month, shows."""
    time_machine.move_to("2026-11-11 12:00 +01:00")
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    usage_of(app, date(2026, 11, 2), 24)  # 0.936
    usage_of(app, date(2026, 10, 5), 100)  # 3.90
    client, _user = user_as(ACCOUNTING)
    url = reverse("billing:consumption", args=[organisation.slug])
    assert "€0.94" in client.get(url).content.decode() and "€3.90" in client.get(url).content.decode()
    usage_of(app, date(2026, 10, 6), 100)  # late metering of a closed month
    usage_of(app, date(2026, 11, 3), 24)
    page = client.get(url).content.decode()
    assert "€7.80" in page and "€1.87" in page and "€3.90" not in page
    assert "€7.80" in client.get(url + "?month=2026-10").content.decode()
    other = ApplicationFactory(name="elsewhere")
    usage_of(other, date(2026, 11, 4), 1000)  # another organisation's usage changes nothing here
    assert "€1.87" in client.get(url).content.decode()


# Forms: bad input gives a form error and writes nothing.

PROFILE = {
    "customer_type": "business",
    "company_name": "Acme SAS",
    "billing_email": "billing@acme.example",
    "address_line1": "1 rue de la Paix",
    "address_line2": "",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
    "vat_number": "FR40303265045",
}


def test_billing_details_saved(user_as, organisation):
    client, user = user_as(ACCOUNTING)
    response = client.post(reverse("billing:profile_edit", args=[organisation.slug]), PROFILE)
    assert response.status_code == 302
    profile = BillingProfile.objects.get(organisation=organisation)
    assert profile.vat_number == "FR40303265045" and profile.vat_state == "valid"
    page = client.get(reverse("billing:profile", args=[organisation.slug])).content.decode()
    assert "Valid (check digits verified)" in page
    assert Activity.objects.filter(verb="billing.profile_updated", actor=user).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"vat_number": "FR40303265046"}, "vat_number", "check digits"),
        ({"vat_number": "DE136695976"}, "vat_number", "starts with FR"),
        ({"vat_number": "4242 4242 4242 4242"}, "vat_number", "not a valid EU VAT number"),
        ({"company_name": "4242424242424242"}, "company_name", "full card number"),
        ({"address_line1": "Card 4242-4242-4242-4242 please"}, "address_line1", "full card number"),
        ({"company_name": ""}, "company_name", "company"),
        ({"billing_email": "not-an-email"}, "billing_email", "valid email"),
        ({"country": "XX"}, "country", "valid choice"),
        ({"customer_type": "individual", "company_name": ""}, "vat_number", "Only a business"),
    ],
)
def test_billing_details_bad_input(user_as, organisation, changes, field, message):
    client, _user = user_as(ADMIN)
    response = client.post(reverse("billing:profile_edit", args=[organisation.slug]), {**PROFILE, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert len(errors[field]) == 1, errors[field]
    assert not BillingProfile.objects.exists()
    assert not Activity.objects.filter(verb__startswith="billing.").exists()


def test_vat_state_pending_for_an_eu_business_without_number(user_as, organisation):
    BillingProfileFactory(organisation=organisation, country="DE", vat_number="")
    client, _user = user_as(ACCOUNTING)
    assert "Pending" in client.get(reverse("billing:profile", args=[organisation.slug])).content.decode()


CARD = {
    "holder_name": "Ada",
    "brand": "visa",
    "last4": "4242",
    "exp_month": "12",
    "exp_year": str(date.today().year + 2),
}


def test_card_added(user_as, organisation):
    client, user = user_as(ACCOUNTING)
    response = client.post(reverse("billing:card_add", args=[organisation.slug]), CARD)
    assert response.status_code == 302
    method = PaymentMethod.objects.get()
    assert (method.card_last4, method.is_default) == ("4242", True)
    assert Activity.objects.filter(verb="billing.payment_method_added", actor=user).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"last4": "4242424242424242"}, "last4", "full card number"),
        ({"last4": "4242 4242 4242 4242"}, "last4", "full card number"),
        ({"holder_name": "4000 0566 5566 5556"}, "holder_name", "full card number"),
        ({"last4": "42a2"}, "last4", "last four digits"),
        ({"last4": "424"}, "last4", "last four digits"),
        ({"last4": ""}, "last4", "required"),
        ({"brand": "diners"}, "brand", "valid choice"),
        ({"exp_month": "13"}, "exp_month", "valid choice"),
        ({"exp_year": "2001"}, "exp_year", "valid choice"),
    ],
)
def test_card_bad_input(user_as, organisation, changes, field, message):
    client, _user = user_as(ADMIN)
    response = client.post(reverse("billing:card_add", args=[organisation.slug]), {**CARD, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not PaymentMethod.objects.exists()
    assert not Activity.objects.filter(verb__startswith="billing.").exists()


def test_an_expired_card_is_refused(user_as, organisation, time_machine):
    time_machine.move_to("2026-11-15")
    client, _user = user_as(ADMIN)
    response = client.post(
        reverse("billing:card_add", args=[organisation.slug]), {**CARD, "exp_month": "10", "exp_year": "2026"}
    )
    assert "expired" in " ".join(response.context["form"].errors["exp_year"])
    assert not PaymentMethod.objects.exists()


def test_the_full_card_number_is_never_stored(user_as, organisation):
    client, _user = user_as(ADMIN)
    client.post(reverse("billing:card_add", args=[organisation.slug]), {**CARD, "last4": "4242424242424242"})
    client.post(reverse("billing:card_add", args=[organisation.slug]), CARD)
    stored = " ".join(str(value) for row in PaymentMethod.objects.values() for value in row.values())
    assert "42424242" not in stored


SEPA = {"holder_name": "Acme SAS", "iban": "FR76 3000 6000 0112 3456 7890 189", "mandate": "on"}


def test_sepa_added_and_masked(user_as, organisation):
    client, _user = user_as(ACCOUNTING)
    response = client.post(reverse("billing:sepa_add", args=[organisation.slug]), SEPA)
    assert response.status_code == 302
    method = PaymentMethod.objects.get()
    assert method.iban_masked == "FR76 •••• 0189"
    stored = " ".join(str(value) for value in PaymentMethod.objects.values().get().values())
    assert "30006000" not in stored


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "iban", "not a valid IBAN"),
        ({"iban": "XX00 1234"}, "iban", "not a valid IBAN"),
        ({"iban": "4242424242424242"}, "iban", "not a valid IBAN"),
        ({"holder_name": "4242424242424242"}, "holder_name", "full card number"),
        ({"mandate": ""}, "mandate", "required"),
        ({"holder_name": ""}, "holder_name", "required"),
    ],
)
def test_sepa_bad_input(user_as, organisation, changes, field, message):
    client, _user = user_as(ADMIN)
    response = client.post(reverse("billing:sepa_add", args=[organisation.slug]), {**SEPA, **changes})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not PaymentMethod.objects.exists()


def test_payment_method_actions(user_as, organisation, card):
    client, _user = user_as(ACCOUNTING)
    client.post(reverse("billing:bank_transfer_add", args=[organisation.slug]))
    transfer = PaymentMethod.objects.get(kind=PaymentMethod.Kind.BANK_TRANSFER)
    response = client.post(reverse("billing:bank_transfer_add", args=[organisation.slug]), follow=True)
    assert "already" in response.content.decode()
    client.post(reverse("billing:payment_method_default", args=[organisation.slug, transfer.pk]))
    assert list(PaymentMethod.objects.filter(is_default=True)) == [transfer]
    client.post(reverse("billing:payment_method_remove", args=[organisation.slug, transfer.pk]), {"confirm": "yes"})
    assert list(PaymentMethod.objects.filter(is_default=True)) == [card]


def test_another_organisations_payment_method_is_not_found(user_as, organisation):
    from tests.organisations.factories import OrganisationFactory

    theirs = CardFactory(organisation=OrganisationFactory())
    client, _user = user_as(ADMIN)
    for name in ["billing:payment_method_default", "billing:payment_method_remove"]:
        assert client.post(reverse(name, args=[organisation.slug, theirs.pk]), {"confirm": "yes"}).status_code == 404
    assert PaymentMethod.objects.filter(pk=theirs.pk).exists()


# Query counts do not grow with history.


def _months_of_history(organisation, months: int):
    app = ApplicationFactory(organisation=organisation, name="shop-front")
    addon = AddonFactory(organisation=organisation, name="shop-db")
    start = date(2026, 11, 1)
    for index in range(months):
        month = date(start.year - (index + 12 - start.month) // 12, (start.month - 1 - index) % 12 + 1, 1)
        for service in (app, addon):
            usage_of(service, month + timedelta(days=2), 24)
        issued = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        services.invoice_issue(organisation=organisation, month=month, issued_on=issued)
    usage_of(app, date(2026, 12, 2), 24)


@pytest.mark.parametrize("months", [1, 36])
def test_query_counts_are_constant(user_as, organisation, card, months, django_assert_num_queries, time_machine):
    time_machine.move_to("2026-12-10 12:00 +01:00")
    _months_of_history(organisation, months)
    assert Invoice.objects.count() == months
    client, _user = user_as(ACCOUNTING)
    pages = {
        # session, user, memberships with the rights (one query), the banner, then the page's own
        "billing:invoices": (6, 6),  # years, invoices
        # the months' costs and the services' costs, both from the roll-up (billing.models.UsageMonth)
        "billing:consumption": (6, 6),
    }
    for name, (cold, warm) in pages.items():
        for query in ("?year=2026", "?month=2026-11"):
            cache.clear()
            with django_assert_num_queries(cold):
                assert client.get(reverse(name, args=[organisation.slug]) + query).status_code == 200
            with django_assert_num_queries(warm):
                assert client.get(reverse(name, args=[organisation.slug]) + query).status_code == 200
    invoice = Invoice.objects.order_by("issued_on").first()
    assert Decimal(invoice.total) > 0


# Removing a payment method is confirmed first (organisations.views.ConfirmedActionView).


def test_removing_a_payment_method_says_what_becomes_the_default_and_waits_for_the_confirmation(
    user_as, organisation, card
):
    sepa = PaymentMethod.objects.create(
        organisation=organisation, kind=PaymentMethod.Kind.SEPA_DEBIT, iban_masked="DE89 •••• 3000"
    )
    client, _user = user_as(ACCOUNTING)
    url = reverse("billing:payment_method_remove", args=[organisation.slug, card.pk])
    page = client.get(url).content.decode()
    assert "Visa •••• 4242 will no longer be used to pay the invoices." in page
    assert f"{sepa} becomes the default." in page
    assert client.post(url).status_code == 200  # no ``confirm``: the page again, nothing removed
    assert PaymentMethod.objects.filter(pk=card.pk).exists()
    assert not Activity.objects.filter(verb="billing.payment_method_removed").exists()
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == reverse("billing:payment_methods", args=["acme"])
    assert list(PaymentMethod.objects.all()) == [sepa] and PaymentMethod.objects.get().is_default


def test_removing_the_last_payment_method_says_none_is_left(user_as, organisation, card):
    client, _user = user_as(ADMIN)
    page = client.get(reverse("billing:payment_method_remove", args=[organisation.slug, card.pk])).content.decode()
    assert "no other valid one is left" in page


def test_a_removal_that_lost_a_race_is_a_message(user_as, organisation, card):
    from unittest import mock

    from django.core.exceptions import ValidationError

    client, _user = user_as(ADMIN)
    url = reverse("billing:payment_method_remove", args=[organisation.slug, card.pk])
    lost = ValidationError("This payment method has already been removed.")
    with mock.patch("billing.services.payment_method_remove", side_effect=lost):
        response = client.post(url, {"confirm": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("billing:payment_methods", args=["acme"])
    assert "This payment method has already been removed." in response.content.decode()
