from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.roles import Capability, require
from messaging import selectors, services
from messaging.forms import MessageSettingsForm, MessageTextForm
from messaging.models import AftercareStep, MessageText
from messaging.texts import EXAMPLE_VALUES, TEXTS, fill


@require(Capability.MANAGEMENT)
def messages_setup(request):
    form = MessageSettingsForm(
        request.POST or None, instance=selectors.message_settings()
    )
    if request.method == "POST" and form.is_valid():
        replanned = services.message_settings_update(
            form=form,
            by=request.user,
            apply_to_booked=form.cleaned_data["apply_to_booked"],
        )
        note = "Saved the message times."
        if replanned:
            note += f" Re-planned the reminders of {replanned} appointments."
        messages.success(request, note)
        return redirect("setup_messages")
    return render(
        request,
        "appointments/setup/messages.html",
        {
            "form": form,
            "texts": selectors.message_texts().values(),
            "aftercare_steps": AftercareStep.objects.all(),
        },
        status=422 if form.errors else 200,
    )


def text_kind_or_404(key: str):
    if key not in TEXTS:
        raise Http404("No such email text.")
    return TEXTS[key]


@require(Capability.MANAGEMENT)
def message_text_edit(request, key):
    kind = text_kind_or_404(key)
    current = selectors.message_texts()[key]
    form = MessageTextForm(
        request.POST or None,
        instance=MessageText(key=key, subject=current.subject, body=current.body),
    )
    if request.method == "POST" and form.is_valid():
        services.message_text_save(
            key=key,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        messages.success(request, f"Saved the text of “{kind.label}”.")
        return redirect("setup_messages")
    return render(
        request,
        "appointments/setup/message_text.html",
        {
            "kind": kind,
            "key": key,
            "text": current,
            "form": form,
            "example_subject": fill(current.subject, EXAMPLE_VALUES),
            "example_body": fill(current.body, EXAMPLE_VALUES),
        },
        status=422 if form.errors else 200,
    )


@require(Capability.MANAGEMENT)
@require_POST
def message_text_reset(request, key):
    kind = text_kind_or_404(key)
    services.message_text_reset(key=key)
    messages.success(request, f"“{kind.label}” uses the default text again.")
    return redirect("setup_messages")
