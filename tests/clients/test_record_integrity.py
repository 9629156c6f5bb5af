"""The intake and the client's details keep what an unchanged save did not change.

Each test loads a fully filled record, opens its edit page, posts back exactly what
the page pre-filled (read from the HTML, with the CRLF line breaks browsers send in
textareas) and checks that no field changed and the audit trail has no change entry.
"""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.forms.models import model_to_dict
from django.urls import reverse

from clients.forms import INTAKE_SECTIONS
from clients.models import Client, Intake
from tests.html_forms import forms_in

HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'
LONG = f"First line {HOSTILE}\nSecond line\n\n" + "more " * 600 + "end"


def changes_since(mark: int) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(pk__gt=mark).exclude(action=LogEntry.Action.ACCESS)
    )


def last_entry() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def section_forms(html: str) -> dict[str, dict[str, list[str]]]:
    """The intake page's section forms by their action URL."""
    found = {}
    for form in forms_in(html):
        if "/intake/" in form["action"]:
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            found[form["action"]] = data
    return found


@pytest.fixture
def filled(jo, practitioner):
    Client.objects.filter(pk=jo.pk).update(notes=LONG)
    Intake.objects.create(
        client=jo,
        hair_loss_cause="transplant_scars",
        hair_loss_notes=LONG,
        alopecia_active=True,
        transplant="fut",
        transplant_on=date(2024, 6, 1),
        chemotherapy_ended_on=date(2023, 2, 1),
        scale="norwood",
        stage="III vertex",
        fitzpatrick=4,
        hair_colour=("Dark brown " + HOSTILE)[:50],
        medical_history=LONG,
        medications=LONG,
        allergies=LONG,
        pigment_reaction=True,
        pigment_reactions=LONG,
        updated_by=practitioner,
    )
    return jo


def test_every_intake_section_saved_unchanged_changes_no_field(client, filled, manager):
    before = model_to_dict(Intake.objects.get(client=filled))
    client.force_login(manager)
    page = client.get(reverse("intake", args=[filled.pk]))
    sections = section_forms(page.content.decode())
    assert len(sections) == len(INTAKE_SECTIONS)
    mark = last_entry()
    for action, data in sections.items():
        response = client.post(action, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    after = model_to_dict(Intake.objects.get(client=filled))
    assert after == before
    assert after["updated_by"] is not None and after["updated_by"] != manager.pk
    assert changes_since(mark) == []


def test_a_changed_intake_section_changes_only_what_changed(client, filled, manager):
    before = model_to_dict(Intake.objects.get(client=filled))
    client.force_login(manager)
    page = client.get(reverse("intake", args=[filled.pk]))
    action, data = next(
        (action, data)
        for action, data in section_forms(page.content.decode()).items()
        if "skin-hair-hair_colour" in data
    )
    data["skin-hair-hair_colour"] = ["Black"]
    assert client.post(action, data).status_code == 302
    after = model_to_dict(Intake.objects.get(client=filled))
    assert after == {**before, "hair_colour": "Black", "updated_by": manager.pk}


def test_the_client_details_saved_unchanged_change_no_field(client, filled, manager):
    before = model_to_dict(Client.objects.get(pk=filled.pk))
    client.force_login(manager)
    url = reverse("client_edit", args=[filled.pk])
    html = client.get(url).content.decode()
    [form] = [f for f in forms_in(html) if f["action"] in ("", url)]
    data: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    mark = last_entry()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert model_to_dict(Client.objects.get(pk=filled.pk)) == before
    assert changes_since(mark) == []
