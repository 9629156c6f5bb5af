"""The portal's writes: sending sign-in links and signing in with one."""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from appointments import hooks as booking_hooks
from appointments import services as booking_services
from appointments.models import Appointment, Location, Practitioner
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client, Consent
from core.clinic import clinic_identity
from core.mail import render_plain_text
from portal import booking, links
from portal.models import PortalSignIn
from portal.selectors import SELF_WITHDRAWABLE
from treatments import services as treatment_services


def _live_clients(**filters):
    return Client.objects.filter(erased_at__isnull=True, **filters).exclude(email="")


def _identity(client: Client, row: PortalSignIn | None) -> links.SignInIdentity:
    return links.SignInIdentity(
        pk=client.pk,
        email=client.email,
        last_login=row.last_signed_in_at if row is not None else None,
    )


def safe_next(path: str | None) -> str:
    """A page of the portal to land on after signing in, or "" (the portal's home).
    Only a local /my/ path: a link must not carry a client anywhere else."""
    if (
        not path
        or not path.startswith("/my/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(c) < 33 for c in path)
    ):
        return ""
    return path


def sign_in_link(client: Client, *, next_path: str = "") -> str:
    row, _ = PortalSignIn.objects.get_or_create(client=client)
    link = settings.SITE_URL + reverse(
        "portal:link", args=[links.token_for(_identity(client, row))]
    )
    next_path = safe_next(next_path)
    return f"{link}?{urlencode({'next': next_path})}" if next_path else link


def portal_link_send(*, address: str, next_path: str = "") -> int:
    """Email a sign-in link to the clients on file with this address, one link per
    person (a couple may share an address); nothing to an address no live client
    has. The worker runs it (portal.tasks), never the request, so the sign-in page
    does the same work, in the same time, whether the address is known or not.
    Returns the number of links sent."""
    address = address.strip().lower()
    clients = list(_live_clients(email__iexact=address).order_by("pk"))
    if not clients:
        return 0
    clinic = clinic_identity()
    context = {
        "clinic_name": clinic.name,
        "clinic_logo_url": clinic.email_logo_url,
        "minutes": settings.PORTAL_LINK_MINUTES,
        "people": [
            {"client": client, "link": sign_in_link(client, next_path=next_path)}
            for client in clients
        ],
    }
    message = EmailMultiAlternatives(
        subject=" ".join(
            render_plain_text("portal/emails/sign_in.subject.txt", context).split()
        ),
        body=render_plain_text("portal/emails/sign_in.txt", context),
        to=[address],
    )
    message.attach_alternative(
        render_to_string("portal/emails/sign_in.html", context), "text/html"
    )
    message.send()
    return len(clients)


def portal_link_check(*, token: str) -> bool:
    """Whether a link would sign in now (the page a link opens asks first)."""

    def load(client_id):
        client = _live_clients(pk=client_id).first()
        if client is None:
            return None
        return _identity(client, PortalSignIn.objects.filter(client=client).first())

    return links.identity_from(token, load) is not None


@transaction.atomic
def portal_sign_in(*, token: str) -> Client | None:
    """The client a sign-in link names, once: signing in moves the client's last
    sign-in, which voids this link and every other sent before it. None for a link
    that is forged, expired, used, or for an address that has changed since.

    The client's sign-in row is locked while the link is checked, so two requests
    racing with one link cannot both sign in."""
    found = {}

    def load(client_id):
        client = _live_clients(pk=client_id).first()
        if client is None:
            return None
        row = PortalSignIn.objects.select_for_update().filter(client=client).first()
        # Every link was made with the row (sign_in_link): none, no link.
        if row is None:
            return None
        found.update(client=client, row=row)
        return _identity(client, row)

    if links.identity_from(token, load) is None:
        return None
    row = found["row"]
    row.last_signed_in_at = timezone.now()
    row.save(update_fields=["last_signed_in_at"])
    return found["client"]


@transaction.atomic
def client_details_change(*, client: Client, form) -> Client:
    """The client changes their contact details and preferences (audited)."""
    fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
    return client_services.client_update(client=client, **fields)


@transaction.atomic
def client_consent_withdraw(*, client: Client, consent: Consent) -> Consent:
    """The client withdraws a consent of theirs to photos or communications."""
    if consent.client_id != client.pk:
        raise ValidationError("This consent is not yours.")
    if consent.text.kind not in SELF_WITHDRAWABLE:
        raise ValidationError(
            "To withdraw this consent, please speak to your practitioner."
        )
    return client_services.consent_withdraw(consent=consent)


@transaction.atomic
def client_consent_sign(*, client: Client, status, typed_name: str) -> Consent:
    """The client signs the current wording of a consent on their own phone, by
    typing their name (no witness: the signed copy says so)."""
    if not status.needs_signature:
        raise ValidationError("You have signed this already.")
    return client_services.consent_sign(
        client=client, text=status.text, typed_name=typed_name, by=None
    )


@transaction.atomic
def client_intake_enter(*, client: Client, sections: dict[str, dict]) -> int:
    """The client's answers to the health intake, section by section, kept for a
    practitioner to review (clients.services.intake_entry_submit): the intake on
    file is not changed. A section left wholly empty is not kept, so a client who
    skips it proposes no change. Returns how many sections now wait for review
    with new answers."""
    changed = 0
    for section, values in sections.items():
        if not any(value not in ("", None, False) for value in values.values()):
            continue
        before = client_selectors.intake_entries_pending(client)
        waiting = {entry.section: entry.answers for entry in before}
        entry = client_services.intake_entry_submit(
            client=client, section=section, values=values
        )
        if entry is not None and waiting.get(section) != entry.answers:
            changed += 1
    return changed


class PortalRefusal(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _offered(times: list, *, starts_at, practitioner_id: int, location_id: int) -> bool:
    return any(
        t.start == starts_at
        and t.practitioner_id == practitioner_id
        and t.location_id == location_id
        for t in times
    )


@transaction.atomic
def portal_book(
    *, client: Client, option, starts_at, practitioner_id: int, location_id: int
):
    """Book what the client chose at a time the portal offered, through the front
    desk's services and gates (a course session through course_book, with its gap
    rules). PortalRefusal, with the reason, changes nothing."""
    if option.refusals:
        raise PortalRefusal(" ".join(option.refusals))
    day = starts_at.date()
    times = booking.free_days(
        option.service,
        first_day=day,
        practitioner_id=option.plan.practitioner_id if option.plan else None,
    ).times.get(day, [])
    if not _offered(
        times,
        starts_at=starts_at,
        practitioner_id=practitioner_id,
        location_id=location_id,
    ):
        raise PortalRefusal("That time has just gone: please choose another.")
    location = Location.objects.get(pk=location_id)
    try:
        if option.plan is not None:
            return treatment_services.course_book(
                plan=option.plan,
                starts={option.session_number: starts_at},
                location=location,
                booked_by=None,
            )[0]
        # With card deposits on (payments: Stripe), the time is held while the
        # client pays, as on the public booking page.
        held_until = None
        if any(booking_hooks.online_deposit_by_card(service=option.service)):
            held_until = timezone.now() + timedelta(
                minutes=settings.DEPOSIT_HOLD_MINUTES
            )
        return booking_services.appointment_book(
            client=client,
            service=option.service,
            practitioner=Practitioner.objects.get(pk=practitioner_id),
            starts_at=starts_at,
            booked_by=None,
            source=Appointment.Source.ONLINE,
            location=location,
            held_until=held_until,
        )
    except booking_services.BookingError as error:
        raise PortalRefusal(error.message) from error
    except ValidationError as error:
        raise PortalRefusal(" ".join(error.messages)) from error


@transaction.atomic
def portal_move(
    *, client: Client, appointment, starts_at, practitioner_id: int, location_id: int
):
    if appointment.client_id != client.pk or not booking.changeable(appointment):
        raise PortalRefusal("This appointment can no longer be moved here.")
    day = starts_at.date()
    times = booking.free_days(
        appointment.service, first_day=day, exclude_appointment_id=appointment.pk
    ).times.get(day, [])
    if not _offered(
        times,
        starts_at=starts_at,
        practitioner_id=practitioner_id,
        location_id=location_id,
    ):
        raise PortalRefusal("That time has just gone: please choose another.")
    try:
        return booking_services.appointment_reschedule(
            appointment=appointment,
            starts_at=starts_at,
            by=None,
            practitioner=Practitioner.objects.get(pk=practitioner_id),
        )
    except booking_services.BookingError as error:
        raise PortalRefusal(error.message) from error


@transaction.atomic
def portal_cancel(*, client: Client, appointment):
    if appointment.client_id != client.pk or not booking.changeable(appointment):
        raise PortalRefusal("This appointment can no longer be cancelled here.")
    try:
        return booking_services.appointment_cancel(
            appointment=appointment,
            reason="Cancelled by the client in the portal.",
            by=None,
            by_client=True,
        )
    except booking_services.BookingError as error:
        raise PortalRefusal(error.message) from error
