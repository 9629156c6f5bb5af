"""The gates before treatment that the client's record answers: intake, suitability,
treatment consent, age, patch test. Registered in AppointmentsConfig.ready(), in the
order a refusal lists them (appointments.gates); clients, below, knows no gate."""

from django.conf import settings
from django.urls import reverse

from appointments import gates
from appointments.gates import GateCheck, GateMissing
from clients import selectors
from core.dates import age_on


def intake_gate(check: GateCheck) -> list[GateMissing]:
    if not gates.is_treatment(check.service) or not selectors.treatment_gates().intake:
        return []
    missing = selectors.intake_missing_sections(selectors.intake_for(check.client))
    if not missing:
        return []
    return [
        GateMissing(
            "intake",
            f"the intake is not complete ({', '.join(missing)})",
            reverse("intake", args=[check.client.pk]),
        )
    ]


def suitability_gate(check: GateCheck) -> list[GateMissing]:
    if (
        not gates.is_treatment(check.service)
        or not selectors.treatment_gates().suitability
    ):
        return []
    decision = selectors.suitability_latest(check.client)
    if decision is not None and decision.allows_treatment_on(check.day):
        return []
    if decision is None:
        label = "no suitability decision is recorded"
    else:
        label = f"the suitability decision is “{decision.decision_text}”"
    return [
        GateMissing(
            "suitability", label, reverse("suitability", args=[check.client.pk])
        )
    ]


def consent_gate(check: GateCheck) -> list[GateMissing]:
    if not gates.is_treatment(check.service) or not selectors.treatment_gates().consent:
        return []
    status = selectors.treatment_consent_status(check.client)
    if status.text is None:
        return [
            GateMissing(
                "consent",
                "no treatment consent text is published (a manager publishes one)",
                reverse("consent_texts"),
            )
        ]
    if not status.needs_signature:
        return []
    label = (
        "the treatment consent is not signed"
        if status.signed is None
        else f"the treatment consent is signed on version {status.signed.text.version}"
        f", not the current version {status.text.version}"
    )
    return [
        GateMissing(
            "consent",
            label,
            reverse("consent_sign", args=[check.client.pk, "treatment"]),
        )
    ]


def age_gate(check: GateCheck) -> list[GateMissing]:
    if not gates.is_treatment(check.service) or not selectors.treatment_gates().age:
        return []
    fix = reverse("client_edit", args=[check.client.pk])
    born = check.client.date_of_birth
    if born is None:
        return [GateMissing("age", "the date of birth is not recorded", fix)]
    minimum = settings.TREATMENT_MINIMUM_AGE
    if age_on(born, check.day) < minimum:
        return [
            GateMissing(
                "age",
                f"the client is under {minimum} on {check.day:%-d %b %Y}",
                fix,
            )
        ]
    return []


def patch_test_gate(check: GateCheck) -> list[GateMissing]:
    if not check.service.needs_patch_test:
        return []
    if selectors.patch_test_valid_for(check.client, check.starts_at):
        return []
    return [
        GateMissing(
            "patch_test",
            "no passed or waived patch test from the "
            f"{settings.PATCH_TEST_VALID_DAYS} days before it (book one at least "
            f"{settings.PATCH_TEST_READ_AFTER_HOURS} hours before, and have it read)",
            reverse("patch_test_new", args=[check.client.pk]),
        )
    ]


def register() -> None:
    gates.register("intake", intake_gate)
    gates.register("suitability", suitability_gate)
    gates.register("consent", consent_gate)
    gates.register("age", age_gate)
    gates.register("patch_test", patch_test_gate)
