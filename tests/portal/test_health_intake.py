"""The health intake filled in by the client before the visit (issue 21 section 3):
what the client enters waits, marked as entered by them, until a practitioner
reviews it; it never overwrites a confirmed answer, and the gates before treatment
read only confirmed answers."""

from datetime import date, datetime, time

import pytest
from auditlog.models import LogEntry
from django.forms.models import model_to_dict
from django.utils import timezone

from appointments import services as booking
from clients import selectors as client_selectors
from clients.models import Intake, IntakeEntry
from tests.html_forms import forms_in
from tests.portal.conftest import sign_in_as

HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' Zoë 名前 {{x}}"

ANSWERS = {
    "hair-loss-hair_loss_cause": "transplant_scars",
    "hair-loss-transplant": "fut",
    "hair-loss-transplant_on": "2024-06-01",
    "hair-loss-hair_loss_notes": f"Strip scar {HOSTILE}",
    "classification-stage": "norwood:III vertex",
    "skin-hair-fitzpatrick": "3",
    "skin-hair-hair_colour": f"Dark {HOSTILE}"[:50],
    "health-medical_history": f"History {HOSTILE}",
    "health-medications": f"Minoxidil {HOSTILE}",
    "health-allergies": f"Latex {HOSTILE}",
    "health-pigment_reaction": "True",
    "health-pigment_reactions": f"Itching {HOSTILE}",
}


def send(browser, **changes):
    data = {**ANSWERS, **changes}
    return browser.post("/my/forms/health/", {k: v for k, v in data.items() if v})


def seen(*shown: IntakeEntry) -> list[str]:
    """What the review page posts back: the answers it showed, by entry and time."""
    return [f"{entry.pk} {entry.entered_at.isoformat()}" for entry in shown]


def on_file_shown(page: str) -> set[str]:
    """The intake's time of change that each review form posts back."""
    return {
        value
        for form in forms_in(page)
        for name, value in form["fields"]
        if name == "on_file"
    }


def entries(client) -> dict[str, IntakeEntry]:
    return {
        entry.section: entry
        for entry in IntakeEntry.objects.filter(client=client, outcome="")
    }


@pytest.fixture
def confirmed(jo, practitioner):
    """An intake a practitioner recorded: complete, so treatment may go ahead."""
    return Intake.objects.create(
        client=jo,
        hair_loss_cause="androgenetic",
        scale="norwood",
        stage="V",
        fitzpatrick=2,
        hair_colour="Black",
        medications="None",
        pigment_reaction=False,
        updated_by=practitioner,
    )


def test_what_the_client_enters_waits_for_review_and_is_not_the_intake(client, jo):
    sign_in_as(client, jo)
    assert "Answer the health questions" in client.get("/my/forms/").text

    response = send(client)

    assert response.status_code == 302
    assert set(entries(jo)) == {"hair-loss", "classification", "skin-hair", "health"}
    assert entries(jo)["health"].answers["medications"] == f"Minoxidil {HOSTILE}"
    # Nothing is on file: suitability and the gates see an intake not started.
    assert client_selectors.intake_for(jo) is None
    assert client_selectors.intake_missing_sections(None) == ["not started"]
    assert client_selectors.intake_forms_state([jo.pk]) == {jo.pk: "to review"}
    listed = client.get("/my/forms/").text
    assert "Your practitioner will go through them with you" in listed


def test_the_gate_before_treatment_reads_only_confirmed_answers(
    client, jo, smp_session, make_practitioner, frozen_now
):
    from appointments import gates

    sign_in_as(client, jo)
    send(client)
    on = timezone.now()

    missing = gates.treatment_gate(jo, smp_session, on)

    assert "intake" in {item.gate for item in missing}


def test_a_practitioner_confirms_all_and_the_answers_go_on_file(
    client, jo, practitioner
):
    sign_in_as(client, jo)
    send(client)
    client.force_login(practitioner)

    page = client.get(f"/clients/{jo.pk}/intake-review/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Proposed change" in page
    response = client.post(
        f"/clients/{jo.pk}/intake-review/",
        {"action": "confirm_all", "seen": seen(*entries(jo).values())},
    )

    assert response.status_code == 302
    intake = Intake.objects.get(client=jo)
    assert (intake.scale, intake.stage, intake.fitzpatrick) == (
        "norwood",
        "III vertex",
        3,
    )
    assert intake.transplant_on == date(2024, 6, 1)
    assert intake.pigment_reaction is True
    assert intake.medications == f"Minoxidil {HOSTILE}"
    assert intake.updated_by == practitioner
    assert client_selectors.intake_missing_sections(intake) == []
    assert not entries(jo)
    reviewed = IntakeEntry.objects.filter(client=jo)
    assert {(e.outcome, e.reviewed_by_id) for e in reviewed} == {
        ("confirmed", practitioner.pk)
    }
    assert client_selectors.intake_forms_state([jo.pk]) == {jo.pk: ""}


def test_the_client_cannot_overwrite_a_confirmed_answer(
    client, jo, confirmed, practitioner
):
    sign_in_as(client, jo)
    assert "Update your answers" in client.get("/my/forms/").text

    send(client, **{"health-medications": "Warfarin"})

    confirmed.refresh_from_db()
    assert confirmed.medications == "None"
    assert confirmed.pigment_reaction is False
    assert confirmed.updated_by == practitioner
    client.force_login(practitioner)
    detail = client.get(f"/clients/{jo.pk}/").text
    assert "Review the client's answers" in detail
    assert "Review the client's answers" in client.get(f"/clients/{jo.pk}/intake/").text
    review = client.get(f"/clients/{jo.pk}/intake-review/").text
    health = review.split('id="review-health"', 1)[1].split("</section>", 1)[0]
    row = health.split("Medications", 1)[1].split("</tr>", 1)[0]
    assert "None" in row and "Warfarin" in row and "Proposed change" in row


def test_confirming_one_section_changes_only_that_section(
    client, jo, confirmed, practitioner
):
    sign_in_as(client, jo)
    send(client)
    client.force_login(practitioner)
    health = entries(jo)["health"]

    client.post(
        f"/clients/{jo.pk}/intake-review/",
        {"action": "confirm", "entry": health.pk, "seen": seen(health)},
    )

    confirmed.refresh_from_db()
    assert confirmed.medications == f"Minoxidil {HOSTILE}"
    assert (confirmed.scale, confirmed.stage, confirmed.fitzpatrick) == (
        "norwood",
        "V",
        2,
    )
    assert set(entries(jo)) == {"hair-loss", "classification", "skin-hair"}


def test_setting_aside_keeps_the_intake_as_it_was(client, jo, confirmed, practitioner):
    before = model_to_dict(confirmed)
    sign_in_as(client, jo)
    send(client)
    client.force_login(practitioner)

    for entry in entries(jo).values():
        client.post(
            f"/clients/{jo.pk}/intake-review/",
            {"action": "set_aside", "entry": entry.pk, "seen": seen(entry)},
        )

    confirmed.refresh_from_db()
    assert model_to_dict(confirmed) == before
    assert not entries(jo)
    assert IntakeEntry.objects.filter(client=jo, outcome="set_aside").count() == 4
    again = client.post(
        f"/clients/{jo.pk}/intake-review/",
        {"action": "confirm", "entry": IntakeEntry.objects.filter(client=jo)[0].pk},
    )
    assert again.status_code == 404


def portal_form(html: str) -> dict[str, list[str]]:
    (form,) = [f for f in forms_in(html) if f["action"] in ("", "/my/forms/health/")]
    data: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    return data


def last_entry() -> int:
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_form_sent_back_unchanged_changes_nothing(client, jo, confirmed):
    sign_in_as(client, jo)
    # As the clinic has it: nothing to review.
    unchanged = portal_form(client.get("/my/forms/health/").text)
    mark = last_entry()
    assert client.post("/my/forms/health/", unchanged).status_code == 302
    assert not entries(jo)
    assert not LogEntry.objects.filter(pk__gt=mark).exists()

    # With the client's answers waiting: sent again as the page shows them.
    send(client)
    entered_at = {s: e.entered_at for s, e in entries(jo).items()}
    page = client.get("/my/forms/health/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    mark = last_entry()
    response = client.post("/my/forms/health/", portal_form(page))
    assert response.status_code == 302
    assert {s: e.entered_at for s, e in entries(jo).items()} == entered_at
    assert not LogEntry.objects.filter(pk__gt=mark).exists()
    assert "Nothing changed" in client.get("/my/forms/").text


def test_a_form_with_an_error_keeps_what_was_typed_and_stores_nothing(client, jo):
    sign_in_as(client, jo)

    response = send(client, **{"health-pigment_reactions": ""})

    assert response.status_code == 422
    page = response.text
    assert "Say what the reaction was." in page
    assert "Minoxidil &lt;script&gt;" in page
    assert 'value="norwood:III vertex" checked' in page
    assert not IntakeEntry.objects.exists()
    unanswered = client.post("/my/forms/health/", {"health-medications": "x"})
    assert "Please answer yes or no." in unanswered.text


def test_staff_without_clinical_access_and_other_clients_are_refused(
    client, jo, kim, front_desk, practitioner
):
    sign_in_as(client, kim)
    send(client)
    kims = entries(kim)["health"]
    client.force_login(front_desk)
    assert client.get(f"/clients/{jo.pk}/intake-review/").status_code == 403
    client.force_login(practitioner)
    # Kim's entry through Jo's page: not Jo's, so nothing happens.
    wrong = client.post(
        f"/clients/{jo.pk}/intake-review/", {"action": "confirm", "entry": kims.pk}
    )
    assert wrong.status_code == 404
    nonsense = client.post(f"/clients/{jo.pk}/intake-review/", {"action": "x"})
    assert nonsense.status_code == 302
    assert entries(kim)["health"].is_pending


def test_the_day_list_counts_the_intake(
    client, jo, kim, consultation, sam, practitioner, front_desk, frozen_now
):
    today = timezone.localdate()
    for person, hour in ((jo, 10), (kim, 11)):
        booking.appointment_book(
            client=person,
            service=consultation,
            practitioner=sam,
            starts_at=datetime.combine(today, time(hour), sam.locations.first().zone),
            booked_by=practitioner,
        )
    sign_in_as(client, jo)
    send(client)
    client.force_login(front_desk)

    page = client.get("/appointments/today/").text

    rows = {
        name: page.split(name, 1)[1].split("</tr>", 1)[0]
        for name in ("Jo Bloggs", "Kim Other")
    }
    assert "Intake to review" in rows["Jo Bloggs"]
    assert "Intake to fill in" in rows["Kim Other"]


def test_answers_changed_while_the_review_was_open_are_not_confirmed(
    client, jo, confirmed, practitioner
):
    sign_in_as(client, jo)
    send(client)
    shown = entries(jo)
    # The client sends another medicine while the practitioner reads the page.
    send(client, **{"health-medications": "Warfarin"})
    client.force_login(practitioner)

    one = client.post(
        f"/clients/{jo.pk}/intake-review/",
        {
            "action": "confirm",
            "entry": shown["health"].pk,
            "seen": seen(shown["health"]),
        },
        follow=True,
    )
    every = client.post(
        f"/clients/{jo.pk}/intake-review/",
        {"action": "confirm_all", "seen": seen(*shown.values())},
        follow=True,
    )

    assert "changed their answers after you opened the page" in one.text
    assert "changed their answers after you opened the page" in every.text
    confirmed.refresh_from_db()
    assert confirmed.medications == "None"
    assert len(entries(jo)) == 4


def test_an_intake_edited_while_the_review_was_open_is_not_overwritten(
    client, jo, confirmed, practitioner
):
    """Another practitioner records an allergy while the review page is open: the
    confirmation, which would put the client's older answers over it, is refused."""
    sign_in_as(client, jo)
    send(client)
    client.force_login(practitioner)
    page = client.get(f"/clients/{jo.pk}/intake-review/").text
    [on_file] = on_file_shown(page)
    assert on_file == confirmed.updated_at.isoformat()
    confirmed.allergies = "Lidocaine"
    confirmed.save()
    shown = entries(jo)

    for action, extra in (
        ("confirm", {"entry": shown["health"].pk}),
        ("confirm_all", {}),
    ):
        answer = client.post(
            f"/clients/{jo.pk}/intake-review/",
            {
                "action": action,
                **extra,
                "seen": seen(*shown.values()),
                "on_file": on_file,
            },
            follow=True,
        )
        assert "The intake on file changed" in answer.text

    confirmed.refresh_from_db()
    assert confirmed.allergies == "Lidocaine"
    assert len(entries(jo)) == 4
    # Read again, the page's own value confirms.
    again = client.get(f"/clients/{jo.pk}/intake-review/").text
    [fresh] = on_file_shown(again)
    client.post(
        f"/clients/{jo.pk}/intake-review/",
        {"action": "confirm_all", "seen": seen(*shown.values()), "on_file": fresh},
    )
    assert entries(jo) == {}
