"""Private iCalendar feeds: a practitioner's appointments for their calendar app.

A feed's URL carries a random token; the database keeps only its SHA-256 digest, so a
leaked database does not leak working feed links, and the link is shown once. Asking
for a new link replaces the digest: the old link stops at once.

What a feed says is what a phone's calendar may sync to a third party: the service,
the client's first name and initial, the room and the location. Nothing clinical.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Practitioner
from clients import links

# What a feed covers: recent history, so a moved appointment's old slot clears, and
# the bookings ahead.
FEED_DAYS_BEFORE = 30
FEED_DAYS_AFTER = 365


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_appointments(practitioner: Practitioner, now: datetime):
    """The practitioner's appointments that hold time, over the feed's window."""
    return (
        Appointment.objects.filter(
            practitioner=practitioner,
            status__in=Appointment.BLOCKING,
            starts_at__gte=now - timedelta(days=FEED_DAYS_BEFORE),
            starts_at__lt=now + timedelta(days=FEED_DAYS_AFTER),
        )
        .select_related("client", "service", "location", "room")
        .order_by("starts_at", "pk")
    )


def feed_ics(practitioner: Practitioner, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC_NAME}//SMP Clinic//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{settings.CLINIC_NAME}: {practitioner}")
    host = links.site_host()
    for appointment in feed_appointments(practitioner, now):
        zone = appointment.location.zone
        client = appointment.client
        initial = f" {client.last_name[:1]}." if client.last_name else ""
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@{host}")
        event.add("dtstamp", now)
        event.add("last-modified", appointment.updated_at)
        event.add("sequence", int(appointment.updated_at.timestamp()))
        event.add("dtstart", appointment.starts_at.astimezone(zone))
        event.add("dtend", appointment.ends_at.astimezone(zone))
        event.add("summary", f"{appointment.service}: {client.first_name}{initial}")
        where = [appointment.room.name] if appointment.room else []
        where.append(f"{appointment.location.name}, {appointment.location.address}")
        event.add("location", ", ".join(part for part in where if part).strip(", "))
        event.add(
            "status",
            "TENTATIVE"
            if appointment.status == Appointment.Status.BOOKED
            else "CONFIRMED",
        )
        path = reverse("appointment_detail", args=[appointment.pk])
        event.add("url", settings.SITE_URL + path)
        calendar.add_component(event)
    # Time zone rules for the feed's window only: the default (1970 to 2038) has a
    # standard time that London kept at +01:00 until 1971, which dateutil-based
    # readers then applied to today's winter dates (an hour out).
    calendar.add_missing_timezones(
        first_date=(now - timedelta(days=FEED_DAYS_BEFORE + 366)).date(),
        last_date=(now + timedelta(days=FEED_DAYS_AFTER + 366)).date(),
    )
    return calendar.to_ical()
