"""Twilio's webhooks: delivery status callbacks and texts people send the clinic.

They are csrf_exempt only because each request is checked instead against its
X-Twilio-Signature, an HMAC of the URL Twilio called (SITE_URL and the path) and the
parameters, keyed with TWILIO_AUTH_TOKEN (Twilio's own RequestValidator). A request
that fails the check is a 403 and changes nothing; without a token every request
fails it.
"""

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from messaging import services

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_signed(request) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    url = settings.SITE_URL + request.get_full_path()
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(url, request.POST.dict(), signature)


def _forbidden():
    return HttpResponseForbidden("The request is not signed by the SMS provider.")


@csrf_exempt
@require_POST
def sms_status(request):
    if not twilio_signed(request):
        return _forbidden()
    services.sms_delivery_update(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    # Twilio needs only a 2xx; an id it sent that is not ours is no error of its.
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def sms_inbound(request):
    if not twilio_signed(request):
        return _forbidden()
    provider_id = request.POST.get("MessageSid", "")
    if not provider_id:
        return HttpResponse("No MessageSid.", status=400)
    services.inbound_sms_receive(
        provider_id=provider_id,
        from_phone=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
    )
    # No automatic answer: Twilio answers STOP and START itself on long codes.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
