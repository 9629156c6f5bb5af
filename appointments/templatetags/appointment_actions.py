from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def allowed_actions(appointment) -> dict[str, bool]:
    """Which workflow buttons an appointment shows now: the same rules its services
    refuse by (Appointment.*_refusal), so no button offers what would be refused."""
    now = timezone.now()
    return {
        "confirm": appointment.can_become(appointment.Status.CONFIRMED),
        "arrive": appointment.can_arrive(now),
        "no_show": appointment.can_mark_no_show(now),
        "complete": appointment.can_complete(now),
    }
