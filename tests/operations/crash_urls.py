"""The project's URLs plus one view that fails the way a real bug would: with a
client's details in its locals, its message and the request."""

import logging

from django.urls import include, path

logger = logging.getLogger("messaging.outbox")

EMAIL = "sam.patient@example.org"
NAME = "Samantha Oyelaran-Whitfield"
PHONE = "+44 7700 900461"
HEALTH = "lichen planopilaris, on isotretinoin"


def crash(request, token):
    notes = request.POST.get("notes", "")
    client_name = NAME
    logger.error("Sending to %s (%s) failed: %s", EMAIL, PHONE, notes)
    raise ValueError(
        f"Client {client_name!r} <{EMAIL}> {PHONE} cannot be saved with "
        f"medications={HEALTH!r} for link {token}"
    )


urlpatterns = [
    path("m/<str:token>/crash/", crash),
    path("", include("smp_clinic.urls")),
]
