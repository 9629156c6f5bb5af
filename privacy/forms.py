from django import forms


class ErasureForm(forms.Form):
    confirm_name = forms.CharField(
        label="Type the client's full name to confirm",
        max_length=201,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        help_text="For the audit trail, such as “Request by email on 20 Nov 2026”. "
        "Do not write health details here.",
    )
