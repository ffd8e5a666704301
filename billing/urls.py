from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("o/<slug:slug>/billing/", views.InvoicesView.as_view(), name="invoices"),
    path("o/<slug:slug>/billing/invoices.csv", views.InvoicesCsvView.as_view(), name="invoices_csv"),
    path("o/<slug:slug>/billing/invoices/<int:invoice_id>/", views.InvoiceDetailView.as_view(), name="invoice"),
    path("o/<slug:slug>/billing/invoices/<int:invoice_id>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("o/<slug:slug>/billing/invoices/<int:invoice_id>/pay/", views.InvoicePayView.as_view(), name="invoice_pay"),
    path("o/<slug:slug>/billing/consumption/", views.ConsumptionView.as_view(), name="consumption"),
    path("o/<slug:slug>/billing/payment-methods/", views.PaymentMethodsView.as_view(), name="payment_methods"),
    path("o/<slug:slug>/billing/payment-methods/card/", views.CardAddView.as_view(), name="card_add"),
    path("o/<slug:slug>/billing/payment-methods/sepa/", views.SepaAddView.as_view(), name="sepa_add"),
    path(
        "o/<slug:slug>/billing/payment-methods/bank-transfer/",
        views.BankTransferAddView.as_view(),
        name="bank_transfer_add",
    ),
    path(
        "o/<slug:slug>/billing/payment-methods/<int:method_id>/default/",
        views.PaymentMethodDefaultView.as_view(),
        name="payment_method_default",
    ),
    path(
        "o/<slug:slug>/billing/payment-methods/<int:method_id>/remove/",
        views.PaymentMethodRemoveView.as_view(),
        name="payment_method_remove",
    ),
    path("o/<slug:slug>/billing/details/", views.ProfileView.as_view(), name="profile"),
    path("o/<slug:slug>/billing/details/edit/", views.ProfileEditView.as_view(), name="profile_edit"),
]
