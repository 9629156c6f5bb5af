"""Manager set-up pages: locations, rooms, services, practitioners, hours, time off
and closures. The Django admin is a fallback; this is where a clinic runs itself."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST

from appointments import selectors, services
from appointments.forms import (
    ClosureForm,
    LocationForm,
    NewPractitionerForm,
    PractitionerForm,
    RoomForm,
    ServiceForm,
    TimeOffForm,
    WorkingHoursFormSet,
)
from appointments.models import (
    Closure,
    Location,
    Practitioner,
    Room,
    Service,
    TimeOff,
)
from clients import selectors as client_selectors
from clients import services as client_services
from clients.forms import TreatmentGatesForm
from clients.phones import display_phone
from core.money import format_money
from core.roles import Capability, require


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


@dataclass(frozen=True)
class RecordKind:
    """A kind of set-up record edited through one list page and one form."""

    title: str
    singular: str
    form: type
    queryset: Callable[[], models.QuerySet]
    columns: tuple[tuple[str, Callable], ...]
    help: str = ""

    @property
    def singular_with_article(self) -> str:
        """'an aftercare email', 'a location'."""
        article = "an" if self.singular[:1].lower() in "aeiou" else "a"
        return f"{article} {self.singular}"


def services_with_prices(services) -> list[Service]:
    """Services with their price and deposit written in each currency the locations
    keep ("£450.00 / £100.00 · $450.00 / $100.00"), read in one query."""
    places = selectors.location_currencies()
    services = list(services)
    for service in services:
        service.prices_shown = " · ".join(
            f"{format_money(service.price_minor, currency, locale)} / "
            f"{format_money(service.deposit_minor, currency, locale)}"
            for currency, locale in places
        )
    return services


KINDS = {
    "locations": RecordKind(
        "Locations",
        "location",
        LocationForm,
        lambda: Location.objects.all(),
        (
            ("Name", str),
            ("Phone", lambda r: display_phone(r.phone) or "—"),
            ("Time zone", lambda r: r.timezone),
            ("Currency", lambda r: r.currency),
            ("Tax", lambda r: f"{r.tax_rate.normalize():f}%"),
            ("Taking bookings", lambda r: yes_no(r.is_active)),
        ),
        "Times in the calendar and in emails are shown in the location's zone.",
    ),
    "rooms": RecordKind(
        "Rooms",
        "room",
        RoomForm,
        lambda: Room.objects.select_related("location"),
        (
            ("Name", lambda r: r.name),
            ("Location", lambda r: r.location),
            ("In use", lambda r: yes_no(r.is_active)),
        ),
        "Services that need a room are given a free one when booked.",
    ),
    "services": RecordKind(
        "Services",
        "service",
        ServiceForm,
        lambda: services_with_prices(Service.objects.all()),
        (
            ("Name", str),
            ("Kind", lambda r: r.get_kind_display()),
            ("Meets", lambda r: r.get_meeting_display()),
            (
                "Minutes (buffers)",
                lambda r: (
                    f"{r.duration_minutes} "
                    f"(+{r.buffer_before_minutes} before, "
                    f"+{r.buffer_after_minutes} after)"
                ),
            ),
            ("Price / deposit", lambda r: r.prices_shown),
            ("Offered", lambda r: yes_no(r.is_active)),
        ),
        "Changes apply to new bookings; booked appointments keep their times.",
    ),
    "closures": RecordKind(
        "Closures",
        "closure",
        ClosureForm,
        lambda: Closure.objects.select_related("location").filter(
            date__gte=timezone.localdate()
        ),
        (
            ("Date", lambda r: f"{r.date:%a %d %b %Y}"),
            ("Name", lambda r: r.name),
            ("Location", lambda r: r.location or "Every location"),
        ),
        "Public holidays and other days a location takes no bookings.",
    ),
}


def setup_kind_register(slug: str, kind: RecordKind, *, before: str = "") -> None:
    """Add a list to Set-up (an app above appointments, in AppConfig.ready(): pigments
    and lots from treatments, the aftercare sequence from messaging), placed before
    another list's slug, or last."""
    items = [(key, value) for key, value in KINDS.items() if key != slug]
    at = next((n for n, (key, _) in enumerate(items) if key == before), len(items))
    items.insert(at, (slug, kind))
    KINDS.clear()
    KINDS.update(items)


def kind_or_404(kind: str) -> RecordKind:
    if kind not in KINDS:
        raise Http404("No such set-up page.")
    return KINDS[kind]


def to_move_message(request, to_move: list) -> None:
    """Say at once when a change left booked appointments outside hours; the page
    the change returns to lists them with the way to move each."""
    if to_move:
        count = len(to_move)
        messages.warning(
            request,
            f"{count} booked appointment{pluralize(count)} now fall"
            f"{pluralize(count, 's,')} outside working hours, on a closure or in "
            "time off: listed under “Appointments to move”.",
        )


@require(Capability.MANAGEMENT)
def setup_home(request):
    return render(
        request,
        "appointments/setup/home.html",
        {
            "kinds": KINDS,
            "counts": {
                "locations": Location.objects.count(),
                "rooms": Room.objects.count(),
                "services": Service.objects.count(),
                "practitioners": Practitioner.objects.count(),
            },
        },
    )


@require(Capability.MANAGEMENT)
def record_list(request, kind):
    record_kind = kind_or_404(kind)
    rows = [
        (record, [column(record) for _, column in record_kind.columns])
        for record in record_kind.queryset()
    ]
    context = {"kind": kind, "record_kind": record_kind, "rows": rows}
    if kind == "closures":
        context["to_move"] = selectors.appointments_to_move()
    return render(request, "appointments/setup/record_list.html", context)


@require(Capability.MANAGEMENT)
def record_edit(request, kind, pk=None):
    record_kind = kind_or_404(kind)
    model = record_kind.form._meta.model
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    form = record_kind.form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        record = services.setup_record_save(form=form)
        messages.success(request, f"Saved {record_kind.singular} “{record}”.")
        if kind == "closures":
            to_move_message(request, selectors.appointments_to_move())
        return redirect("setup_list", kind=kind)
    return render(
        request,
        "appointments/setup/record_form.html",
        {"kind": kind, "record_kind": record_kind, "form": form, "record": instance},
    )


@require(Capability.MANAGEMENT)
@require_POST
def closure_delete(request, pk):
    closure = get_object_or_404(Closure, pk=pk)
    services.closure_delete(closure=closure)
    messages.success(request, f"Removed the closure “{closure}”.")
    return redirect("setup_list", kind="closures")


@require(Capability.MANAGEMENT)
def practitioner_list(request):
    practitioners = (
        Practitioner.objects.select_related("user")
        .prefetch_related("locations")
        .annotate(
            upcoming=Count(
                "appointments",
                filter=Q(
                    appointments__starts_at__gte=timezone.now(),
                    appointments__status__in=["booked", "confirmed"],
                ),
            )
        )
    )
    return render(
        request,
        "appointments/setup/practitioner_list.html",
        {"practitioners": practitioners},
    )


@require(Capability.MANAGEMENT)
def practitioner_new(request):
    form = NewPractitionerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            practitioner = services.practitioner_create(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                username=data["username"],
                licence_number=data["licence_number"],
                locations=data["locations"],
                colour=data["colour"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Added {practitioner}. An email to set a password went to "
                f"{practitioner.user.email}. Now set their working hours.",
            )
            return redirect("setup_practitioner_edit", pk=practitioner.pk)
    return render(request, "appointments/setup/practitioner_new.html", {"form": form})


def practitioner_page(request, practitioner, *, form=None, hours=None, time_off=None):
    return render(
        request,
        "appointments/setup/practitioner_edit.html",
        {
            "practitioner": practitioner,
            "form": form or PractitionerForm(instance=practitioner),
            "hours": hours or WorkingHoursFormSet(instance=practitioner),
            "time_off_form": time_off
            or TimeOffForm(initial={"location": practitioner.locations.first()}),
            "time_off": practitioner.time_off.filter(ends_at__gte=timezone.now()),
            "to_move": selectors.appointments_to_move(practitioner=practitioner),
            "zone": getattr(
                practitioner.locations.first(), "timezone", settings.TIME_ZONE
            ),
        },
        status=422 if any(f and f.errors for f in (form, time_off)) else 200,
    )


@require(Capability.MANAGEMENT)
def practitioner_edit(request, pk):
    practitioner = get_object_or_404(Practitioner.objects.select_related("user"), pk=pk)
    if request.method != "POST":
        return practitioner_page(request, practitioner)
    form = PractitionerForm(request.POST, instance=practitioner)
    if not form.is_valid():
        return practitioner_page(request, practitioner, form=form)
    services.setup_record_save(form=form)
    messages.success(request, f"Saved {practitioner}.")
    return redirect("setup_practitioner_edit", pk=pk)


@require(Capability.MANAGEMENT)
@require_POST
def practitioner_hours(request, pk):
    practitioner = get_object_or_404(Practitioner.objects.select_related("user"), pk=pk)
    hours = WorkingHoursFormSet(request.POST, instance=practitioner)
    if not hours.is_valid():
        messages.error(request, "The working hours were not saved: see below.")
        response = practitioner_page(request, practitioner, hours=hours)
        response.status_code = 422
        return response
    services.working_hours_save(formset=hours)
    messages.success(request, f"Saved {practitioner}'s working hours.")
    to_move_message(request, selectors.appointments_to_move(practitioner=practitioner))
    return redirect("setup_practitioner_edit", pk=pk)


@require(Capability.MANAGEMENT)
@require_POST
def time_off_add(request, pk):
    practitioner = get_object_or_404(Practitioner.objects.select_related("user"), pk=pk)
    form = TimeOffForm(request.POST)
    if not form.is_valid():
        return practitioner_page(request, practitioner, time_off=form)
    location = form.cleaned_data["location"]
    services.time_off_add(
        practitioner=practitioner,
        starts_at=form.local_starts_at(location),
        ends_at=form.local_ends_at(location),
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, f"Added time off for {practitioner}.")
    to_move_message(request, selectors.appointments_to_move(practitioner=practitioner))
    return redirect("setup_practitioner_edit", pk=pk)


@require(Capability.MANAGEMENT)
@require_POST
def time_off_delete(request, pk):
    time_off = get_object_or_404(TimeOff, pk=pk)
    services.time_off_delete(time_off=time_off)
    messages.success(request, "Removed the time off.")
    return redirect("setup_practitioner_edit", pk=time_off.practitioner_id)


@require(Capability.MANAGEMENT)
def gates_setup(request):
    """Which gates before treatment the clinic enforces; all on by default."""
    form = TreatmentGatesForm(
        request.POST or None, instance=client_selectors.treatment_gates()
    )
    if request.method == "POST" and form.is_valid():
        client_services.treatment_gates_update(form=form, by=request.user)
        messages.success(request, "Saved the gates before treatment.")
        return redirect("setup_gates")
    return render(
        request,
        "appointments/setup/gates.html",
        {"form": form, "minimum_age": settings.TREATMENT_MINIMUM_AGE},
        status=422 if form.errors else 200,
    )
