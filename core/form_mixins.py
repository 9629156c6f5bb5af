"""Mixins shared by the forms of clinical records."""


def normalise_line_endings(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


class LineEndingsMixin:
    """Browsers submit a textarea's line breaks as CRLF (the HTML form encoding says
    so) while we store LF: without this, saving a record unchanged would change every
    multi-line note and put it in the audit trail."""

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = normalise_line_endings(value)
        return cleaned
