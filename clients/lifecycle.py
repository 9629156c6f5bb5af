"""Where a client is on the SMP road, for the client list: new, intake done,
suitable, in a course, or in maintenance after one. Pure: the facts are read for
the page shown (clients.selectors.client_list_facts)."""

from django.db import models


class ClientStage(models.TextChoices):
    NEW = "new", "New"
    INTAKE_DONE = "intake_done", "Intake done"
    SUITABLE = "suitable", "Suitable"
    IN_COURSE = "in_course", "In course"
    MAINTENANCE = "maintenance", "Maintenance"


def client_stage(
    *,
    intake_complete: bool,
    treatment_allowed: bool,
    course_active: bool,
    course_completed: bool,
) -> ClientStage:
    """The furthest step reached: a course under way outranks a finished one (a
    second course, scar work after a first), and a finished course outranks the
    decision that came before it."""
    if course_active:
        return ClientStage.IN_COURSE
    if course_completed:
        return ClientStage.MAINTENANCE
    if treatment_allowed:
        return ClientStage.SUITABLE
    if intake_complete:
        return ClientStage.INTAKE_DONE
    return ClientStage.NEW
