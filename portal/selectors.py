"""The portal's reads: every one takes the signed-in client and returns only their
rows, so an id typed into a URL can name nothing of anyone else's (404)."""

from django.db.models import QuerySet
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from clients.models import Client


def appointments_for(client: Client) -> QuerySet[Appointment]:
    return Appointment.objects.filter(client=client).select_related(
        "service", "location", "practitioner__user"
    )


def upcoming_appointments(client: Client) -> list[Appointment]:
    return list(
        appointments_for(client)
        .filter(
            starts_at__gte=timezone.now(),
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED],
        )
        .order_by("starts_at")
    )
