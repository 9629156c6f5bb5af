"""Online consultation booking for new clients: no login, a location, a free time and
how to reach them. The booking goes through the same service as the front desk's, so
the same no-overlap guarantees hold; a confirmation email goes out through the outbox.

Spam: a honeypot field (a bot that fills it in is shown the thank-you page and books
nothing) and a per-address rate limit on attempts.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from appointments import selectors, services
from appointments.forms import OnlineBookingForm
from appointments.models import Appointment, Location, Practitioner
from core.ratelimit import over_limit

SALT = "online-booking"
DAYS_SHOWN = 14


@require_GET
def book_location(request):
    locations = Location.objects.filter(is_active=True).order_by("name")
    service = selectors.online_consultation_service()
    return render(
        request,
        "appointments/public/book_location.html",
        {"locations": locations, "service": service},
    )


def book_consultation(request, location_id):
    location = get_object_or_404(Location, pk=location_id, is_active=True)
    service = selectors.online_consultation_service()
    if service is None:
        raise Http404("Online booking is closed.")
    found = selectors.availability(
        service=service,
        first_day=timezone.now().astimezone(location.zone).date(),
        days=DAYS_SHOWN,
        location_id=location.pk,
    ).slots
    names = {
        p.pk: p.user.first_name or str(p)
        for p in Practitioner.objects.filter(
            pk__in={slot.practitioner_id for slot in found}
        ).select_related("user")
    }
    form = OnlineBookingForm(
        request.POST or None, slots=found, zone=location.zone, names=names
    )
    context = {"location": location, "service": service, "form": form}
    if request.method != "POST":
        return render(request, "appointments/public/book.html", context)
    limit = settings.ONLINE_BOOKING_LIMIT
    if over_limit(request, scope="online-booking", limit=limit, window_seconds=3600):
        context["refused"] = "Too many bookings from your address. Please try later."
        return render(request, "appointments/public/book.html", context, status=429)
    if not form.is_valid():
        return render(request, "appointments/public/book.html", context, status=422)
    if form.cleaned_data["website"]:
        # A bot filled in the hidden field: thank it, book nothing.
        return redirect(reverse("book_done", args=["received"]))
    slot = form.slots[form.cleaned_data["slot"]]
    data = form.cleaned_data
    try:
        appointment = services.online_consultation_book(
            location=location,
            practitioner=Practitioner.objects.get(pk=slot.practitioner_id),
            starts_at=slot.start,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
            reminder_consent=data["reminder_consent"],
            notes=data["notes"],
        )
    except services.BookingError as error:
        # Taken between the page and the click: everything typed stays.
        form.add_error("slot", f"{error.message} Pick another time.")
        return render(request, "appointments/public/book.html", context, status=409)
    return redirect("book_done", token=signing.dumps(appointment.pk, salt=SALT))


@require_GET
def book_done(request, token):
    appointment = None
    try:
        pk = signing.loads(token, salt=SALT, max_age=timedelta(days=1))
    except signing.BadSignature:
        pk = None
    if pk is not None:
        appointment = (
            Appointment.objects.select_related("location", "service")
            .filter(pk=pk)
            .first()
        )
    starts_at = appointment.local_starts_at() if appointment else None
    return render(
        request,
        "appointments/public/book_done.html",
        {"appointment": appointment, "starts_at": starts_at},
    )
