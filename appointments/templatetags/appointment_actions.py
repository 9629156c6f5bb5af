from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def allowed_actions(appointment) -> dict[str, bool]:
    """Which workflow buttons an appointment shows now: the same rules its services
    refuse by (Appointment.*_refusal), so no button offers what would be refused."""
    now = timezone.now()
    complete = appointment.can_complete(now)
    return {
        "confirm": appointment.can_become(appointment.Status.CONFIRMED),
        "arrive": appointment.can_arrive(now),
        "no_show": appointment.can_mark_no_show(now),
        "complete": complete,
        # Checked in early: when the Completed button will appear.
        "complete_from": appointment.starts_at
        if not complete and appointment.status == appointment.Status.CHECKED_IN
        else None,
    }
