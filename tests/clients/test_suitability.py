"""The suitability rules as a table: facts in, recommendation and reasons out."""

import re
from datetime import date
from pathlib import Path

import pytest

from clients import suitability
from clients.models import ContraindicationKind as Kind
from clients.models import HairLossCause, Recommendation, Severity
from clients.suitability import (
    ContraindicationFacts,
    IntakeFacts,
    assess,
)
from core.dates import add_months

TODAY = date(2026, 6, 15)


def contra(kind, severity, until=None, cleared_on=None):
    return ContraindicationFacts(
        kind=kind,
        severity=severity,
        label=Kind(kind).label,
        until=until,
        cleared_on=cleared_on,
    )


CASES = [
    # (name, intake, contraindications, patch results, recommendation, defer, reason)
    ("nothing recorded", IntakeFacts(), [], [], Recommendation.SUITABLE, None,
     "No contraindication"),
    ("keloid scarring", IntakeFacts(), [contra(Kind.KELOID, Severity.ABSOLUTE)], [],
     Recommendation.NOT_SUITABLE, None, "Keloid"),
    ("keloid recorded as temporary is still not suitable", IntakeFacts(),
     [contra(Kind.KELOID, Severity.TEMPORARY, until=date(2026, 9, 1))], [],
     Recommendation.NOT_SUITABLE, None, "Keloid"),
    ("active psoriasis", IntakeFacts(),
     [contra(Kind.PSORIASIS, Severity.TEMPORARY, until=date(2026, 8, 1))], [],
     Recommendation.DEFER, date(2026, 8, 1), "psoriasis"),
    ("active eczema", IntakeFacts(),
     [contra(Kind.ECZEMA, Severity.TEMPORARY, until=date(2026, 7, 1))], [],
     Recommendation.DEFER, date(2026, 7, 1), "eczema"),
    ("psoriasis that was to be over by now", IntakeFacts(),
     [contra(Kind.PSORIASIS, Severity.TEMPORARY, until=date(2026, 6, 1))], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("temporary with no end date needs checking", IntakeFacts(),
     [contra(Kind.PREGNANCY, Severity.CLEARANCE)], [],
     Recommendation.CLEARANCE, None, "Pregnancy"),
    ("blood thinners", IntakeFacts(), [contra(Kind.BLOOD_THINNERS, Severity.CLEARANCE)],
     [], Recommendation.CLEARANCE, None, "Blood thinners"),
    ("blood thinners cleared by a doctor", IntakeFacts(),
     [contra(Kind.BLOOD_THINNERS, Severity.CLEARANCE, cleared_on=date(2026, 6, 1))],
     [], Recommendation.CAUTION, None, "Cleared by a doctor on 01 Jun 2026"),
    ("pregnancy", IntakeFacts(),
     [contra(Kind.PREGNANCY, Severity.TEMPORARY, until=date(2027, 3, 1))], [],
     Recommendation.DEFER, date(2027, 3, 1), "Pregnancy"),
    ("chemotherapy ended 3 months ago",
     IntakeFacts(chemotherapy_ended_on=date(2026, 3, 15)), [], [],
     Recommendation.DEFER, date(2026, 9, 15), "Chemotherapy"),
    ("chemotherapy ended 7 months ago",
     IntakeFacts(chemotherapy_ended_on=date(2025, 11, 15)), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("transplant scar work 5 months after surgery",
     IntakeFacts(hair_loss_cause=HairLossCause.TRANSPLANT_SCARS,
                 transplant_on=date(2026, 1, 15)), [], [],
     Recommendation.DEFER, date(2026, 10, 15), "Scar surgery under 9 months"),
    ("scar surgery 5 months ago but no scar work and no transplant",
     IntakeFacts(hair_loss_cause=HairLossCause.ANDROGENETIC,
                 transplant_on=date(2026, 1, 15)), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    # A transplant defers SMP whatever the client names as the cause.
    ("an FUE transplant 5 months ago defers, whatever the cause",
     IntakeFacts(hair_loss_cause=HairLossCause.ANDROGENETIC, transplant="fue",
                 transplant_on=date(2026, 1, 15)), [], [],
     Recommendation.DEFER, date(2026, 10, 15), "Hair transplant under 9 months"),
    ("an FUT transplant 8 months ago defers, the cause 'other'",
     IntakeFacts(hair_loss_cause=HairLossCause.OTHER, transplant="fut",
                 transplant_on=date(2025, 10, 20)), [], [],
     Recommendation.DEFER, date(2026, 7, 20), "wait until 20 Jul 2026"),
    ("an FUE transplant with no cause recorded defers",
     IntakeFacts(transplant="fue", transplant_on=date(2026, 1, 15)), [], [],
     Recommendation.DEFER, date(2026, 10, 15), "Hair transplant"),
    ("an FUE transplant 10 months ago is past its wait",
     IntakeFacts(hair_loss_cause=HairLossCause.ANDROGENETIC, transplant="fue",
                 transplant_on=date(2025, 8, 15)), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("scarring alopecia needs a doctor's word that it is stable",
     IntakeFacts(hair_loss_cause=HairLossCause.SCARRING), [], [],
     Recommendation.CLEARANCE, None, "lichen planopilaris"),
    ("scarring alopecia recorded, not yet cleared",
     IntakeFacts(hair_loss_cause=HairLossCause.SCARRING),
     [contra(Kind.SCARRING_ALOPECIA, Severity.CLEARANCE)], [],
     Recommendation.CLEARANCE, None, "stable"),
    ("scarring alopecia cleared by a doctor as stable",
     IntakeFacts(hair_loss_cause=HairLossCause.SCARRING),
     [contra(Kind.SCARRING_ALOPECIA, Severity.CLEARANCE,
             cleared_on=date(2026, 5, 1))], [],
     Recommendation.CAUTION, None, "Cleared by a doctor on 01 May 2026"),
    ("under 18 is not suitable",
     IntakeFacts(date_of_birth=date(2008, 6, 16)), [], [],
     Recommendation.NOT_SUITABLE, None, "Under 18"),
    ("18 today is suitable",
     IntakeFacts(date_of_birth=date(2008, 6, 15)), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("no previous pigment reaction (answered no)",
     IntakeFacts(pigment_reaction=False), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("scar work 10 months after surgery",
     IntakeFacts(hair_loss_cause=HairLossCause.TRANSPLANT_SCARS,
                 transplant_on=date(2025, 8, 1)), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("active alopecia areata",
     IntakeFacts(hair_loss_cause=HairLossCause.ALOPECIA_AREATA, alopecia_active=True),
     [], [], Recommendation.CAUTION, None, "regrowth"),
    ("stable alopecia areata",
     IntakeFacts(hair_loss_cause=HairLossCause.ALOPECIA_AREATA), [], [],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("a failed patch test", IntakeFacts(), [], ["failed"],
     Recommendation.NOT_SUITABLE, None, "patch test failed"),
    ("a passed patch test", IntakeFacts(), [], ["passed"],
     Recommendation.SUITABLE, None, "No contraindication"),
    ("previous pigment reaction", IntakeFacts(pigment_reaction=True), [], [],
     Recommendation.CAUTION, None, "patch test every new lot"),
    ("the worst finding wins and every reason is given",
     IntakeFacts(hair_loss_cause=HairLossCause.ALOPECIA_AREATA, alopecia_active=True),
     [contra(Kind.BLOOD_THINNERS, Severity.CLEARANCE),
      contra(Kind.ECZEMA, Severity.TEMPORARY, until=date(2026, 7, 1))], [],
     Recommendation.CLEARANCE, None, "regrowth"),
    ("two deferrals defer to the later date", IntakeFacts(),
     [contra(Kind.ECZEMA, Severity.TEMPORARY, until=date(2026, 7, 1)),
      contra(Kind.INFECTION, Severity.TEMPORARY, until=date(2026, 8, 20))], [],
     Recommendation.DEFER, date(2026, 8, 20), "infection"),
    ("an 'other' recorded as absolute", IntakeFacts(),
     [contra(Kind.OTHER, Severity.ABSOLUTE)], [],
     Recommendation.NOT_SUITABLE, None, "Other."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("intake", "contraindications", "patch", "expected", "defer", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_rules(intake, contraindications, patch, expected, defer, reason):
    assessment = assess(
        intake=intake,
        contraindications=contraindications,
        patch_test_results=patch,
        today=TODAY,
    )
    assert assessment.recommendation == expected
    assert assessment.defer_until == defer
    assert any(reason.lower() in r.lower() for r in assessment.reasons), (
        assessment.reasons
    )


def test_the_worst_reason_comes_first():
    assessment = assess(
        intake=IntakeFacts(pigment_reaction=True),
        contraindications=[contra(Kind.KELOID, Severity.ABSOLUTE)],
        patch_test_results=[],
        today=TODAY,
    )
    assert assessment.reasons[0].startswith("Keloid")
    assert len(assessment.reasons) == 2


def test_without_an_intake_there_is_no_recommendation():
    assessment = assess(
        intake=None, contraindications=[], patch_test_results=[], today=TODAY
    )
    assert assessment.recommendation is None
    assert assessment.reasons == ["Complete the intake first."]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2023, 8, 29), 6, date(2024, 2, 29)),
        (date(2026, 5, 15), 9, date(2027, 2, 15)),
    ],
)
def test_months_are_added_by_the_calendar(day, months, expected):
    assert add_months(day, months) == expected


def test_chemotherapy_as_the_cause_with_no_end_date_asks_for_the_date():
    assessment = assess(
        intake=IntakeFacts(hair_loss_cause=HairLossCause.CHEMOTHERAPY),
        contraindications=[],
        patch_test_results=[],
        today=TODAY,
    )
    assert assessment.recommendation is None
    assert "record the date it ended" in assessment.reasons[0]


@pytest.mark.parametrize(
    ("setting", "value", "intake", "until"),
    [
        ("CHEMOTHERAPY_WAIT_MONTHS", 12,
         IntakeFacts(chemotherapy_ended_on=date(2025, 11, 15)), date(2026, 11, 15)),
        ("TRANSPLANT_WAIT_MONTHS", 12,
         IntakeFacts(transplant="fue", transplant_on=date(2025, 8, 15)),
         date(2026, 8, 15)),
        ("SCAR_WAIT_MONTHS", 12,
         IntakeFacts(hair_loss_cause=HairLossCause.TRANSPLANT_SCARS,
                     transplant_on=date(2025, 8, 15)), date(2026, 8, 15)),
    ],
)  # fmt: skip
def test_every_wait_is_a_setting(settings, setting, value, intake, until):
    setattr(settings, setting, value)
    assessment = assess(
        intake=intake, contraindications=[], patch_test_results=[], today=TODAY
    )
    assert assessment.recommendation == Recommendation.DEFER
    assert assessment.defer_until == until


def test_the_minimum_age_is_a_setting(settings):
    settings.TREATMENT_MINIMUM_AGE = 21
    assessment = assess(
        intake=IntakeFacts(date_of_birth=date(2006, 1, 1)),
        contraindications=[],
        patch_test_results=[],
        today=TODAY,
    )
    assert assessment.recommendation == Recommendation.NOT_SUITABLE
    assert "Under 21" in assessment.reasons[0]


def test_no_wait_is_a_literal_in_the_rules():
    source = Path(suitability.__file__).read_text()
    assert not re.search(r"_WAIT_MONTHS\s*=\s*\d", source)
    assert "settings.CHEMOTHERAPY_WAIT_MONTHS" in source
