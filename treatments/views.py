"""Treatment pages: plans, whole-course booking, session records, healing checks,
photos, the lot recall and the ink passport."""

import csv
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from appointments.selectors import appointment_get_for_user
from appointments.services import TreatmentRefused
from clients import selectors as client_selectors
from clients.phones import display_phone
from clients.photos import PhotoRejected, check_size
from core.audit import access_record
from core.headers import uses_camera
from core.roles import Capability, require
from core.spreadsheets import safe_cell
from pigments import selectors as pigment_selectors
from treatments import hooks, rules, selectors, services
from treatments.forms import (
    CourseForm,
    CourseStartForm,
    DesignSignOffForm,
    HealingForm,
    LotStatusForm,
    NeedleFormSet,
    PhotoForm,
    PlanEditForm,
    PlanForm,
    SessionRecordForm,
    needle_initial,
    needles_from,
)
from treatments.models import TreatmentPlan


def _invalid(form) -> int:
    return 422 if form.errors else 200


@require(Capability.CLINICAL)
def plan_new(request, pk):
    client = client_selectors.clinical_client_get_for_user(request.user, pk)
    decision = client_selectors.suitability_latest(client)
    # Not offered when it would be refused; a post (the decision changed since the
    # form opened) goes to the service, which refuses with what was typed kept.
    if request.method != "POST" and (refusal := rules.plan_refusal(decision)):
        messages.error(request, refusal)
        return redirect("client_detail", pk=client.pk)
    practitioner = getattr(request.user, "practitioner", None)
    form = PlanForm(request.POST or None, initial={"practitioner": practitioner})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                client=client, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Created the plan: {plan}.")
            return redirect("plan_detail", pk=plan.pk)
    return render(
        request,
        "treatments/plan_form.html",
        {
            "client": client,
            "form": form,
            "decision": decision,
        },
        status=_invalid(form),
    )


@require(Capability.CLINICAL)
def plan_edit(request, pk):
    plan = selectors.plan_get_for_user(request.user, pk)
    form = PlanEditForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(plan=plan, fields=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the plan.")
            return redirect("plan_detail", pk=pk)
    return render(
        request,
        "treatments/plan_form.html",
        {"client": plan.client, "form": form, "plan": plan},
        status=_invalid(form),
    )


@require(Capability.CLINICAL)
@require_GET
def plan_detail(request, pk):
    plan = selectors.plan_get_for_user(request.user, pk)
    access_record(instance=plan, page="plan")
    sections = {}
    for section in _plan_page_sections:
        sections.update(section(request.user, plan))
    return render(
        request,
        "treatments/plan_detail.html",
        {
            **sections,
            "plan": plan,
            "client": plan.client,
            "sessions": plan.sessions.all(),
            "gap_problems": selectors.course_gap_problems(plan),
            "earliest": selectors.plan_earliest_start(plan),
            "sign_off_form": DesignSignOffForm(),
            "healing_form": HealingForm(),
            "photos": plan.photos.all(),
        },
    )


@require(Capability.CLINICAL)
@require_POST
def plan_sign_off(request, pk):
    plan = selectors.plan_get_for_user(request.user, pk)
    form = DesignSignOffForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("The client types their name to agree.")
        services.plan_design_sign_off(
            plan=plan, typed_name=form.cleaned_data["typed_name"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The client agreed to the hairline design.")
    return redirect("plan_detail", pk=pk)


@require(Capability.CLINICAL)
@require_POST
def plan_cancel(request, pk):
    plan = selectors.plan_get_for_user(request.user, pk)
    try:
        services.plan_cancel(plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Cancelled the plan. Its booked sessions stay in the calendar."
        )
    return redirect("plan_detail", pk=pk)


@require(Capability.BOOKING)
def course_book(request, pk):
    """Propose every session not booked yet; the front desk adjusts and books all."""
    plan = selectors.plan_get_for_user(request.user, pk, capability=Capability.BOOKING)
    todo = selectors.unbooked_sessions(plan)
    location = selectors.course_location(plan)
    start_form = CourseStartForm(
        request.GET or None,
        plan=plan,
        initial={"location": location, "first_day": timezone.localdate()},
    )
    chosen = start_form.cleaned_data if start_form.is_valid() else {}
    location = chosen.get("location", location)
    first_day = chosen.get("first_day", timezone.localdate())
    form = CourseForm(request.POST or None, sessions=todo)
    missing = []
    if request.method == "POST" and form.is_valid():
        try:
            booked = services.course_book(
                plan=plan,
                starts=form.starts(location),
                location=location,
                booked_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            missing = getattr(error, "missing", [])
        else:
            messages.success(
                request,
                f"Booked {len(booked)} session{'s' if len(booked) != 1 else ''} "
                f"of {plan} for {plan.client}.",
            )
            return redirect("client_detail", pk=plan.client_id)
    # Proposed only for a page that is shown: a booked course redirects without it.
    proposal = (
        selectors.course_proposal(plan=plan, first_day=first_day, location=location)
        if todo and location
        else None
    )
    for row in proposal.rows if proposal else []:
        if row.local_start:
            form.initial[f"date_{row.session.number}"] = row.local_start.date()
            form.initial[f"time_{row.session.number}"] = row.local_start.time()
    return render(
        request,
        "treatments/course_book.html",
        {
            "plan": plan,
            "client": plan.client,
            "form": form,
            "start_form": start_form,
            "proposal": proposal,
            "location": location,
            "booked": [s for s in plan.sessions.all() if selectors.is_live(s)],
            "missing": missing,
        },
        status=_invalid(form),
    )


@require(Capability.CLINICAL)
def session_record(request, pk):
    session = selectors.session_get_for_user(request.user, pk)
    if request.method != "POST" and (
        refusal := rules.session_record_refusal(session.appointment)
    ):
        messages.error(request, refusal)
        if session.plan_id is None:
            return redirect("client_detail", pk=session.client_id)
        return redirect("plan_detail", pk=session.plan_id)
    previous = selectors.previous_session(session)
    if session.is_recorded:
        initial = SessionRecordForm.initial_for(session)
    else:
        initial = SessionRecordForm.carried_from(previous) if previous else {}
    appointment = session.appointment
    form = SessionRecordForm(
        request.POST or None,
        initial=initial,
        lots=pigment_selectors.lots_for_picker(
            selectors.session_local_day(session)
            if session.appointment
            else timezone.localdate(),
            keep=session.pigments.values_list("lot_id", flat=True),
        ),
        can_complete=appointment is not None
        and appointment.can_complete(timezone.now()),
    )
    missing = []
    # A post without the further needles (an older page) leaves them as they are.
    needles = NeedleFormSet(
        request.POST if "needles-TOTAL_FORMS" in request.POST else None,
        prefix="needles",
        initial=needle_initial(session) if session.is_recorded else None,
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (not needles.is_bound or needles.is_valid())
    ):
        try:
            services.session_record(
                session=session,
                zones=form.zones(),
                pigments=form.pigments(),
                by=request.user,
                complete_appointment=form.completes_appointment(),
                needles=needles_from(needles) if needles.is_bound else None,
                **form.details(),
            )
        except ValidationError as error:
            # Refusals may name fields of other records (the appointment completed on
            # the same save): shown above the form, not attached to a field it lacks.
            form.add_error(None, error.messages)
        except TreatmentRefused as refused:
            form.add_error(None, refused.message)
            missing = refused.missing
        else:
            messages.success(request, f"Recorded {session}.")
            if session.plan_id is None:
                return redirect("client_detail", pk=session.client_id)
            return redirect("plan_detail", pk=session.plan_id)
    access_record(instance=session, page="session record")
    return render(
        request,
        "treatments/session_record.html",
        {
            "session": session,
            "plan": session.plan,
            "client": session.client,
            "previous": previous,
            "form": form,
            "needles": needles,
            "missing": missing,
            "healing_form": HealingForm(),
            "zones": {
                value: request.POST.get(f"zone_{value}", "")
                for value, _ in form.zone_fields()
            }
            if request.method == "POST"
            else session.zones or (previous.zones if previous else {}),
        },
        status=422
        if form.errors or (needles.is_bound and needles.total_error_count())
        else 200,
    )


@require(Capability.CLINICAL)
@require_POST
def session_open(request, pk):
    """Open the session record of an appointment outside a course."""
    appointment = appointment_get_for_user(request.user, pk)
    try:
        session = services.session_open(appointment=appointment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("appointment_detail", pk=pk)
    return redirect("session_record", pk=session.pk)


@require(Capability.CLINICAL)
@require_POST
def session_healing(request, pk):
    session = selectors.session_get_for_user(request.user, pk)
    form = HealingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose healed or not healed.")
        services.session_healing_record(
            session=session,
            healing=form.cleaned_data["healing"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Recorded the healing of {session}.")
    next_session = request.POST.get("next_session", "")
    if next_session.isascii() and next_session.isdigit() and len(next_session) < 10:
        return redirect("session_record", pk=int(next_session))
    if session.plan_id is None:
        return redirect("session_record", pk=session.pk)
    return redirect("plan_detail", pk=session.plan_id)


@require(Capability.CLINICAL)
@uses_camera
def photos(request, pk):
    """A client's photos, upload from a phone or tablet camera, and comparison."""
    client = client_selectors.clinical_client_get_for_user(request.user, pk)
    form = PhotoForm(request.POST or None, request.FILES or None, client=client)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["image"]
        try:
            check_size(upload.size)
            services.photo_add(
                client=client,
                data=upload.read(),
                kind=form.cleaned_data["kind"],
                view=form.cleaned_data["view"],
                plan=form.cleaned_data["plan"],
                session=form.cleaned_data["session"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except (ValidationError, PhotoRejected) as error:
            message = error.messages if isinstance(error, ValidationError) else [error]
            form.add_error("image", [str(m) for m in message])
        else:
            messages.success(request, "Added the photo, cleaned of location data.")
            return redirect("photos", pk=pk)
    consented = selectors.has_photo_consent(client)
    all_photos = list(selectors.photos_for_client(client)) if consented else []
    access_record(instance=client, page="photos")
    return render(
        request,
        "treatments/photos.html",
        {
            "client": client,
            "form": form,
            "consented": consented,
            "photos": all_photos,
            "pairs": selectors.photo_pairs(all_photos),
            "marketing": selectors.has_marketing_photo_consent(client),
        },
        status=_invalid(form),
    )


@require(Capability.CLINICAL)
@require_GET
def photo_file(request, pk, size):
    photo = selectors.photo_get_for_user(request.user, pk)
    if size not in ("full", "thumb"):
        raise Http404("No such size.")
    stored = photo.image if size == "full" else photo.thumbnail
    if size == "full":
        access_record(instance=photo, page="photo")
    response = FileResponse(stored.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require(Capability.MANAGEMENT)
@require_GET
def lot_recall(request, pk):
    lot = selectors.lot_get_for_user(request.user, pk)
    uses = selectors.lot_recall(lot)
    tests = selectors.lot_recall_patch_tests(lot)
    if request.GET.get("format") == "csv":
        access_record(instance=lot, page="lot recall", export="recall CSV")
        return _recall_csv(lot, uses, tests)
    access_record(instance=lot, page="lot recall")
    return render(
        request,
        "treatments/lot_recall.html",
        {
            "lot": lot,
            "uses": uses,
            "tests": tests,
            "contacts": selectors.lot_recall_clients(lot),
            "notified": sum(hooks.lot_recall_notices_count(lot=lot)),
            "status_form": LotStatusForm(initial={"status": lot.status}),
        },
    )


@require(Capability.MANAGEMENT)
@require_POST
def lot_status(request, pk):
    lot = selectors.lot_get_for_user(request.user, pk)
    form = LotStatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose in use, quarantined or recalled.")
        lot = services.lot_status_set(lot=lot, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{lot} is now {lot.get_status_display().lower()}.")
    return redirect("lot_recall", pk=pk)


@require(Capability.MANAGEMENT)
@require_POST
def lot_notify(request, pk):
    lot = selectors.lot_get_for_user(request.user, pk)
    try:
        written = services.lot_recall_notify(lot=lot)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Wrote {written} recall notice{'s' if written != 1 else ''} to the "
            "outbox" + ("." if written else ": every client here has one already."),
        )
    return redirect("lot_recall", pk=pk)


def _recall_csv(lot, uses, tests) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "".join(c if c.isalnum() else "-" for c in lot.lot_number)
    response["Content-Disposition"] = f'attachment; filename="recall-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "client",
            "email",
            "phone",
            "session",
            "date",
            "location",
            "practitioner",
            "licence",
            "dilution",
        ]
    )
    for use in uses:
        session, client = use.session, use.session.client
        appointment = session.appointment
        writer.writerow(
            [
                safe_cell(client.full_name),
                safe_cell(client.email),
                safe_cell(display_phone(client.phone)),
                session.number if session.plan_id else "outside a course",
                appointment.starts_at.astimezone(appointment.location.zone).date()
                if appointment
                else "",
                safe_cell(appointment.location.name) if appointment else "",
                safe_cell(str(appointment.practitioner)) if appointment else "",
                safe_cell(session.licence_number),
                safe_cell(use.dilution),
            ]
        )
    zone = timezone.get_current_timezone()
    for test in tests:
        client = test.client
        writer.writerow(
            [
                safe_cell(client.full_name),
                safe_cell(client.email),
                safe_cell(display_phone(client.phone)),
                "patch test",
                test.applied_at.astimezone(zone).date(),
                "",
                safe_cell(test.recorded_by.get_full_name() if test.recorded_by else ""),
                "",
                "",
            ]
        )
    return response


@require(Capability.CLINICAL)
def ink_passport(request, pk):
    client = client_selectors.clinical_client_get_for_user(request.user, pk)
    if request.method == "POST":
        try:
            services.ink_passport_send(client=client)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"The ink passport is on its way to {client.email}."
            )
        return redirect("ink_passport", pk=pk)
    access_record(instance=client, page="ink passport")
    return render(
        request,
        "treatments/ink_passport.html",
        {"client": client, "passport": selectors.ink_passport(client)},
    )


# What the apps above treatments show on a plan's page (what the course is paid):
# section(user, plan) -> template context, registered in their AppConfig.ready().
PlanPageSection = Callable[[object, TreatmentPlan], dict]
_plan_page_sections: list[PlanPageSection] = []


def plan_page_section_register(section: PlanPageSection) -> PlanPageSection:
    if section not in _plan_page_sections:
        _plan_page_sections.append(section)
    return section


def client_page_section(user, client) -> dict:
    """The client's plans on the client page (clients.views)."""
    return {"plans": selectors.plans_for_client(client)}


def appointment_page_section(user, appointment) -> dict:
    """The appointment's course and session record on its page (appointments.views)."""
    course = selectors.course_context(appointment)
    return {
        "course": course,
        "outside_course": None
        if course
        else selectors.session_outside_course(appointment),
        # Offered or, not yet recordable, said why (the appointment's rule).
        "may_open_session": appointment.service.kind in services.OPEN_SESSION_KINDS,
    }
