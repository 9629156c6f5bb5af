"""Client pages: list and search, records, intake, contraindications, suitability,
patch tests, consents and the CSV import."""

import base64
import binascii
import hashlib
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from clients import selectors, services
from clients.forms import (
    INTAKE_SECTIONS,
    ClearanceForm,
    ClientForm,
    ConsentSignForm,
    ConsentTextForm,
    ContraindicationForm,
    ImportForm,
    NewClientForm,
    PatchTestForm,
    PatchTestReadForm,
    PatchTestWithdrawForm,
    SuitabilityForm,
)
from clients.models import Client, ConsentKind, ConsentText, Intake
from core.audit import access_record
from core.htmx import is_htmx
from core.pagination import peek_page
from core.roles import Capability, can, require


def search_query(request) -> str:
    """What was typed in a search box, without NUL (no name holds one)."""
    return request.GET.get("q", "").replace("\x00", "")[:100]


@require(Capability.BOOKING)
@require_GET
def client_options(request):
    """Search-as-you-type results as radio options for a form's client picker."""
    query = search_query(request)
    return render(
        request,
        "clients/partials/client_options.html",
        {
            "query": query,
            "clients": selectors.client_search(user=request.user, query=query)
            if query.strip()
            else [],
        },
    )


@require(Capability.BOOKING)
@require_GET
def client_list(request):
    query = search_query(request)
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.CLIENT_LIST_SORTS else ""
    found = selectors.client_list(user=request.user, query=query, sort=sort)
    page = peek_page(found, request.GET.get("page"), 50)
    selectors.client_list_facts(page.object_list)
    today = timezone.localdate()
    for client in page.object_list:
        client.stage = selectors.client_list_stage(client, today)
    context = {
        "query": query,
        "page": page,
        "sort": sort,
        "sort_label": selectors.CLIENT_LIST_SORTS.get(sort, ""),
        "sort_param": f"sort={sort}" if sort else "",
        "sorts": selectors.CLIENT_LIST_SORTS,
    }
    if is_htmx(request):
        return render(request, "clients/partials/client_rows.html", context)
    return render(request, "clients/client_list.html", context)


@require(Capability.BOOKING)
def client_new(request):
    form = NewClientForm(request.POST or None)
    candidates = []
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "different_person"}
        try:
            client = services.client_create(
                allow_duplicate=form.cleaned_data["different_person"], **data
            )
        except services.DuplicateClient as duplicate:
            candidates = duplicate.candidates
        else:
            messages.success(request, f"Added {client}.")
            return redirect("client_detail", pk=client.pk)
    return render(
        request, "clients/client_new.html", {"form": form, "candidates": candidates}
    )


# What the apps above clients show on the client page (the plans, the waitlist):
# each registers section(user, client) -> template context in its AppConfig.ready().
ClientPageSection = Callable[[object, Client], dict]
_client_page_sections: list[ClientPageSection] = []


def client_page_section_register(section: ClientPageSection) -> ClientPageSection:
    if section not in _client_page_sections:
        _client_page_sections.append(section)
    return section


@require(Capability.BOOKING)
def client_detail(request, pk):
    client = selectors.client_get_for_user(request.user, pk)
    clinical = can(request.user, Capability.CLINICAL)
    if clinical:
        # The timeline, the assessment and the page each read these.
        selectors.clinical_record_prefetch(client)
    context = {
        "client": client,
        "decision": selectors.suitability_latest(client),
        "timeline": selectors.client_timeline(user=request.user, client=client),
        "clinical": clinical,
    }
    for section in _client_page_sections:
        context.update(section(request.user, client))
    if clinical:
        access_record(instance=client, page="client record")
        intake = selectors.intake_for(client)
        context.update(
            assessment=selectors.client_assessment(client),
            intake=intake,
            intake_missing=selectors.intake_missing_sections(intake),
            # What the client entered in the portal, waiting for review.
            intake_entries=selectors.intake_entries_pending(client),
            active_contraindications=selectors.active_contraindications(client),
            contraindications=client.contraindications.all(),
            patch_tests=client.patch_tests.all(),
            consents=selectors.consent_statuses(client),
            contraindication_form=ContraindicationForm(),
        )
    return render(request, "clients/client_detail.html", context)


@require(Capability.BOOKING)
def client_edit(request, pk):
    client = selectors.client_get_for_user(request.user, pk)
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        services.client_update(client=client, **form.cleaned_data)
        messages.success(request, f"Saved {client}.")
        return redirect("client_detail", pk=pk)
    return render(request, "clients/client_edit.html", {"form": form, "client": client})


def intake_forms(intake: Intake, bound: dict | None = None) -> dict:
    bound = bound or {}
    return {
        slug: bound.get(slug) or form_class(instance=intake, prefix=slug)
        for slug, form_class in INTAKE_SECTIONS.items()
    }


@require(Capability.CLINICAL)
def intake(request, pk):
    client = selectors.clinical_client_get_for_user(request.user, pk)
    record = selectors.intake_for(client) or Intake(client=client)
    access_record(instance=client, page="intake")
    return render(
        request,
        "clients/intake.html",
        {
            "client": client,
            "intake": record,
            "sections": intake_forms(record),
            # What the client entered in the portal, waiting for review.
            "intake_entries": selectors.intake_entries_pending(client),
        },
    )


@require(Capability.CLINICAL)
@require_POST
def intake_section(request, pk, section):
    """Save one section; with htmx only that section is swapped back."""
    client = selectors.clinical_client_get_for_user(request.user, pk)
    if section not in INTAKE_SECTIONS:
        raise Http404("No such intake section.")
    record = selectors.intake_for(client) or Intake(client=client)
    form = INTAKE_SECTIONS[section](request.POST, instance=record, prefix=section)
    saved = False
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form._meta.fields}
        try:
            record = services.intake_save(client=client, fields=fields, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            saved = True
            form = INTAKE_SECTIONS[section](instance=record, prefix=section)
    if is_htmx(request):
        return render(
            request,
            "clients/partials/intake_section.html",
            {"client": client, "slug": section, "form": form, "saved": saved},
            status=200 if saved or not form.errors else 422,
        )
    if saved:
        messages.success(request, f"Saved {form.title.lower()}.")
        return redirect("intake", pk=pk)
    return render(
        request,
        "clients/intake.html",
        {
            "client": client,
            "intake": record,
            "sections": intake_forms(record, {section: form}),
        },
        status=422,
    )


def _seen_entries(values: list[str]) -> dict[int, str]:
    """The review page's "<entry id> <entered at>" pairs: the answers it showed."""
    seen = {}
    for value in values:
        pk, _, entered_at = value.partition(" ")
        if pk.isdigit():
            seen[int(pk)] = entered_at
    return seen


@require(Capability.CLINICAL)
@require_http_methods(["GET", "POST"])
def intake_review(request, pk):
    """What the client entered in the portal beside the intake on file; the
    practitioner confirms a section (or all of them), or sets one aside."""
    client = selectors.clinical_client_get_for_user(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        seen = _seen_entries(request.POST.getlist("seen"))
        on_file = request.POST.get("on_file")
        try:
            if action == "confirm_all":
                services.intake_entries_confirm(
                    client=client, by=request.user, seen=seen, on_file=on_file
                )
                messages.success(request, "Confirmed the client's answers.")
            elif (
                action in ("confirm", "set_aside")
                and request.POST.get("entry", "").isdigit()
            ):
                entry = selectors.intake_entry_pending_get(
                    client, int(request.POST["entry"])
                )
                title = entry.get_section_display().lower()
                if action == "confirm":
                    services.intake_entry_confirm(
                        entry=entry, by=request.user, seen=seen, on_file=on_file
                    )
                    messages.success(request, f"Confirmed {title}.")
                else:
                    services.intake_entry_set_aside(
                        entry=entry, by=request.user, seen=seen
                    )
                    messages.success(request, f"Set aside the client's {title}.")
            else:
                messages.error(request, "Choose to confirm a section or set it aside.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("intake_review", pk=pk)
    access_record(instance=client, page="intake review")
    intake = selectors.intake_for(client)
    return render(
        request,
        "clients/intake_review.html",
        {
            "client": client,
            "sections": selectors.intake_review(client),
            "on_file": intake.updated_at.isoformat() if intake else "",
        },
    )


@require(Capability.CLINICAL)
@require_POST
def contraindication_new(request, pk):
    client = selectors.clinical_client_get_for_user(request.user, pk)
    form = ContraindicationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.contraindication_record(
                client=client,
                kind=data["kind"],
                severity=data["severity"],
                until=data["until"],
                notes=data["notes"],
                document=data["clearance_document"] or None,
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Recorded the contraindication.")
            return redirect("client_detail", pk=pk)
    messages.error(request, "The contraindication was not recorded: see the form.")
    return render(
        request,
        "clients/contraindication_form.html",
        {"client": client, "form": form},
        status=422,
    )


@require(Capability.CLINICAL)
def contraindication_clear(request, pk):
    contraindication = selectors.contraindication_get_for_user(request.user, pk)
    form = ClearanceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contraindication_clear(
                contraindication=contraindication,
                document=form.cleaned_data["document"],
                cleared_on=form.cleaned_data["cleared_on"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Recorded the doctor's clearance.")
            return redirect("client_detail", pk=contraindication.client_id)
    return render(
        request,
        "clients/clearance_form.html",
        {"contraindication": contraindication, "form": form},
        status=422 if form.errors else 200,
    )


@require(Capability.CLINICAL)
def contraindication_resolve(request, pk):
    """Asks first (a page, so it works without scripts): a contraindication marked
    over by a slip would let a gate open."""
    contraindication = selectors.contraindication_get_for_user(request.user, pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.contraindication_resolve(
                contraindication=contraindication, by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Marked “{contraindication}” as no longer applying."
            )
        return redirect("client_detail", pk=contraindication.client_id)
    return render(
        request,
        "clients/contraindication_resolve.html",
        {"contraindication": contraindication, "client": contraindication.client},
    )


@require(Capability.CLINICAL)
@require_GET
def contraindication_document(request, pk):
    contraindication = selectors.contraindication_get_for_user(request.user, pk)
    if not contraindication.clearance_document:
        raise Http404("No document.")
    access_record(instance=contraindication, page="clearance document")
    return FileResponse(
        contraindication.clearance_document.open("rb"),
        as_attachment=True,
        filename=f"clearance-{contraindication.pk}"
        + contraindication.clearance_document.name[-4:],
    )


@require(Capability.CLINICAL)
def suitability_decide(request, pk):
    client = selectors.clinical_client_get_for_user(request.user, pk)
    assessment = selectors.client_assessment(client)
    form = SuitabilityForm(
        request.POST or None,
        recommended=assessment.recommendation,
        initial={
            "decision": assessment.recommendation,
            "defer_until": assessment.defer_until,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.suitability_decide(
                client=client,
                decision=form.cleaned_data["decision"],
                defer_until=form.cleaned_data["defer_until"],
                override_reason=form.cleaned_data["override_reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Recorded the suitability decision.")
            return redirect("client_detail", pk=pk)
    access_record(instance=client, page="suitability")
    return render(
        request,
        "clients/suitability.html",
        {"client": client, "assessment": assessment, "form": form},
        status=422 if form.errors else 200,
    )


@require(Capability.CLINICAL)
def patch_test_new(request, pk):
    client = selectors.clinical_client_get_for_user(request.user, pk)
    form = PatchTestForm(
        request.POST or None,
        initial={"applied_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.patch_test_apply(
                client=client,
                lots=list(form.cleaned_data["lots"]),
                applied_at=form.cleaned_data["applied_at"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Recorded the patch test. Read it in 48 hours.")
            return redirect("client_detail", pk=pk)
    return render(
        request,
        "clients/patch_test_form.html",
        {"client": client, "form": form},
        status=422 if form.errors else 200,
    )


@require(Capability.CLINICAL)
def patch_test_read(request, pk):
    patch_test = selectors.patch_test_get_for_user(request.user, pk)
    form = PatchTestReadForm(
        request.POST or None,
        initial={"read_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.patch_test_read(
                patch_test=patch_test,
                result=form.cleaned_data["result"],
                read_at=form.cleaned_data["read_at"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Recorded the patch test reading.")
            return redirect("client_detail", pk=patch_test.client_id)
    access_record(instance=patch_test, page="patch test reading")
    return render(
        request,
        "clients/patch_test_read.html",
        {"patch_test": patch_test, "client": patch_test.client, "form": form},
        status=422 if form.errors else 200,
    )


@require(Capability.CLINICAL)
def patch_test_withdraw(request, pk):
    patch_test = selectors.patch_test_get_for_user(request.user, pk)
    form = PatchTestWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patch_test_withdraw(
                patch_test=patch_test,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Withdrew the patch test; it no longer counts.")
            return redirect("client_detail", pk=patch_test.client_id)
    return render(
        request,
        "clients/patch_test_withdraw.html",
        {"patch_test": patch_test, "client": patch_test.client, "form": form},
        status=422 if form.errors else 200,
    )


def decode_signature(data_url: str) -> bytes | None:
    """A canvas's PNG data URL to bytes; anything else is refused."""
    prefix = "data:image/png;base64,"
    if not data_url:
        return None
    if not data_url.startswith(prefix) or len(data_url) > 2_000_000:
        raise ValidationError("The signature could not be read; sign again.")
    try:
        png = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationError("The signature could not be read; sign again.") from error
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError("The signature could not be read; sign again.")
    return png


@require(Capability.CLINICAL)
def consent_sign(request, pk, kind):
    client = selectors.clinical_client_get_for_user(request.user, pk)
    if kind not in ConsentKind.values:
        raise Http404("No such consent.")
    text = selectors.consent_texts_current().get(kind)
    if text is None:
        messages.error(
            request, "There is no text for this consent yet: a manager must add one."
        )
        return redirect("client_detail", pk=pk)
    form = ConsentSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_sign(
                client=client,
                text=text,
                typed_name=form.cleaned_data["typed_name"],
                signature_png=decode_signature(form.cleaned_data["signature"]),
                by=request.user,
            )
            if kind == ConsentKind.PATCH_TEST_WAIVER:
                services.patch_test_waive(
                    client=client, waiver=consent, notes="", by=request.user
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{client} signed “{text.title}”.")
            return redirect("client_detail", pk=pk)
    return render(
        request,
        "clients/consent_sign.html",
        {"client": client, "text": text, "form": form},
        status=422 if form.errors else 200,
    )


@require(Capability.CLINICAL)
@require_GET
def consent_detail(request, pk):
    consent = selectors.consent_get_for_user(request.user, pk)
    access_record(instance=consent, page="consent")
    return render(request, "clients/consent_detail.html", {"consent": consent})


@require(Capability.CLINICAL)
@require_POST
def consent_withdraw(request, pk):
    consent = selectors.consent_get_for_user(request.user, pk)
    try:
        services.consent_withdraw(consent=consent)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{consent.client} withdrew “{consent.text.title}”.")
    return redirect("client_detail", pk=consent.client_id)


@require(Capability.CLINICAL)
@require_GET
def consent_signature(request, pk):
    consent = selectors.consent_get_for_user(request.user, pk)
    if not consent.signature:
        raise Http404("Signed by typed name.")
    access_record(instance=consent, page="consent signature")
    return FileResponse(consent.signature.open("rb"), content_type="image/png")


@require(Capability.MANAGEMENT)
def consent_texts(request):
    form = ConsentTextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text = services.consent_text_publish(**form.cleaned_data)
        messages.success(
            request,
            f"Published {text}. Clients who signed an earlier version are asked again.",
        )
        return redirect("consent_texts")
    return render(
        request,
        "clients/consent_texts.html",
        {"form": form, "texts": ConsentText.objects.all()},
    )


IMPORT_SESSION_KEY = "client_import"


@require(Capability.MANAGEMENT)
def client_import(request):
    """Upload, preview with errors by row, then import all rows or none."""
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending or pending["digest"] != request.POST.get("digest"):
            messages.error(request, "That preview has expired; upload the file again.")
            return redirect("client_import")
        try:
            created = services.clients_import(pending["text"])
        except ValidationError:
            messages.error(request, "The file has errors now; nothing was imported.")
            return redirect("client_import")
        del request.session[IMPORT_SESSION_KEY]
        messages.success(request, f"Imported {len(created)} clients.")
        return redirect("client_list")
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = digest = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["file"]
        preview = services.clients_import_preview(text)
        if preview.is_valid:
            digest = hashlib.sha256(text.encode()).hexdigest()
            request.session[IMPORT_SESSION_KEY] = {"text": text, "digest": digest}
    return render(
        request,
        "clients/client_import.html",
        {"form": form, "preview": preview, "digest": digest},
    )
