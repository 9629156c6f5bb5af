"""Form fields and widgets every app's forms share."""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class RecordsField(forms.ModelMultipleChoiceField):
    """ModelMultipleChoiceField that refuses ids no database column can hold before
    it queries: SQLite raises OverflowError (a server error) for an int past 2**63."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit():
                continue  # the parent's own check names it
            if abs(int(text)) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
