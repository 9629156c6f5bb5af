from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from appointments import selectors as appointment_selectors
from appointments.models import Appointment
from clients import selectors as client_selectors
from core.money import format_money
from core.redirects import redirect_next
from core.roles import Capability, can, require
from payments import checkout, pdf, selectors, services, stripe_api
from payments.forms import EntryForm, VoidForm
from payments.models import EntryKind
from treatments.models import TreatmentPlan


def _record(request, form, *, client, appointment=None, plan=None):
    data = form.cleaned_data
    try:
        entry = services.entry_record(
            kind=data["kind"],
            client=client,
            amount_minor=data["amount_minor"],
            method=data["method"],
            provider_reference=data["provider_reference"],
            reason=data["reason"],
            appointment=appointment,
            plan=plan,
            recorded_by=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(
        request,
        f"Recorded {entry.get_kind_display().lower()} of "
        f"{entry.amount.format(entry.location.locale)}.",
    )
    return entry


@require(Capability.BOOKING)
def appointment_payment_new(request, pk):
    appointment = appointment_selectors.appointment_get_for_user(request.user, pk)
    form = EntryForm(request.POST or None, kinds=services.kinds_for(request.user))
    if (
        request.method == "POST"
        and form.is_valid()
        and _record(request, form, client=appointment.client, appointment=appointment)
    ):
        return redirect("appointment_detail", pk=pk)
    return render(
        request,
        "payments/entry_form.html",
        {
            "form": form,
            "appointment": appointment,
            "client": appointment.client,
            "money": selectors.appointment_money(appointment),
            "where": appointment.location,
        },
        status=422 if form.errors else 200,
    )


def _targets(client) -> list[tuple[str, str]]:
    """What a payment on the client page may be for: their appointments of the last
    year and to come, and their priced courses."""
    since = timezone.now() - timezone.timedelta(days=365)
    appointments = (
        Appointment.objects.filter(client=client, starts_at__gte=since)
        .select_related("service", "location")
        .order_by("-starts_at")[:30]
    )
    plans = TreatmentPlan.objects.filter(client=client).exclude(price_minor=0)
    return [
        *(
            (
                f"a{a.pk}",
                f"{a.service} on {a.local_starts_at():%d %b %Y %H:%M} at {a.location}"
                f" ({a.get_status_display().lower()})",
            )
            for a in appointments
        ),
        *((f"p{plan.pk}", f"Course: {plan}") for plan in plans),
    ]


@require(Capability.BOOKING)
def client_payment_new(request, pk):
    client = client_selectors.client_get_for_user(request.user, pk)
    targets = _targets(client)
    form = EntryForm(
        request.POST or None,
        kinds=services.kinds_for(request.user),
        targets=targets,
        initial={"target": request.GET.get("for", "")},
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        appointment = plan = None
        if target.startswith("a"):
            appointment = Appointment.objects.get(pk=int(target[1:]), client=client)
        else:
            plan = TreatmentPlan.objects.get(pk=int(target[1:]), client=client)
        if _record(request, form, client=client, appointment=appointment, plan=plan):
            return redirect("client_detail", pk=pk)
    return render(
        request,
        "payments/entry_form.html",
        {"form": form, "client": client},
        status=422 if form.errors else 200,
    )


@require(Capability.MANAGEMENT)
def entry_void(request, pk):
    entry = selectors.entry_get_for_user(request.user, pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_void(
                entry=entry, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = "Waived" if entry.kind == EntryKind.FORFEIT else "Voided"
            messages.success(request, f"{done}: {entry}. A reversing entry records it.")
            if entry.appointment_id:
                return redirect("appointment_detail", pk=entry.appointment_id)
            return redirect("client_detail", pk=entry.client_id)
    return render(
        request,
        "payments/entry_void.html",
        {"form": form, "entry": entry},
        status=422 if form.errors else 200,
    )


@require(Capability.BOOKING)
@require_GET
def document_pdf(request, pk):
    document = selectors.document_get_for_user(request.user, pk)
    response = HttpResponse(pdf.document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.reference}.pdf"'
    return response


@require(Capability.BOOKING)
@require_POST
def document_email(request, pk):
    """Email a receipt or invoice to its client (once per document), then back."""
    document = selectors.document_get_for_user(request.user, pk)
    try:
        written = services.document_email(document=document, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if written:
            messages.success(request, f"{document} goes to the client by email.")
        else:
            messages.info(request, f"{document} was emailed to the client already.")
    return redirect_next(request, "client_detail", pk=document.client_id)


@require(Capability.BOOKING)
@require_POST
def appointment_invoice(request, pk):
    appointment = appointment_selectors.appointment_get_for_user(request.user, pk)
    try:
        invoice = services.invoice_issue(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Issued {invoice}.")
    return redirect("appointment_detail", pk=pk)


def client_page_section(user, client) -> dict:
    """The client's payments and what they owe, on the client page (clients.views)."""
    return {
        "money": selectors.client_money(client),
        "may_void": can(user, Capability.MANAGEMENT),
        "card_refunds": stripe_api.enabled(),
        "documents": selectors.documents_for(client=client),
    }


def appointment_page_section(user, appointment) -> dict:
    """What the appointment costs and what was paid, on its page."""
    money = selectors.appointment_money(appointment)
    return {
        "money": money,
        "may_void": can(user, Capability.MANAGEMENT),
        "card_refunds": stripe_api.enabled(),
        "documents": selectors.documents_for(appointment=appointment),
        "deposit_request": _deposit_request(appointment, money.deposits.minor),
    }


def _deposit_request(appointment, paid_minor: int) -> dict | None:
    """The 'Email a deposit request' button, or why it is not offered; nothing
    where no deposit is (still) asked."""
    due = appointment.service.deposit_minor - paid_minor
    if due <= 0 or appointment.status not in ("booked", "confirmed"):
        return None
    return {
        "due": due,
        "refusal": checkout.deposit_request_refusal(appointment, paid_minor=paid_minor),
    }


@require(Capability.BOOKING)
@require_POST
def deposit_request(request, pk):
    appointment = appointment_selectors.appointment_get_for_user(request.user, pk)
    try:
        due = checkout.deposit_request_send(appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        amount = format_money(
            due, appointment.location.currency, appointment.location.locale
        )
        messages.success(
            request,
            f"A request to pay the deposit of {amount} by card is on its way to "
            f"{appointment.client.email}.",
        )
    return redirect("appointment_detail", pk=pk)


def plan_page_section(user, plan) -> dict:
    """The course's price, what is paid, due and owed, on the plan's page."""
    return {"plan_money": selectors.plan_money(plan) if plan.price_minor else None}
