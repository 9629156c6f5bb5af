import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.roles import Capability, require
from messaging import links, outbox, selectors, services
from messaging.forms import MessageSettingsForm, MessageTextForm
from messaging.models import AftercareStep, MessageText
from messaging.segments import sms_count
from messaging.texts import EXAMPLE_VALUES, SMS_TEXTS, TEXTS, fill


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
            "texts": [
                (
                    text,
                    sms_count(sms_example(text.key, text.sms)) if text.sms else None,
                )
                for text in selectors.message_texts().values()
            ],
            "aftercare_steps": AftercareStep.objects.all(),
        },
        status=422 if form.errors else 200,
    )


def text_kind_or_404(key: str):
    if key not in TEXTS:
        raise Http404("No such email text.")
    return TEXTS[key]


def sms_suffix(key: str) -> str:
    """What the outbox adds after a text of this kind, with an example link."""
    label_action = outbox.SMS_LINKS.get(key)
    link = (
        f" {label_action[0]} {links.short_url(12345, label_action[1])}"
        if label_action
        else ""
    )
    return f"{link} {outbox.SMS_OPT_OUT}"


def sms_example(key: str, text: str) -> str:
    return fill(text, EXAMPLE_VALUES) + sms_suffix(key)


@require(Capability.MANAGEMENT)
def message_text_edit(request, key):
    kind = text_kind_or_404(key)
    current = selectors.message_texts()[key]
    with_sms = key in SMS_TEXTS
    form = MessageTextForm(
        request.POST or None,
        instance=MessageText(
            key=key, subject=current.subject, body=current.body, sms=current.sms
        ),
        with_sms=with_sms,
    )
    if request.method == "POST" and form.is_valid():
        services.message_text_save(
            key=key,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            sms=form.cleaned_data["sms"] if with_sms else None,
        )
        messages.success(request, f"Saved the text of “{kind.label}”.")
        return redirect("setup_messages")
    context = {
        "kind": kind,
        "key": key,
        "text": current,
        "form": form,
        "example_subject": fill(current.subject, EXAMPLE_VALUES),
        "example_body": fill(current.body, EXAMPLE_VALUES),
    }
    if with_sms:
        # The count of what is in the box (what was typed, after a refused save),
        # as a client would get it; sms-count.js keeps it live while typing.
        typed = request.POST.get("sms", current.sms) if request.POST else current.sms
        example = sms_example(key, typed or SMS_TEXTS[key])
        context.update(
            example_sms=example,
            sms_count=sms_count(example),
            sms_examples=json.dumps(EXAMPLE_VALUES),
            sms_suffix=sms_suffix(key),
        )
    return render(
        request,
        "appointments/setup/message_text.html",
        context,
        status=422 if form.errors else 200,
    )


@require(Capability.MANAGEMENT)
@require_POST
def message_text_reset(request, key):
    kind = text_kind_or_404(key)
    services.message_text_reset(key=key)
    messages.success(request, f"“{kind.label}” uses the default text again.")
    return redirect("setup_messages")
