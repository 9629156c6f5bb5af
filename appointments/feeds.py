"""Private iCalendar feeds: a practitioner's appointments for their calendar app.

A feed's URL carries a random token; the database keeps only its SHA-256 digest, so a
leaked database does not leak working feed links, and the link is shown once. Asking
for a new link replaces the digest: the old link stops at once.

What a feed says is what a phone's calendar may sync to a third party: the service,
the client's first name and initial, the room and the location. Nothing clinical.
"""

import hashlib
import secrets
from datetime import date, datetime, timedelta

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Practitioner, Service
from core.site import site_host

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


def new_calendar() -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.CLINIC_NAME}//SMP Clinic//EN")
    calendar.add("version", "2.0")
    return calendar


def client_where(appointment: Appointment) -> str:
    """Where the client goes, for their calendar: the video link for a video call
    (a calendar app makes it a link), the clinic for a visit."""
    location = appointment.location
    meeting = appointment.service.meeting
    if meeting == Service.Meeting.VIDEO:
        return location.video_link or "Video call"
    if meeting == Service.Meeting.PHONE:
        return "Phone call"
    return f"{location.name}, {location.address}".strip(", ")


def appointment_event(
    appointment: Appointment, *, summary: str, where: str, now: datetime
) -> icalendar.Event:
    """An appointment as an event, times in its location's zone. The confirmation
    email's attachment and the feeds give one appointment the same UID, so a calendar
    app takes them for one event; a move raises the sequence, so the later wins."""
    zone = appointment.location.zone
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.pk}@{site_host()}")
    event.add("dtstamp", now)
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("location", where)
    event.add("sequence", appointment.calendar_sequence)
    return event


def calendar_bytes(calendar: icalendar.Calendar, first: date, last: date) -> bytes:
    """The calendar with the time-zone rules of the years from `first` to `last`.

    Only those years: with icalendar's default span (1970 to 2038) the rules open with
    the standard time London kept at +01:00 until 1971, which dateutil-based readers
    then applied to today's winter dates (an hour out).
    """
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def feed_ics(practitioner: Practitioner, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    calendar = new_calendar()
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{settings.CLINIC_NAME}: {practitioner}")
    for appointment in feed_appointments(practitioner, now):
        client, location = appointment.client, appointment.location
        initial = f" {client.last_name[:1]}." if client.last_name else ""
        room = appointment.room.name if appointment.room else ""
        event = appointment_event(
            appointment,
            summary=f"{appointment.service}: {client.first_name}{initial}",
            where=", ".join(filter(None, [room, location.name, location.address])),
            now=now,
        )
        event.add("last-modified", appointment.updated_at)
        # Booked, not yet confirmed by the client: tentative.
        booked = appointment.status == Appointment.Status.BOOKED
        event.add("status", "TENTATIVE" if booked else "CONFIRMED")
        path = reverse("appointment_detail", args=[appointment.pk])
        event.add("url", settings.SITE_URL + path)
        calendar.add_component(event)
    return calendar_bytes(
        calendar,
        (now - timedelta(days=FEED_DAYS_BEFORE + 366)).date(),
        (now + timedelta(days=FEED_DAYS_AFTER + 366)).date(),
    )
