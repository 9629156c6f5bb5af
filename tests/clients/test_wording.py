"""Wording (issue 18, item 10): each string a practitioner tripped over, said once and
plainly; client-facing times name the city of the zone ("London time"), and phone
numbers have one format everywhere (national for the clinic's country, international
otherwise)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from appointments import services as booking
from clients import services
from clients.models import (
    Contraindication,
    Recommendation,
    Severity,
    SuitabilityDecision,
)
from clients.phones import display_phone
from clients.zones import zone_label
from messaging.models import OutboundMessage
from messaging.outbox import messages_send_due
from tests.conftest import make_treatment_ready


@pytest.mark.parametrize(
    ("stored", "region", "shown"),
    [
        ("+447700900123", "GB", "07700 900123"),
        ("+12125550100", "GB", "+1 212-555-0100"),
        ("+12125550100", "US", "(212) 555-0100"),
        ("+447700900123", "US", "+44 7700 900123"),
        ("", "GB", ""),
        ("not a number", "GB", "not a number"),
    ],
)
def test_a_phone_is_national_at_home_and_international_otherwise(
    settings, stored, region, shown
):
    settings.PHONE_DEFAULT_REGION = region
    assert display_phone(stored) == shown


@pytest.mark.parametrize(
    ("zone", "reader", "label"),
    [
        ("Europe/London", None, "London time"),
        ("America/New_York", None, "New York time"),
        ("America/New_York", "America/New_York", ""),
        ("UTC", None, "UTC time"),
    ],
)
def test_a_zone_is_named_by_its_city_or_not_at_all_for_a_reader_there(
    zone, reader, label
):
    assert zone_label(zone, reader) == label


def test_a_deferral_reads_defer_until_its_date_once(jo, practitioner):
    decision = SuitabilityDecision(
        client=jo,
        recommended=Recommendation.DEFER,
        decision=Recommendation.DEFER,
        defer_until=date(2026, 12, 5),
        decided_by=practitioner,
    )
    assert decision.decision_text == "Defer until 5 Dec 2026"
    decision.decision = Recommendation.SUITABLE
    assert decision.decision_text == "Suitable"


def test_a_temporary_contraindication_reads_temporary_until_its_date(jo):
    item = Contraindication(
        client=jo, kind="eczema", severity=Severity.TEMPORARY, until=date(2026, 12, 5)
    )
    assert item.severity_text == "Temporary until 5 Dec 2026"


def test_the_client_page_says_defer_until_once(client, jo, practitioner):
    services.intake_save(client=jo, fields={}, by=practitioner)
    services.contraindication_record(
        client=jo,
        kind="eczema",
        severity="temporary",
        until=date(2030, 12, 5),
        by=practitioner,
    )
    services.suitability_decide(client=jo, decision="defer", by=practitioner)
    client.force_login(practitioner)
    page = client.get(f"/clients/{jo.pk}/").text
    assert "Defer until 5 Dec 2030" in page
    assert "Temporary until 5 Dec 2030" in page
    assert "until a date until" not in page


def test_the_aftercare_list_offers_an_aftercare_email(client, manager):
    client.force_login(manager)
    page = client.get("/setup/aftercare/").text
    assert "Add an aftercare email" in page
    assert "Add a aftercare" not in page


def test_a_sent_message_says_sent_once(client, jo, front_desk):
    sent_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    message = OutboundMessage.objects.create(
        client=jo,
        kind="confirmation",
        due_at=sent_at,
        sent_at=sent_at,
        status="sent",
        dedupe_key="x",
        subject="Booked",
    )
    client.force_login(front_desk)
    page = client.get(f"/clients/messages/{message.pk}/").text
    assert "Sent Mon 2 Mar 2026" in page
    assert "Sent, sent" not in page


@pytest.fixture
def booked(jo, consultation, make_practitioner, front_desk, rooms, frozen_now):
    front_desk.first_name, front_desk.last_name = "Ama", "Mensah"
    front_desk.save()
    sam = make_practitioner("Sam")
    return booking.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        booked_by=front_desk,
    )


def test_an_appointment_says_who_booked_it_by_name_and_the_channel_apart(
    client, booked, front_desk
):
    client.force_login(front_desk)
    page = client.get(f"/appointments/{booked.pk}/").text
    booked_row = page[page.index('<dt class="col-sm-4">Booked</dt>') :]
    booked_row = booked_row[: booked_row.index("</dd>")]
    assert "by Ama Mensah" in booked_row
    assert "Front desk" not in booked_row
    assert 'Booked through</dt><dd class="col-sm-8">Front desk' in page


def test_the_move_page_says_a_free_time_moves_it(
    client, booked, front_desk, make_client, consultation
):
    booking.appointment_book(
        client=make_client(),
        service=consultation,
        practitioner=booked.practitioner,
        starts_at=datetime(2026, 3, 3, 11, 0, tzinfo=UTC),
        booked_by=front_desk,
    )
    client.force_login(front_desk)
    path = f"/appointments/{booked.pk}/reschedule/"
    page = client.get(path).text
    assert "Europe/London" not in page
    assert "(London time)" in page
    page = client.post(
        path,
        {"date": "2026-03-03", "time": "11:00", "practitioner": booked.practitioner_id},
    ).text
    assert "Next free times (one click moves it there" in page
    assert "books it" not in page


def test_emails_name_the_city_of_the_zone(booked, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    messages_send_due()

    bodies = [m.body for m in mail.outbox]
    assert bodies
    assert all("Europe/London" not in body for body in bodies)
    assert any("(London time)" in body for body in bodies)


def test_a_patch_test_read_too_early_says_when_in_local_time(jo, practitioner, lot):
    # 1 July: London is on BST (UTC+1), so 10:00 UTC is 11:00 London time.
    applied = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(applied + timedelta(hours=2), tick=False):
        test = services.patch_test_apply(
            client=jo, lots=[lot], applied_at=applied, notes="", by=practitioner
        )
        with pytest.raises(ValidationError) as early:
            services.patch_test_read(
                patch_test=test,
                result="passed",
                read_at=applied + timedelta(hours=1),
                notes="",
                by=practitioner,
            )
    message = early.value.messages[0]
    assert "not before 3 Jul 2026 09:00 London time" in message
    assert "UTC" not in message


def test_treatment_ready_helper_completes_every_gate(jo, practitioner):
    make_treatment_ready(jo, by=practitioner)
    from appointments.gates import treatment_gate
    from appointments.models import Service

    service = Service.objects.create(
        name="SMP", kind=Service.Kind.SMP_SESSION, duration_minutes=120
    )
    assert treatment_gate(jo, service, datetime(2026, 3, 3, 10, 0, tzinfo=UTC)) == []
