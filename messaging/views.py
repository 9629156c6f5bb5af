from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from core.roles import Capability, require
from messaging import outbox, selectors, services

# The HTML version of an email is a document the clinic's templates wrote around a
# visitor's words: it is shown in <iframe sandbox> and, should it be opened on its
# own, runs nothing, loads nothing but the clinic's logo (by its absolute URL, as
# the client's mail program loads it), submits nothing and is an opaque origin.
EMAIL_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: {logo}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)


@require(Capability.BOOKING)
@require_GET
def outbox_list(request):
    status = request.GET.get("status", "")
    if status not in ("", "sent", "cancelled", "failed"):
        status = ""
    page = Paginator(
        selectors.outbox_for_user(request.user, status=status), 100
    ).get_page(request.GET.get("page"))
    return render(request, "clients/outbox.html", {"page": page, "status": status})


@require(Capability.BOOKING)
@require_GET
def message_detail(request, pk):
    """The email as the client gets (or got) it, rendered from today's templates: the
    text escaped on the page, the HTML version in a sandboxed frame of its own."""
    message = selectors.message_get_for_user(request.user, pk)
    if message.channel == message.Channel.SMS:
        # The text as sent, or as it would be sent now.
        sms_text = message.body or outbox.build_sms(message)
        return render(
            request,
            "clients/message_detail.html",
            {"message": message, "sms_text": sms_text},
        )
    email = outbox.build_email(message)
    return render(
        request,
        "clients/message_detail.html",
        {"message": message, "email": email, "has_html": bool(email.alternatives)},
    )


@require(Capability.BOOKING)
@require_GET
@csp_exempt()
@xframe_options_sameorigin
def message_email_html(request, pk):
    message = selectors.message_get_for_user(request.user, pk)
    if message.channel == message.Channel.SMS:
        raise Http404("A text message has no HTML version.")
    email = outbox.build_email(message)
    if not email.alternatives:
        raise Http404("This message has no HTML version.")
    response = HttpResponse(email.alternatives[0][0], content_type="text/html")
    response["Content-Security-Policy"] = EMAIL_HTML_POLICY.format(
        logo=settings.SITE_URL + "/clinic/logo/"
    )
    return response


@require(Capability.BOOKING)
@require_POST
def message_retry(request, pk):
    message = selectors.message_get_for_user(request.user, pk)
    outbox.message_retry(message=message)
    messages.success(request, "The message will be sent again within a minute.")
    return redirect("outbox")


@require(Capability.BOOKING)
@require_GET
def replies_list(request):
    handled = request.GET.get("show") == "handled"
    page = Paginator(
        selectors.replies_for_user(request.user, handled=handled), 50
    ).get_page(request.GET.get("page"))
    return render(request, "clients/replies.html", {"page": page, "handled": handled})


@require(Capability.BOOKING)
@require_POST
def reply_send(request, pk):
    inbound = selectors.reply_get_for_user(request.user, pk)
    try:
        services.inbound_reply_send(
            inbound=inbound, text=request.POST.get("text", ""), by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("replies")
    messages.success(request, f"The reply to {inbound.client} will go within a minute.")
    return redirect("replies")


@require(Capability.BOOKING)
@require_POST
def reply_done(request, pk):
    inbound = selectors.reply_get_for_user(request.user, pk)
    services.inbound_mark_handled(inbound=inbound, by=request.user)
    messages.success(request, "Marked as handled.")
    return redirect("replies")
