"""Read a rendered form as a browser would submit it, for round-trip tests: what a
page pre-fills is what an unchanged save posts back (not a POST built by hand)."""

from html.parser import HTMLParser

TEXT_LIKE = {
    "",
    "text",
    "hidden",
    "number",
    "date",
    "time",
    "datetime-local",
    "email",
    "tel",
    "url",
    "search",
    "password",
}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._textarea = None
        self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        disabled = "disabled" in a
        if tag == "input" and name and not disabled:
            kind = (a.get("type") or "").lower()
            if kind in TEXT_LIKE:
                self._form["fields"].append((name, a.get("value") or ""))
            elif kind in ("checkbox", "radio") and "checked" in a:
                self._form["fields"].append((name, a.get("value", "on")))
        elif tag == "textarea" and name and not disabled:
            self._textarea = [name, ""]
        elif tag == "select" and name and not disabled:
            self._select = {"name": name, "options": [], "multiple": "multiple" in a}
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "", "selected" in a]
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # HTML drops one newline right after <textarea>; browsers send CRLF.
            text = text.removeprefix("\n").replace("\r\n", "\n")
            self._form["fields"].append((name, text.replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = [
                (value if value is not None else label.strip(), selected)
                for value, label, selected in self._select["options"]
            ]
            chosen = [value for value, selected in options if selected]
            if not chosen and not self._select["multiple"] and options:
                chosen = [options[0][0]]
            self._form["fields"].extend((self._select["name"], v) for v in chosen)
            self._select = None


def forms_in(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_data(html: str, having: str) -> dict[str, list[str]]:
    """The fields of the one form that has a field named `having`, as posted."""
    found = [
        form
        for form in forms_in(html)
        if any(name == having for name, _ in form["fields"])
    ]
    assert len(found) == 1, f"{len(found)} forms have a field {having!r}"
    data: dict[str, list[str]] = {}
    for name, value in found[0]["fields"]:
        data.setdefault(name, []).append(value)
    return data
