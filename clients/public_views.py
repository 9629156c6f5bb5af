"""Pages a client reaches from a link in an email: no login, a signed token instead.

GET shows what the link will do; only POST acts. A link expires, works once and is
rate limited per address; tampered, expired and reused links change nothing.
"""

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from appointments import services as booking
from appointments.models import Appointment
from clients import links, services
from clients.models import Client, UsedLink
from smp_clinic.ratelimit import over_limit

ACTION_TEXT = {
    "confirm": ("Confirm your appointment", "Confirm I am coming"),
    "cancel": ("Cancel your appointment", "Cancel the appointment"),
    "reschedule": ("Ask to change the time", "Ask the clinic to call me"),
}


def refuse(request, message: str, status: int):
    return render(
        request, "clients/public/link_refused.html", {"reason": message}, status=status
    )


def _appointment_for(payload: dict) -> Appointment | None:
    appointment = (
        Appointment.objects.select_related(
            "client", "service", "location", "practitioner__user"
        )
        .filter(pk=payload.get("id"))
        .first()
    )
    if appointment is None or appointment.starts_at.isoformat() != payload.get("at"):
        return None
    return appointment


def _act(action: str, appointment: Appointment) -> str:
    if action == "confirm":
        booking.appointment_confirm(appointment=appointment)
        return "Thank you: your appointment is confirmed."
    if action == "cancel":
        booking.appointment_cancel(
            appointment=appointment,
            reason="Cancelled by the client from an email link.",
            by=None,
        )
        return "Your appointment is cancelled. We hope to see you another time."
    booking.appointment_reschedule_request(appointment=appointment)
    return "Thank you: the clinic will contact you to find another time."


@require_http_methods(["GET", "POST"])
def message_link(request, token):
    if over_limit(request, scope="link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return refuse(request, "Too many requests: try again in a few minutes.", 429)
    try:
        payload = links.read(token)
    except signing.SignatureExpired:
        return refuse(request, "This link has expired: please call the clinic.", 410)
    except signing.BadSignature:
        return refuse(request, "This link is not valid.", 400)
    action = payload.get("a")
    appointment = _appointment_for(payload)
    if action not in links.ACTIONS or appointment is None:
        return refuse(
            request, "This link is for an appointment that has changed or gone.", 410
        )
    title, button = ACTION_TEXT[action]
    context = {"appointment": appointment, "title": title, "button": button}
    context["starts_at"] = appointment.starts_at.astimezone(appointment.location.zone)
    if request.method == "GET":
        return render(request, "clients/public/link.html", context)
    try:
        with transaction.atomic():
            UsedLink.objects.create(digest=links.digest(token))
            done = _act(action, appointment)
    except IntegrityError:
        return refuse(request, "This link has already been used.", 410)
    except booking.BookingError as error:
        return refuse(request, error.message, 409)
    return render(request, "clients/public/link_done.html", {**context, "done": done})


# Mail programs' one-click unsubscribe (RFC 8058) POSTs with no CSRF token; the signed
# link is the authority, and all it can do is stop reminders.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    if over_limit(request, scope="link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return refuse(request, "Too many requests: try again in a few minutes.", 429)
    try:
        payload = links.read(token, max_age_days=3650)
    except signing.BadSignature:
        return refuse(request, "This link is not valid.", 400)
    client = Client.objects.filter(pk=payload.get("client")).first()
    if client is None or payload.get("a") != "unsubscribe":
        return refuse(request, "This link is not valid.", 400)
    if request.method == "POST":
        services.client_unsubscribe(client=client)
        return render(request, "clients/public/unsubscribed.html")
    return render(request, "clients/public/unsubscribe.html")
