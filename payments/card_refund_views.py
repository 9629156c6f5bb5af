"""A manager refunds a card payment taken online back to the card, through Stripe
(payments/checkout.py records it when Stripe confirms)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from core.money import MoneyField
from core.roles import Capability, require
from payments import checkout, selectors


class CardRefundForm(forms.Form):
    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount_minor"] = MoneyField(label="Amount", currency=currency)
        self.fields["reason"] = forms.CharField(
            max_length=300, help_text="Kept on the refund's ledger entry."
        )


@require(Capability.MANAGEMENT)
def card_refund(request, pk):
    paid = selectors.entry_get_for_user(request.user, pk)
    refusal = checkout.refund_refusal(paid)
    refundable = checkout.refundable_minor(paid)
    form = CardRefundForm(
        request.POST or None,
        currency=paid.currency,
        initial={"amount_minor": refundable},
    )
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            refund = checkout.card_refund_request(
                paid=paid,
                amount_minor=form.cleaned_data["amount_minor"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if refund.entry_id:
                messages.success(request, f"Refunded {refund.amount} to the card.")
            else:
                messages.info(
                    request,
                    f"Stripe is refunding {refund.amount}; the ledger records it "
                    "when Stripe confirms it.",
                )
            if paid.appointment_id:
                return redirect("appointment_detail", pk=paid.appointment_id)
            return redirect("client_detail", pk=paid.client_id)
    return render(
        request,
        "payments/card_refund.html",
        {"form": form, "entry": paid, "refusal": refusal, "refundable": refundable},
        status=422 if form.errors or (request.method == "POST" and refusal) else 200,
    )
