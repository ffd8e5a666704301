"""
The payment-provider interface, and the sandbox provider used in development and tests.

A provider charges a stored (masked) payment method; the real card or account details live with the provider,
never in the console. ``settings.BILLING_PAYMENT_PROVIDER`` names the class to use.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import Payment, PaymentMethod


@dataclass(frozen=True)
class ChargeResult:
    status: str  # a Payment.Status value
    reference: str
    failure_reason: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(
        self, *, payment_method: PaymentMethod, amount: Decimal, currency: str, description: str
    ) -> ChargeResult:
        """Charge ``amount`` to ``payment_method``; never raises for a decline, which is a result."""


class SandboxProvider:
    """Accepts every card and mandate except the magic ones, as test card numbers do at real providers.

    A card ending in 0002 is declined; an expired card is declined; a SEPA debit is accepted as processing
    (a debit takes days to clear), except on an IBAN ending in 0002, which is refused.
    """

    name = "sandbox"
    DECLINED_LAST4 = "0002"

    def charge(
        self, *, payment_method: PaymentMethod, amount: Decimal, currency: str, description: str
    ) -> ChargeResult:
        reference = f"sandbox_{uuid.uuid4().hex[:16]}"
        if payment_method.kind == PaymentMethod.Kind.CARD:
            if payment_method.is_expired():
                return ChargeResult(Payment.Status.FAILED, reference, str(_("The card has expired.")))
            if payment_method.card_last4 == self.DECLINED_LAST4:
                return ChargeResult(Payment.Status.FAILED, reference, str(_("The card was declined by its bank.")))
            return ChargeResult(Payment.Status.SUCCEEDED, reference)
        if payment_method.kind == PaymentMethod.Kind.SEPA_DEBIT:
            if payment_method.iban_masked.endswith(self.DECLINED_LAST4):
                return ChargeResult(Payment.Status.FAILED, reference, str(_("The bank refused the direct debit.")))
            return ChargeResult(Payment.Status.PROCESSING, reference)
        return ChargeResult(
            Payment.Status.FAILED, reference, str(_("A bank transfer is made from your bank, not from here."))
        )


def payment_provider() -> PaymentProvider:
    """The configured payment provider."""
    return import_string(getattr(settings, "BILLING_PAYMENT_PROVIDER", "billing.payments.SandboxProvider"))()
