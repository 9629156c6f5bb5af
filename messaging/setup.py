"""The aftercare sequence's list in Set-up (appointments.setup_views), registered by
MessagingConfig.ready()."""

from appointments.setup_views import RecordKind, setup_kind_register, yes_no
from messaging.forms import AftercareStepForm
from messaging.models import AftercareStep


def register() -> None:
    setup_kind_register(
        "aftercare",
        RecordKind(
            "Aftercare emails",
            "aftercare email",
            AftercareStepForm,
            lambda: AftercareStep.objects.all(),
            (
                ("Day", lambda r: r.day_offset),
                ("After", lambda r: r.get_after_display()),
                ("Subject", lambda r: r.subject),
                ("Sent", lambda r: yes_no(r.is_active)),
            ),
            "Sent after a completed treatment session, by days after it (day 0: at "
            "once; later days at 10:00 in the location's zone). A new session replaces "
            "what an earlier one still had to send; steps for the final session only "
            "(the “healed” message) wait for the last session of the course. Changes "
            "apply to emails not sent yet.",
        ),
        before="closures",
    )
