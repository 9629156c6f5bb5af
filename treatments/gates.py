"""The gate before treatment that treatment plans answer: the client signs off the
hairline design before a plan's first session. Registered in
TreatmentsConfig.ready() (appointments.gates)."""

from django.urls import reverse

from appointments import gates
from appointments.gates import GateCheck, GateMissing
from clients.selectors import treatment_gates
from treatments.models import PlanGoal, PlanStatus, TreatmentPlan


def _needs_design(plan: TreatmentPlan) -> bool:
    # Scar camouflage fills in a scar; there is no hairline to agree.
    return plan.goal != PlanGoal.SCAR and plan.design_signed_at is None


def hairline_gate(check: GateCheck) -> list[GateMissing]:
    """A plan whose design the client has not signed off cannot have its first
    session. Without the plan named (a booking), the client's active plans for the
    service with no session recorded yet are the ones a booking could start."""
    if not gates.is_treatment(check.service) or not treatment_gates().hairline:
        return []
    if check.plan is not None:
        started = check.plan.sessions.filter(recorded_at__isnull=False).exists()
        plans = [] if started else [check.plan]
    else:
        plans = list(
            TreatmentPlan.objects.filter(
                client=check.client,
                service=check.service,
                status=PlanStatus.ACTIVE,
                design_signed_at__isnull=True,
            )
            .exclude(goal=PlanGoal.SCAR)
            .exclude(sessions__recorded_at__isnull=False)
        )
    return [
        GateMissing(
            "hairline",
            f"the client has not signed off the hairline design of “{plan}”",
            reverse("plan_detail", args=[plan.pk]),
        )
        for plan in plans
        if _needs_design(plan)
    ]


def register() -> None:
    gates.register("hairline", hairline_gate)
