from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def allowed_actions(appointment) -> dict[str, bool]:
    """Which workflow buttons an appointment shows now: the same rules its services
    refuse by (Appointment.*_refusal), so no button offers what would be refused."""
    now = timezone.now()
    complete = appointment.can_complete(now)
    Status = appointment.Status
    return {
        # In place of a button the status allows but the time does not yet (a
        # future appointment): why, in the words the service would refuse with.
        "arrive_why": appointment.arrive_refusal(now)
        if appointment.can_become(Status.CHECKED_IN)
        else None,
        "no_show_why": appointment.no_show_refusal(now)
        if appointment.can_become(Status.NO_SHOW)
        else None,
        "confirm": appointment.can_become(appointment.Status.CONFIRMED),
        "arrive": appointment.can_arrive(now),
        "no_show": appointment.can_mark_no_show(now),
        "complete": complete,
        # Checked in early: when the Completed button will appear.
        "complete_from": appointment.starts_at
        if not complete and appointment.status == appointment.Status.CHECKED_IN
        else None,
    }
