"""The client portal's pages (/my/...): sign-in by an emailed link, then the
client's own appointments, plan, consents and details (portal/access.py keeps client
and staff sessions apart)."""

import hashlib
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import hooks
from appointments.models import Appointment
from clients.phones import display_phone
from core.errors import too_many_requests
from core.ratelimit import over_limit, over_subject_limit
from portal import access, booking, selectors, services, tasks
from portal.forms import (
    CLIENT_INTAKE_SECTIONS,
    ConsentSignForm,
    DetailsForm,
    SignInForm,
    TimeForm,
)

# The portal's menu: url name, label.
PAGES = (
    ("home", "Appointments"),
    ("book", "Book"),
    ("plan", "Your plan"),
    ("aftercare", "Aftercare"),
    ("consents", "Signed forms"),
    ("ink_passport", "Ink passport"),
    ("messages", "Messages"),
    ("details", "Your details"),
)

TOO_MANY_LINKS = "This address opened too many sign-in links in a few minutes."


def _over_sign_in_limits(request, email: str) -> bool:
    """Count one request against both limits: the network address's and the email
    address's (kept as a digest: no address in the cache's keys)."""
    by_network = over_limit(
        request,
        scope="portal-sign-in",
        limit=settings.PORTAL_SIGN_IN_PER_ADDRESS_HOUR,
        window_seconds=3600,
    )
    by_email = over_subject_limit(
        scope="portal-sign-in-email",
        subject=hashlib.sha256(email.encode()).hexdigest(),
        limit=settings.PORTAL_SIGN_IN_PER_EMAIL_HOUR,
        window_seconds=3600,
        fail_closed=settings.RATE_LIMIT_FAIL_CLOSED,
    )
    return by_network or by_email


@require_http_methods(["GET", "POST"])
def sign_in(request):
    """Ask for a link. Every valid answer is the same redirect, whether a client has
    the address, whether it was over a limit: the page tells no one who is a client."""
    if request.user.is_authenticated:
        return access.staff_refused(request)
    if access.session_client(request) is not None:
        return redirect("portal:home")
    form = SignInForm(request.POST or None, initial={"next": request.GET.get("next")})
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        next_path = services.safe_next(form.cleaned_data["next"])
        if not _over_sign_in_limits(request, email):

            def enqueue():
                tasks.send_sign_in_link.delay(email, next_path)

            # robust: a broker that is down loses this email (logged), not the page.
            transaction.on_commit(enqueue, robust=True)
        return redirect("portal:sign_in_sent")
    status = 422 if form.is_bound else 200
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@require_GET
def sign_in_sent(request):
    return render(
        request,
        "portal/sign_in_sent.html",
        {"minutes": settings.PORTAL_LINK_MINUTES},
    )


@require_http_methods(["GET", "POST"])
def link(request, token):
    """The link from the email. GET asks (a mail scanner that follows links must
    not use it up); POST signs in, once."""
    if request.user.is_authenticated:
        return access.staff_refused(request)
    if over_limit(request, scope="portal-link", limit=settings.MESSAGE_LINK_RATE_LIMIT):
        return too_many_requests(request, TOO_MANY_LINKS)
    next_path = services.safe_next(request.GET.get("next"))
    if request.method == "GET":
        if not services.portal_link_check(token=token):
            return _link_refused(request)
        return render(request, "portal/link.html", {"next": next_path})
    client = services.portal_sign_in(token=token)
    if client is None:
        return _link_refused(request)
    access.client_session_start(request, client)
    return redirect(next_path or "portal:home")


def _page(request, client, template: str, context: dict, status: int = 200):
    """A page of the signed-in client's, with the portal's menu."""
    return render(
        request,
        template,
        {"client": client, "portal_pages": PAGES, **context},
        status=status,
    )


def _link_refused(request):
    return render(
        request,
        "portal/link_refused.html",
        {"minutes": settings.PORTAL_LINK_MINUTES, "form": SignInForm()},
        status=410,
    )


@require_POST
def sign_out(request):
    if not request.user.is_authenticated:
        access.client_session_end(request)
    return redirect("portal:sign_in")


@require_GET
@access.client_required
def home(request, client):
    session = selectors.current_session(client)
    upcoming = selectors.upcoming_appointments(client)
    return _page(
        request,
        client,
        "portal/home.html",
        {
            "upcoming": upcoming,
            "changeable": {a.pk for a in upcoming if booking.changeable(a)},
            "plans": selectors.plan_summaries(client),
            "current_session": session,
        },
    )


@require_GET
@access.client_required
def history(request, client):
    return _page(
        request,
        client,
        "portal/history.html",
        {"past": selectors.past_appointments(client)},
    )


@require_GET
@access.client_required
def plan(request, client):
    return _page(
        request,
        client,
        "portal/plan.html",
        {"plans": selectors.plan_summaries(client)},
    )


@require_GET
@access.client_required
def aftercare(request, client):
    session = selectors.current_session(client)
    return _page(
        request,
        client,
        "portal/aftercare.html",
        {
            "session": session,
            "steps": selectors.aftercare(client, session),
        },
    )


@require_GET
@access.client_required
def consents(request, client):
    return _page(
        request,
        client,
        "portal/consents.html",
        {
            "consents": selectors.consents(client),
            "to_sign": selectors.consents_to_sign(client),
            "withdrawable": selectors.SELF_WITHDRAWABLE,
            "intake": selectors.intake_status(client),
        },
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def intake(request, client):
    """The health questions, all on one page, kept for the clinic to check: what
    the client enters changes nothing on file until a practitioner confirms it."""
    instance = selectors.intake_form_instance(client)
    data = request.POST if request.method == "POST" else None
    forms = {
        slug: form_class(data, instance=instance, prefix=slug)
        for slug, form_class in CLIENT_INTAKE_SECTIONS.items()
    }
    if data is not None and all(form.is_valid() for form in forms.values()):
        changed = services.client_intake_enter(
            client=client,
            sections={
                slug: {name: form.cleaned_data[name] for name in form._meta.fields}
                for slug, form in forms.items()
            },
        )
        if changed:
            messages.success(
                request,
                "Thank you: your answers are sent. Your practitioner will go "
                "through them with you.",
            )
        else:
            messages.info(request, "Nothing changed since you last sent them.")
        return redirect("portal:consents")
    return _page(
        request,
        client,
        "portal/intake.html",
        {"forms": forms, "status": selectors.intake_status(client)},
        status=422 if data is not None else 200,
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def consent_sign(request, client, kind):
    status = selectors.consent_status(client, kind)
    form = ConsentSignForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.client_consent_sign(
                client=client, status=status, typed_name=form.cleaned_data["typed_name"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Signed: {consent.text.title}.")
            return redirect("portal:consents")
    return _page(
        request,
        client,
        "portal/consent_sign.html",
        {
            "text": status.text,
            "signed": None if status.needs_signature else status.signed,
            "form": form,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@require_GET
@access.client_required
def consent_detail(request, client, pk):
    consent = selectors.consent_get(client, pk)
    return _page(
        request,
        client,
        "portal/consent_detail.html",
        {
            "consent": consent,
            "withdrawable": consent.text.kind in selectors.SELF_WITHDRAWABLE,
        },
    )


@require_GET
@access.client_required
def consent_signature(request, client, pk):
    consent = selectors.consent_get(client, pk)
    if not consent.signature:
        raise Http404("Signed by typed name.")
    return FileResponse(consent.signature.open("rb"), content_type="image/png")


@require_POST
@access.client_required
def consent_withdraw(request, client, pk):
    consent = selectors.consent_get(client, pk)
    try:
        services.client_consent_withdraw(client=client, consent=consent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You withdrew “{consent.text.title}”.")
    return redirect("portal:consents")


@require_GET
@access.client_required
def ink_passport(request, client):
    return _page(
        request,
        client,
        "portal/ink_passport.html",
        {"uses": selectors.ink_passport(client)},
    )


@require_GET
@access.client_required
def message_list(request, client):
    return _page(
        request,
        client,
        "portal/messages.html",
        {"messages_sent": selectors.sent_messages(client)},
    )


@require_GET
@access.client_required
def message_detail(request, client, pk):
    return _page(
        request,
        client,
        "portal/message_detail.html",
        {"message": selectors.message_get(client, pk)},
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def details(request, client):
    form = DetailsForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        services.client_details_change(client=client, form=form)
        messages.success(request, "Your details are saved.")
        return redirect("portal:details")
    return _page(
        request,
        client,
        "portal/details.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


def _day_asked(request, free) -> date:
    """The day shown: the one asked for if it is in the strip, else the first
    with free times, else the first."""
    try:
        asked = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        asked = None
    if asked in free.days:
        return asked
    return next((day for day in free.days if day in free.times), free.days[0])


def _times_page(request, client, free, heading: str, **context):
    day = _day_asked(request, free)
    return _page(
        request,
        client,
        "portal/book_times.html",
        {
            "heading": heading,
            "free": free,
            "day": day,
            "times": free.times.get(day, []),
            "show_practitioner": context.pop("show_practitioner", False),
            **context,
        },
    )


def _chosen(request):
    form = TimeForm(request.POST)
    if form.is_valid():
        return {
            "starts_at": form.cleaned_data["starts_at"],
            "practitioner_id": form.cleaned_data["practitioner"],
            "location_id": form.cleaned_data["location"],
        }
    messages.error(request, "Choose one of the times shown.")
    return None


@require_GET
@access.client_required
def book(request, client):
    return _page(
        request,
        client,
        "portal/book.html",
        {"options": booking.booking_options(client)},
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def book_times(request, client, slug):
    option = booking.booking_option(client, slug)
    if option.refusals:
        return redirect("portal:book")
    if request.method == "POST" and (chosen := _chosen(request)):
        try:
            appointment = services.portal_book(client=client, option=option, **chosen)
        except services.PortalRefusal as refusal:
            messages.error(request, refusal.message)
        else:
            if appointment.status == Appointment.Status.AWAITING_DEPOSIT:
                # Held for its deposit: the pay page says for how long.
                [pay_url] = hooks.online_deposit_pay_url(appointment=appointment)
                return redirect(pay_url)
            messages.success(
                request,
                f"Booked: {appointment.service}. The confirmation is on its way.",
            )
            return redirect("portal:home")
    today = timezone.localdate()
    free = booking.free_days(
        option.service,
        first_day=max(today, option.earliest or today),
        practitioner_id=option.plan.practitioner_id if option.plan else None,
    )
    return _times_page(request, client, free, f"Book: {option.title}")


def _call_us(request, client, appointment):
    return _page(
        request,
        client,
        "portal/call_us.html",
        {
            "appointment": appointment,
            "hours": settings.PORTAL_NOTICE_HOURS,
            "phone": display_phone(appointment.location.phone),
        },
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def appointment_move(request, client, pk):
    appointment = selectors.appointment_get(client, pk)
    if not booking.changeable(appointment):
        return _call_us(request, client, appointment)
    if request.method == "POST" and (chosen := _chosen(request)):
        try:
            services.portal_move(client=client, appointment=appointment, **chosen)
        except services.PortalRefusal as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, "Moved. The new time is on its way by email.")
            return redirect("portal:home")
    free = booking.free_days(
        appointment.service,
        first_day=timezone.localdate(),
        exclude_appointment_id=appointment.pk,
    )
    return _times_page(
        request, client, free, "Move your appointment", appointment=appointment
    )


@require_http_methods(["GET", "POST"])
@access.client_required
def appointment_cancel(request, client, pk):
    appointment = selectors.appointment_get(client, pk)
    if not booking.changeable(appointment):
        return _call_us(request, client, appointment)
    if request.method == "POST":
        try:
            services.portal_cancel(client=client, appointment=appointment)
        except services.PortalRefusal as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, "Your appointment is cancelled.")
        return redirect("portal:home")
    return _page(request, client, "portal/cancel.html", {"appointment": appointment})
