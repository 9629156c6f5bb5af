from django import forms

from core.money import MoneyField
from payments.models import DESK_METHODS, EntryKind, Method


class EntryForm(forms.Form):
    """A payment taken at the desk; a manager may also refund, discount or write
    off. The currency is that of where the appointment or course is given."""

    kind = forms.ChoiceField(label="What", choices=())
    amount_minor = MoneyField(label="Amount")
    method = forms.ChoiceField(
        label="Paid by",
        choices=[
            ("", "— (discount or write-off)"),
            *((m.value, m.label) for m in DESK_METHODS),
        ],
        required=False,
    )
    provider_reference = forms.CharField(
        label="Reference",
        max_length=200,
        required=False,
        help_text="The terminal's receipt number or the bank reference.",
    )
    reason = forms.CharField(
        max_length=300,
        required=False,
        help_text="Needed for a refund, a discount or a write-off.",
    )
    target = forms.ChoiceField(label="For", choices=())

    def __init__(self, *args, kinds, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, EntryKind(k).label) for k in kinds]
        if targets is None:
            del self.fields["target"]
        else:
            self.fields["target"].choices = targets
        self.fields["amount_minor"].widget.attrs["inputmode"] = "decimal"

    def clean(self):
        data = super().clean()
        kind, method = data.get("kind"), data.get("method")
        money = kind in (EntryKind.PAYMENT, EntryKind.DEPOSIT, EntryKind.REFUND)
        if money and not method:
            self.add_error("method", "Say how the money was paid.")
        if not money and method:
            data["method"] = ""
        reasoned = (EntryKind.REFUND, EntryKind.DISCOUNT, EntryKind.WRITE_OFF)
        if kind in reasoned and not data.get("reason", "").strip():
            self.add_error("reason", "Give the reason.")
        if data.get("amount_minor") == 0:
            self.add_error("amount_minor", "The amount must be above zero.")
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="Why the entry was wrong: kept on the reversing entry.",
    )


__all__ = ["EntryForm", "Method", "VoidForm"]
