"""Calendar files sent before appointments 0007 carried the appointment's updated_at
(in seconds) as their SEQUENCE; the migration starts each appointment's counter there,
so the next file a client gets is higher and their calendar still takes it."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from appointments import services
from appointments.models import Appointment

AT = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_counter_starts_from_the_seconds_sent_before(
    frozen_now, jo, consultation, sam, front_desk, rooms
):
    appointment = services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=AT,
        booked_by=front_desk,
    )
    # Back to before the counter (its column dropped) and forwards again.
    migrate([("appointments", "0006_location_phone")])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    appointment = Appointment.objects.get(pk=appointment.pk)
    sent_before = int(appointment.updated_at.timestamp())
    assert appointment.calendar_sequence == sent_before
    services.appointment_reschedule(
        appointment=appointment, starts_at=AT.replace(hour=14), by=front_desk
    )
    appointment.refresh_from_db()
    assert appointment.calendar_sequence == sent_before + 1
