"""Hypothesis drives every form and JSON endpoint with hostile values: long text,
unicode, null bytes, script tags, SQL, numbers and dates out of range.

Every page a manager can post to is read for its form fields (and pages served only
to a POST get the field names of all forms); each example is posted as a manager
inside a savepoint that is rolled back. Counted: requests, server errors, and rows
left invalid (new rows, and the record the URL names, checked with clean_fields()
and clean()). The counts are printed for CI; both must be 0.
"""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appointments.models import Appointment
from clients.models import Client
from tests.smp_clinic.test_access_matrix import (
    EXPECTED,
    OK,
    Rollback,
    World,
    project_routes,
)

HOSTILE_WORDS = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31T23:59:59+14:00",
    "10000-01-01",
    "25:61",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1; DROP TABLE clients_client; --",
    "{{ settings.SECRET_KEY }}",
    "{name.__class__}",
    "\x00",
    "a\x00b",
    "\u202e\u0644\u0627 \U0001f4a5",
    "Ω" * 3000,
    "x" * 70_000,
    "../../etc/passwd",
    "javascript:alert(1)",
]
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.text(max_size=200),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
# Routes not posted to: logging out ends the session the fuzzing runs in.
SKIPPED = {"accounts/logout/"}
EXAMPLES = 10


class FormFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.post, self.get = set(), set()
        self._method = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._method = (attrs.get("method") or "get").lower()
        elif (
            tag in ("input", "select", "textarea")
            and self._method
            and attrs.get("name")
        ):
            if (
                attrs.get("type") in ("file", "submit")
                or attrs["name"] == "csrfmiddlewaretoken"
            ):
                return
            (self.post if self._method == "post" else self.get).add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._method = None


def fields_of(response) -> FormFields:
    parser = FormFields()
    html = response.get("Content-Type", "").startswith("text/html")
    if response.status_code == 200 and html and not response.streaming:
        parser.feed(response.content.decode())
    return parser


PROJECT_MODELS = [
    model
    for model in apps.get_models()
    if model._meta.app_label in {"clients", "appointments", "treatments"}
]


def snapshot() -> dict:
    return {
        model: model.objects.aggregate(top=models.Max("pk"))["top"] or 0
        for model in PROJECT_MODELS
    }


def invalid_rows(before: dict, named: models.Model | None) -> list[str]:
    """New rows since `before`, and the record the URL names, that fail validation
    (relations are the database's to enforce)."""
    rows = [
        row
        for model in PROJECT_MODELS
        for row in model.objects.filter(pk__gt=before[model])
    ]
    if named is not None:
        # Gone, if the route deletes it.
        rows += list(type(named).objects.filter(pk=named.pk))
    bad = []
    for row in rows:
        relations = [f.name for f in row._meta.fields if f.is_relation]
        try:
            row.clean_fields(exclude=relations)
            row.clean()
        except ValidationError as error:
            bad.append(f"{row._meta.label} {row.pk}: {error.messages}")
    return bad


def record_named(world: World, route: str):
    if "<int:pk>" not in route and "<appointment_id>" not in route:
        return None
    return world.record_for(route)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return World()


def test_hostile_values_in_every_form_and_json_endpoint(client, world, manager, capsys):
    client.force_login(manager)
    posted = [
        route
        for route in project_routes()
        if EXPECTED[route][1][4] == OK and route not in SKIPPED
    ]
    pages = {route: client.get(world.url(route)) for route in project_routes()}
    every_post_field = set().union(*(fields_of(page).post for page in pages.values()))
    counts = {"requests": 0, "server errors": [], "invalid rows": []}

    def attack(route: str, method: str, names: set[str], *, as_json=False):
        url = world.url(route)
        named = record_named(world, route)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            # The same examples every run: CI stays repeatable; widen locally with
            # a higher EXAMPLES to hunt.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(values=st.fixed_dictionaries({name: HOSTILE for name in sorted(names)}))
        def one(values):
            before = snapshot()
            try:
                with transaction.atomic():
                    counts["requests"] += 1
                    try:
                        if as_json:
                            response = client.post(
                                url, values, content_type="application/json"
                            )
                        elif method == "POST":
                            response = client.post(url, values)
                        else:
                            response = client.get(url, values)
                        status = response.status_code
                    except Exception as error:  # noqa: BLE001 (the test client re-raises a view's error)
                        status = f"{type(error).__name__}: {error}"[:200]
                    if not isinstance(status, int) or status >= 500:
                        counts["server errors"].append((method, route, values, status))
                    else:
                        counts["invalid rows"] += invalid_rows(before, named)
                    raise Rollback
            except Rollback:
                pass
            client.force_login(manager)

        one()

    for route in posted:
        names = fields_of(pages[route]).post
        if route.startswith("api/"):
            names = {
                "client",
                "service",
                "practitioner",
                "start",
                "location",
                "room",
                "notes",
                "reason",
            }
            attack(route, "POST", names, as_json=True)
        else:
            attack(route, "POST", names or every_post_field)
    for route, page in pages.items():
        searched = fields_of(page).get
        if route == "api/availability":
            searched = {"service", "start", "days", "practitioner", "location"}
        if searched:
            attack(route, "GET", searched)

    with capsys.disabled():
        print(
            f"\nfuzzing: {len(posted)} POST endpoints and their GET searches, "
            f"{counts['requests']} requests with hostile values; server errors "
            f"{len(counts['server errors'])}, invalid rows "
            f"{len(counts['invalid rows'])}"
        )
    found = sorted({(m, r, str(e)[:100]) for m, r, _, e in counts["server errors"]})
    assert not found, "\n".join(map(str, found))
    assert counts["invalid rows"] == []
    assert counts["requests"] >= EXAMPLES * len(posted)
    # Nothing the fuzzing wrote survived its savepoints.
    assert not Client.objects.filter(first_name__contains="<script>").exists()
    assert Appointment.objects.filter(notes__contains="DROP TABLE").count() == 0


# Query strings: every parameter a page reads, at the edges of the calendar and with
# NUL, each one alone while the others keep the page's own (valid) values; hypothesis
# above rarely pairs an extreme date with a valid location.
EDGE_VALUES = [
    "0001-01-01",
    "1899-12-31",
    "2201-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "\x00",
    "a\x00b",
    "2026-03-02\x00",
]
# Parameters a page reads that no form on it shows, with a valid value each.
EXTRA_GET = {
    "appointments/new/": lambda world: {
        "location": world.appointment.location_id,
        "practitioner": world.appointment.practitioner_id,
        "start": world.appointment.starts_at.isoformat(),
    },
    "api/availability": lambda world: {
        "service": world.appointment.service_id,
        "start": world.appointment.starts_at.date().isoformat(),
        "days": 31,
        "location": world.appointment.location_id,
    },
    "reports/<slug:slug>.csv": lambda world: {
        "first_day": "2026-01-05",
        "last_day": "2026-03-01",
    },
    "clients/options/": lambda world: {"q": "a"},
}


class GetForms(HTMLParser):
    """The fields of a page's GET forms with the values the page gave them."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._get = False
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._get = (attrs.get("method") or "get").lower() == "get"
        elif not self._get:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("submit", "file"):
                return
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self.values.setdefault(attrs["name"], "")
                return
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self.values.setdefault(self._select, "")
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or not self.values[self._select])
        ):
            # The option chosen, else the first with a value.
            self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._get = False
        elif tag == "select":
            self._select = None


def get_parameters(response) -> dict[str, str]:
    parser = GetForms()
    html = response.get("Content-Type", "").startswith("text/html")
    if response.status_code == 200 and html and not response.streaming:
        parser.feed(response.content.decode())
    return parser.values


def test_extreme_dates_and_nul_in_every_query_parameter(client, world, manager, capsys):
    client.force_login(manager)
    targets = {}
    for route in project_routes():
        if route in SKIPPED:
            continue
        url = world.url(route)
        found = get_parameters(client.get(url))
        if route in EXTRA_GET:
            found.update({k: str(v) for k, v in EXTRA_GET[route](world).items()})
        found.pop("page", None)
        if found:
            targets[url] = found
    counts = {"requests": 0, "refused": 0, "server errors": []}

    def attempt(method: str, url: str, values: dict) -> None:
        counts["requests"] += 1
        try:
            with transaction.atomic():
                try:
                    if method == "GET":
                        status = client.get(url, values).status_code
                    else:
                        status = client.post(
                            url, values, content_type="application/json"
                        ).status_code
                except Exception as error:  # noqa: BLE001 (the test client re-raises a view's error)
                    status = f"{type(error).__name__}: {error}"[:200]
                raise Rollback(status)
        except Rollback as done:
            status = done.args[0]
        if not isinstance(status, int) or status >= 500:
            counts["server errors"].append((method, url, values, status))
        elif status in (400, 422):
            counts["refused"] += 1

    for url, baseline in targets.items():
        for name in baseline:
            for value in EDGE_VALUES:
                attempt("GET", url, {**baseline, name: value})
    booking = {
        "client": world.client.pk,
        "service": world.appointment.service_id,
        "practitioner": world.appointment.practitioner_id,
    }
    for value in EDGE_VALUES:
        attempt("POST", "/api/appointments", {**booking, "start": value})

    with capsys.disabled():
        print(
            f"\nquery-string edges: {len(targets)} URLs, {counts['requests']} requests "
            f"with extreme dates and NUL; refused (400/422) {counts['refused']}, "
            f"server errors {len(counts['server errors'])}"
        )
    found = sorted(
        {(m, u, str(v), str(e)[:100]) for m, u, v, e in counts["server errors"]}
    )
    assert not found, "\n".join(map(str, found))
    assert len(targets) >= 8, sorted(targets)
