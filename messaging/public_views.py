"""Pages a client reaches from a link in an email: no login, a signed token instead.

GET shows what the link will do; only POST acts. A link expires, works once and is
rate limited per address; tampered, expired and reused links change nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from appointments import selectors as booking_selectors
from appointments import services as booking
from appointments.models import Appointment, WaitlistOffer
from clients import services
from clients.models import Client
from core.errors import too_many_requests
from core.ratelimit import over_limit
from messaging import links
from messaging.models import OutboundMessage, UsedLink

ACTION_TEXT = {
    "confirm": ("Confirm your appointment", "Confirm I am coming"),
    "cancel": ("Cancel your appointment", "Cancel the appointment"),
    "reschedule": ("Ask to change the time", "Ask the clinic to call me"),
}


# The link's limit counts 10-minute windows (core.ratelimit.over_limit's default).
TOO_MANY_LINKS = "This address opened too many of the clinic's links in a few minutes."


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
            by_client=True,
        )
        return "Your appointment is cancelled. We hope to see you another time."
    booking.appointment_reschedule_request(appointment=appointment)
    return "Thank you: the clinic will contact you to find another time."


@require_http_methods(["GET", "POST"])
def message_link(request, token):
    if over_limit(request, scope="link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return too_many_requests(request, TOO_MANY_LINKS)
    try:
        payload = links.read(token)
    except signing.SignatureExpired:
        return refuse(request, "This link has expired: please call the clinic.", 410)
    except signing.BadSignature:
        return refuse(request, "This link is not valid.", 400)
    action = payload.get("a")
    appointment = _appointment_for(payload)
    # An erased client's links name a record that has gone: 410 like a moved one.
    if (
        action not in links.ACTIONS
        or appointment is None
        or appointment.client.erased_at
    ):
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


def _offer_for(token: str):
    """The offer a waitlist link names, or a refusal page."""
    try:
        payload = links.read(token)
    except signing.SignatureExpired:
        return None, "This offer has expired.", 410
    except signing.BadSignature:
        return None, "This link is not valid.", 400
    offer = None
    if payload.get("a") == "waitlist":
        offer = booking_selectors.waitlist_offer_for_link(payload.get("offer"))
    if offer is None or offer.entry.client.erased_at:
        return None, "This offer has gone.", 410
    return offer, "", 200


@require_http_methods(["GET", "POST"])
def waitlist_offer_link(request, token):
    """A time offered from the waitlist: GET shows it, POST accepts or declines it.
    The offer's own status makes the link act once."""
    if over_limit(request, scope="link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return too_many_requests(request, TOO_MANY_LINKS)
    offer, reason, status = _offer_for(token)
    if offer is None:
        return refuse(request, reason, status)
    context = {"offer": offer, "title": f"A time for your {offer.entry.service}"}
    if request.method == "GET":
        context["is_open"] = offer.status == WaitlistOffer.Status.OPEN
        return render(request, "clients/public/waitlist_offer.html", context)
    if request.POST.get("answer") == "decline":
        booking.waitlist_offer_decline(offer=offer)
        context["done"] = (
            "Thank you: we will keep you on the waitlist for another time."
        )
        return render(request, "clients/public/link_done.html", context)
    answer = booking.waitlist_offer_accept(offer=offer)
    if answer.appointment is None:
        return refuse(request, answer.refusal, 409)
    context["done"] = (
        "It is yours: the time is booked, and a confirmation is on its way."
    )
    return render(request, "clients/public/link_done.html", context)


# Mail programs' one-click unsubscribe (RFC 8058) POSTs with no CSRF token; the signed
# link is the authority, and all it can do is stop reminders (or, asked, all email).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    if over_limit(request, scope="link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return too_many_requests(request, TOO_MANY_LINKS)
    try:
        payload = links.read(token, max_age_days=3650)
    except signing.BadSignature:
        return refuse(request, "This link is not valid.", 400)
    client = Client.objects.filter(pk=payload.get("client")).first()
    if client is None or payload.get("a") != "unsubscribe":
        return refuse(request, "This link is not valid.", 400)
    if client.erased_at:
        # Nothing is sent to an erased client; the link names a record that has gone.
        return refuse(request, "This link is for a record that has gone.", 410)
    if request.method == "POST":
        # A mail program's one-click POST carries no "scope": it stops reminders.
        all_email = request.POST.get("scope") == "all"
        services.client_unsubscribe(client=client, all_email=all_email)
        return render(
            request, "clients/public/unsubscribed.html", {"all_email": all_email}
        )
    return render(request, "clients/public/unsubscribe.html")


@require_http_methods(["GET"])
def short_link(request, code):
    """A text message's short link: on to the page its email's link shows (for the
    time the text was written for), which asks again before it acts. It expires
    like the email's, counted from when the text was sent."""
    if over_limit(request, scope="link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return too_many_requests(request, TOO_MANY_LINKS)
    found = links.short_read(code)
    if found is None:
        return refuse(request, "This link is not valid.", 400)
    message_id, action = found
    message = (
        OutboundMessage.objects.select_related("client", "appointment")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.client.erased_at:
        return refuse(request, "This link is for a message that has gone.", 410)
    max_age = timedelta(days=settings.MESSAGE_LINK_MAX_AGE_DAYS)
    if message.sent_at is None or timezone.now() - message.sent_at > max_age:
        return refuse(request, "This link has expired: please call the clinic.", 410)
    if action == "waitlist" and message.waitlist_offer_id:
        token = links.waitlist_token(message.waitlist_offer)
        return redirect(reverse("waitlist_offer_link", args=[token]))
    if action in links.ACTIONS and message.appointment is not None:
        token = links.action_token(
            action, message.appointment, starts_at=message.for_starts_at
        )
        return redirect(reverse("message_link", args=[token]))
    return refuse(request, "This link is not valid.", 400)
