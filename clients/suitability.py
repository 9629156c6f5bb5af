"""Suitability for SMP: table-driven rules from the intake, contraindications and patch
tests to a recommendation with its reasons. Pure: no database, `today` passed in.

The practitioner records the decision (clients.services.suitability_decide); going
against the recommendation needs a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings

from clients.models import ContraindicationKind as Kind
from clients.models import HairLossCause, Recommendation, Severity, recommendation_text
from core.dates import add_months, age_on

# Worst last: the worst finding decides the recommendation.
ORDER = [
    Recommendation.SUITABLE,
    Recommendation.CAUTION,
    Recommendation.DEFER,
    Recommendation.CLEARANCE,
    Recommendation.NOT_SUITABLE,
]


@dataclass(frozen=True)
class KindRule:
    outcome: Recommendation
    reason: str


# What each kind of contraindication means for SMP (DOMAIN.md, "Intake and
# suitability").
KIND_RULES: dict[str, KindRule] = {
    Kind.KELOID: KindRule(
        Recommendation.NOT_SUITABLE,
        "Keloid or hypertrophic scarring: the needle work can raise keloids.",
    ),
    Kind.PIGMENT_ALLERGY: KindRule(
        Recommendation.NOT_SUITABLE, "Allergy to the pigment."
    ),
    Kind.BLOOD_DISORDER: KindRule(
        Recommendation.NOT_SUITABLE, "Blood disorder: bleeding and healing at risk."
    ),
    Kind.PSORIASIS: KindRule(
        Recommendation.DEFER, "Active scalp psoriasis: wait until the scalp is clear."
    ),
    Kind.ECZEMA: KindRule(
        Recommendation.DEFER, "Active scalp eczema: wait until the scalp is clear."
    ),
    Kind.INFECTION: KindRule(
        Recommendation.DEFER, "Scalp infection, acne or sunburn: wait until healed."
    ),
    Kind.PREGNANCY: KindRule(
        Recommendation.DEFER, "Pregnancy or breastfeeding: wait until after."
    ),
    Kind.RETINOIDS: KindRule(
        Recommendation.DEFER, "Isotretinoin or retinoids: the skin is fragile."
    ),
    Kind.LASER: KindRule(
        Recommendation.DEFER, "Laser removal in the last 90 days: wait until healed."
    ),
    Kind.BLOOD_THINNERS: KindRule(
        Recommendation.CLEARANCE,
        "Blood thinners: bleeding pushes pigment out; a doctor must clear it.",
    ),
    Kind.HEART: KindRule(
        Recommendation.CLEARANCE, "Heart condition or high blood pressure."
    ),
    Kind.DIABETES: KindRule(Recommendation.CLEARANCE, "Diabetes: slower healing."),
    Kind.EPILEPSY: KindRule(Recommendation.CLEARANCE, "Epilepsy."),
    Kind.IMMUNE: KindRule(Recommendation.CLEARANCE, "Immune disorder."),
    Kind.SCARRING_ALOPECIA: KindRule(
        Recommendation.CLEARANCE,
        "Scarring alopecia (lichen planopilaris, frontal fibrosing alopecia): a "
        "doctor must confirm it has been stable.",
    ),
    Kind.VITILIGO: KindRule(
        Recommendation.CAUTION, "Vitiligo: pigment may look uneven as patches change."
    ),
    Kind.OTHER: KindRule(Recommendation.SUITABLE, ""),
}

SEVERITY_OUTCOME = {
    Severity.ABSOLUTE: Recommendation.NOT_SUITABLE,
    Severity.TEMPORARY: Recommendation.DEFER,
    Severity.CLEARANCE: Recommendation.CLEARANCE,
}

# The severity a new contraindication of each kind is recorded with unless changed.
DEFAULT_SEVERITY = {
    kind: {
        Recommendation.NOT_SUITABLE: Severity.ABSOLUTE,
        Recommendation.DEFER: Severity.TEMPORARY,
        Recommendation.CLEARANCE: Severity.CLEARANCE,
    }.get(rule.outcome, Severity.TEMPORARY)
    for kind, rule in KIND_RULES.items()
}


@dataclass(frozen=True)
class IntakeFacts:
    hair_loss_cause: str = ""
    alopecia_active: bool = False
    # "fue" or "fut" for a hair transplant; empty for none (or scar surgery only).
    transplant: str = ""
    transplant_on: date | None = None
    chemotherapy_ended_on: date | None = None
    # None: not answered yet.
    pigment_reaction: bool | None = None
    # The client's, from their record (not the intake); None if not recorded.
    date_of_birth: date | None = None


@dataclass(frozen=True)
class ContraindicationFacts:
    kind: str
    severity: str
    label: str
    until: date | None = None
    cleared_on: date | None = None


@dataclass(frozen=True)
class Finding:
    outcome: Recommendation
    reason: str
    until: date | None = None


@dataclass(frozen=True)
class Assessment:
    recommendation: Recommendation | None
    reasons: list[str] = field(default_factory=list)
    defer_until: date | None = None

    @property
    def is_complete(self) -> bool:
        return self.recommendation is not None

    @property
    def recommendation_text(self) -> str:
        if self.recommendation is None:
            return ""
        return recommendation_text(self.recommendation, self.defer_until)


def contraindication_findings(
    items: Iterable[ContraindicationFacts], today: date
) -> list[Finding]:
    findings = []
    for item in items:
        rule = KIND_RULES.get(item.kind, KIND_RULES[Kind.OTHER])
        outcome = max(
            rule.outcome, SEVERITY_OUTCOME[Severity(item.severity)], key=ORDER.index
        )
        reason = rule.reason or f"{item.label}."
        if item.severity == Severity.TEMPORARY and item.until and item.until <= today:
            continue  # It was to be over by now.
        if outcome == Recommendation.CLEARANCE and item.cleared_on:
            findings.append(
                Finding(
                    Recommendation.CAUTION,
                    f"{reason} Cleared by a doctor on {item.cleared_on:%d %b %Y}.",
                )
            )
            continue
        until = item.until if outcome == Recommendation.DEFER else None
        if outcome == Recommendation.DEFER and until is None:
            outcome = Recommendation.CLEARANCE
            reason += " No end date recorded: confirm it is over."
        findings.append(Finding(outcome, reason, until))
    return findings


def _chemotherapy(intake: IntakeFacts, today: date) -> list[Finding]:
    if intake.chemotherapy_ended_on is None:
        return []
    wait = settings.CHEMOTHERAPY_WAIT_MONTHS
    ready = add_months(intake.chemotherapy_ended_on, wait)
    if ready <= today:
        return []
    return [
        Finding(
            Recommendation.DEFER,
            f"Chemotherapy ended under {wait} months ago: wait until "
            f"{ready:%-d %b %Y}.",
            ready,
        )
    ]


def _transplant(intake: IntakeFacts, today: date) -> list[Finding]:
    # A transplant's grafts need TRANSPLANT_WAIT_MONTHS whatever the client names as
    # the cause of their hair loss; scar surgery without a transplant matters for
    # scar work only, after SCAR_WAIT_MONTHS.
    if intake.transplant_on is None:
        return []
    scar_work = intake.hair_loss_cause in (
        HairLossCause.TRANSPLANT_SCARS,
        HairLossCause.SCARRING,
    )
    if intake.transplant:
        wait, what = settings.TRANSPLANT_WAIT_MONTHS, "Hair transplant"
        why = "the grafts and scars are still settling"
    elif scar_work:
        wait, what = settings.SCAR_WAIT_MONTHS, "Scar surgery"
        why = "scars are still maturing"
    else:
        return []
    ready = add_months(intake.transplant_on, wait)
    if ready <= today:
        return []
    return [
        Finding(
            Recommendation.DEFER,
            f"{what} under {wait} months ago: {why}; wait until {ready:%-d %b %Y}.",
            ready,
        )
    ]


def _age(intake: IntakeFacts, today: date) -> list[Finding]:
    minimum = settings.TREATMENT_MINIMUM_AGE
    if intake.date_of_birth is None or age_on(intake.date_of_birth, today) >= minimum:
        return []
    return [
        Finding(
            Recommendation.NOT_SUITABLE,
            f"Under {minimum}: no pigment procedure on a minor "
            "(Tattooing of Minors Act 1969).",
        )
    ]


def intake_findings(intake: IntakeFacts, today: date) -> list[Finding]:
    findings = _chemotherapy(intake, today) + _transplant(intake, today)
    findings += _age(intake, today)
    alopecia = intake.hair_loss_cause in (
        HairLossCause.ALOPECIA_AREATA,
        HairLossCause.ALOPECIA_TOTALIS,
    )
    if alopecia and intake.alopecia_active:
        findings.append(
            Finding(
                Recommendation.CAUTION,
                "Active alopecia areata: regrowth makes treated areas look darker.",
            )
        )
    if intake.pigment_reaction:
        findings.append(
            Finding(
                Recommendation.CAUTION,
                "Previous pigment or tattoo reaction: patch test every new lot.",
            )
        )
    return findings


def scarring_alopecia_findings(
    intake: IntakeFacts, contraindications: list[ContraindicationFacts]
) -> list[Finding]:
    """Scarring alopecia (lichen planopilaris, frontal fibrosing alopecia) is treated
    only once a doctor confirms it has been stable: the clearance is recorded as the
    "Scarring alopecia" contraindication, cleared with the doctor's letter (which
    contraindication_findings then reads as caution)."""
    if intake.hair_loss_cause != HairLossCause.SCARRING:
        return []
    if any(c.kind == Kind.SCARRING_ALOPECIA for c in contraindications):
        return []
    return [
        Finding(Recommendation.CLEARANCE, KIND_RULES[Kind.SCARRING_ALOPECIA].reason)
    ]


def patch_test_findings(latest_results: Iterable[str]) -> list[Finding]:
    if "failed" in latest_results:
        return [Finding(Recommendation.NOT_SUITABLE, "A patch test failed.")]
    return []


def assess(
    *,
    intake: IntakeFacts | None,
    contraindications: Iterable[ContraindicationFacts],
    patch_test_results: Iterable[str],
    today: date,
) -> Assessment:
    """The recommendation and its reasons; none until the intake is done."""
    if intake is None:
        return Assessment(None, ["Complete the intake first."])
    if (
        intake.hair_loss_cause == HairLossCause.CHEMOTHERAPY
        and intake.chemotherapy_ended_on is None
    ):
        # The wait runs from the end of chemotherapy: without the date there is
        # nothing to recommend.
        return Assessment(
            None,
            [
                "Chemotherapy is the cause of hair loss: record the date it ended "
                "(intake, Hair loss)."
            ],
        )
    contraindications = list(contraindications)
    findings = (
        contraindication_findings(contraindications, today)
        + intake_findings(intake, today)
        + scarring_alopecia_findings(intake, contraindications)
        + patch_test_findings(patch_test_results)
    )
    if not findings:
        return Assessment(
            Recommendation.SUITABLE, ["No contraindication or caution recorded."]
        )
    worst = max((f.outcome for f in findings), key=ORDER.index)
    defer_until = None
    if worst == Recommendation.DEFER:
        defer_until = max(f.until for f in findings if f.until is not None)
    ordered = sorted(findings, key=lambda f: ORDER.index(f.outcome), reverse=True)
    return Assessment(worst, [f.reason for f in ordered], defer_until)
