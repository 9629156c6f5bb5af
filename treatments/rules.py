"""What may be done now, and why not: one rule each, asked by the services (which
refuse), the views (which refuse a page opened by its URL) and the templates (which
show the reason in place of the button). Pure: they read the rows they are given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appointments.models import Appointment
from clients.models import Recommendation

if TYPE_CHECKING:
    from clients.models import SuitabilityDecision

# A plan may be made once a practitioner has decided the client can be treated, now
# or from a date (the booking gate holds the sessions back until then).
PLAN_ALLOWING = {Recommendation.SUITABLE, Recommendation.CAUTION, Recommendation.DEFER}


def plan_refusal(decision: SuitabilityDecision | None) -> str | None:
    """Why no plan can be made on the client's latest suitability decision."""
    if decision is None:
        return (
            "A plan needs a suitability decision that allows treatment; none is "
            "recorded yet."
        )
    if decision.decision not in PLAN_ALLOWING:
        return (
            "A plan needs a suitability decision that allows treatment; the latest "
            f"is “{decision.get_decision_display()}”."
        )
    return None


def session_record_refusal(appointment: Appointment | None) -> str | None:
    """Why a session cannot be recorded (yet) for this appointment, or None."""
    if appointment is None:
        return (
            "This session has no appointment yet: book it, and record it once the "
            "client has arrived (checked in)."
        )
    return appointment.session_record_refusal()
