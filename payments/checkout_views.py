"""The client's deposit pages (no login: a signed link names the appointment) and
Stripe's webhook. The pay page says what is paid and, for a held booking, until
when the time is held; its button opens Stripe Checkout, where the card is taken."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import too_many_requests
from core.ratelimit import over_limit
from payments import checkout, stripe_api

logger = logging.getLogger(__name__)

# Checkout Sessions one address may open in ten minutes.
PAY_LIMIT = 20


def _gone(request):
    return render(request, "payments/public/deposit_gone.html", status=404)


@require_http_methods(["GET", "POST"])
def deposit_pay(request, token):
    appointment = checkout.appointment_for_token(token)
    if appointment is None:
        return _gone(request)
    context = {
        "appointment": appointment,
        "starts_at": appointment.local_starts_at(),
        "due_minor": checkout.deposit_due_minor(appointment),
        "refusal": checkout.pay_refusal(appointment),
        "held": appointment.status == appointment.Status.AWAITING_DEPOSIT,
        "hold_minutes": settings.DEPOSIT_HOLD_MINUTES,
    }
    if appointment.held_until:
        context["held_until"] = appointment.held_until
    if request.method == "POST" and context["refusal"] is None:
        import stripe  # on first use (stripe_api)

        if over_limit(request, scope="deposit-pay", limit=PAY_LIMIT):
            return too_many_requests(request, "Too many payment attempts: try later.")
        try:
            return redirect(checkout.checkout_start(appointment=appointment))
        except ValidationError as error:
            context["refusal"] = " ".join(error.messages)
        except stripe.StripeError:
            logger.warning("Stripe did not open a checkout for %s.", appointment.pk)
            context["stripe_down"] = True
    status = 200 if request.method == "GET" or context["refusal"] is None else 409
    if context.get("stripe_down"):
        status = 503
    response = render(
        request, "payments/public/deposit_pay.html", context, status=status
    )
    # The Pay button's POST is answered by a redirect to Stripe's Checkout page,
    # which the browser follows only if the page's policy lets the form go there.
    response._csp_update = {"form-action": stripe_api.checkout_origins()}
    return response


@require_GET
def deposit_paid(request, token):
    """Where Stripe sends the client back after paying. The payment counts once
    Stripe's event has arrived (usually before the client does): until then the
    page says it is being confirmed and looks again in a few seconds."""
    appointment = checkout.appointment_for_token(token)
    if appointment is None:
        return _gone(request)
    return render(
        request,
        "payments/public/deposit_paid.html",
        {
            "appointment": appointment,
            "starts_at": appointment.local_starts_at(),
            "paid_minor": checkout.deposit_paid_minor(appointment),
            "due_minor": checkout.deposit_due_minor(appointment),
            "now": timezone.now(),
        },
    )


# Stripe posts its events without a CSRF token: the signature is the authority.
@csrf_exempt
@require_POST
def stripe_webhook(request):
    if not stripe_api.enabled():
        return HttpResponse("Card payments are not set up.", status=400)
    import stripe  # on first use (stripe_api)

    try:
        event = stripe_api.event_verified(
            request.body, request.headers.get("Stripe-Signature", "")
        )
    except (ValueError, stripe.SignatureVerificationError):
        # Neither the body nor the signature is logged: nothing of a card is kept.
        logger.warning("A Stripe webhook was refused: bad signature or body.")
        return HttpResponse("Invalid signature or payload.", status=400)
    try:
        applied = checkout.event_apply(
            event_id=event.id,
            event_type=event.type,
            data=event.data.object.to_dict(),
        )
    except (checkout.EventNotApplicable, ValidationError) as error:
        logger.info("Stripe event %s (%s) not applied: %s", event.id, event.type, error)
        return HttpResponse("Event not applicable.", status=400)
    return HttpResponse("Applied." if applied else "Applied before.", status=200)
