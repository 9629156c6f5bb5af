"""The outbox's models, taken over from the clients app with their tables as they are
(db_table keeps the old names): no table is created, no row moves. Their content types
follow, so permissions and audit entries still point at them."""

import core.validators
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = [
    "aftercarestep",
    "messagesettings",
    "messagetext",
    "outboundmessage",
    "usedlink",
]


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(
        ContentType.objects.filter(app_label=new, model__in=MOVED).values_list(
            "model", flat=True
        )
    )
    ContentType.objects.filter(app_label=old, model__in=set(MOVED) - taken).update(
        app_label=new
    )


def content_types_follow(apps, schema_editor):
    _relabel(apps, "clients", "messaging")


def content_types_return(apps, schema_editor):
    _relabel(apps, "messaging", "clients")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("appointments", "0006_location_phone"),
        ("clients", "0018_messages_moved_to_messaging"),
        ("treatments", "0007_session_needles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MessageText",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "key",
                            models.CharField(
                                choices=[
                                    ("confirmation", "Booking confirmation"),
                                    (
                                        "preparation",
                                        "Preparation before a treatment (shaved head)",
                                    ),
                                    (
                                        "preparation_density",
                                        "Preparation before a treatment (density behind longer hair)",
                                    ),
                                    (
                                        "preparation_scar",
                                        "Preparation before a treatment (scar camouflage)",
                                    ),
                                    ("reminder", "Appointment reminder"),
                                    ("course_nudge", "Next course session to book"),
                                    ("check_up", "Check-up recall (permanent SMP)"),
                                    ("fade_check", "Fade check recall (temporary SMP)"),
                                    ("touch_up", "Touch-up recall (permanent SMP)"),
                                    ("waitlist_offer", "Waitlist: a time offered"),
                                    ("waitlist_gone", "Waitlist: the time has gone"),
                                    ("ink_passport", "Ink passport"),
                                    ("lot_recall", "Pigment lot recall notice"),
                                ],
                                max_length=30,
                                unique=True,
                            ),
                        ),
                        (
                            "subject",
                            models.CharField(
                                help_text="The clinic's name is added after it.",
                                max_length=150,
                            ),
                        ),
                        (
                            "body",
                            models.TextField(
                                help_text="Plain text after “Hello Jo,”. When, where and the links to confirm or cancel are added below it."
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "clients_messagetext",
                        "ordering": ["key"],
                    },
                ),
                migrations.CreateModel(
                    name="UsedLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("digest", models.CharField(max_length=64, unique=True)),
                        ("used_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "clients_usedlink",
                    },
                ),
                migrations.CreateModel(
                    name="AftercareStep",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "day_offset",
                            models.PositiveSmallIntegerField(
                                help_text="Days after the session; 0 sends it when the session is completed."
                            ),
                        ),
                        (
                            "after",
                            models.CharField(
                                choices=[
                                    ("every", "Every session"),
                                    ("final", "The final session of a course only"),
                                ],
                                default="every",
                                help_text="A “healed” message belongs after the final session only: a later session restarts the healing.",
                                max_length=5,
                                verbose_name="Send after",
                            ),
                        ),
                        ("subject", models.CharField(max_length=150)),
                        (
                            "body",
                            models.TextField(
                                help_text="Plain text; the client's name goes above it."
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                    ],
                    options={
                        "db_table": "clients_aftercarestep",
                        "ordering": ["day_offset", "pk"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("after__in", ["every", "final"])),
                                name="aftercare_after_valid",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="MessageSettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "reminder_hours",
                            models.CharField(
                                blank=True,
                                help_text="Hours before an appointment, separated by commas (e.g. 48, 24). Empty sends no reminders.",
                                max_length=60,
                                validators=[core.validators.reminder_hours_validate],
                            ),
                        ),
                        (
                            "preparation_hours",
                            models.PositiveSmallIntegerField(
                                help_text="Hours before a treatment session that the preparation note goes (shaving, no alcohol or blood thinners). 0 sends none.",
                                validators=[
                                    django.core.validators.MaxValueValidator(336)
                                ],
                            ),
                        ),
                        (
                            "minoxidil_pause_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="Days before and after a session that the preparation note asks the client to pause topical minoxidil ({minoxidil_days} in its text).",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="Pause minoxidil (days)",
                            ),
                        ),
                        (
                            "course_nudge_days",
                            models.PositiveSmallIntegerField(
                                help_text="Days after a course session that a client whose next session is still unbooked is reminded to book it.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                            ),
                        ),
                        (
                            "permanent_check_months",
                            models.CharField(
                                blank=True,
                                help_text="Months after the last session, separated by commas.",
                                max_length=60,
                                validators=[core.validators.recall_months_validate],
                                verbose_name="Permanent SMP: check-up after (months)",
                            ),
                        ),
                        (
                            "permanent_touch_up_months",
                            models.CharField(
                                blank=True,
                                max_length=60,
                                validators=[core.validators.recall_months_validate],
                                verbose_name="Permanent SMP: touch-up after (months)",
                            ),
                        ),
                        (
                            "temporary_fade_check_months",
                            models.CharField(
                                blank=True,
                                max_length=60,
                                validators=[core.validators.recall_months_validate],
                                verbose_name="Temporary SMP: fade checks after (months)",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "message settings",
                        "db_table": "clients_messagesettings",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("id", 1)),
                                name="message_settings_one_row",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="OutboundMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("confirmation", "Booking confirmation"),
                                    ("preparation", "Preparation before a treatment"),
                                    ("reminder", "Appointment reminder"),
                                    ("aftercare", "Aftercare"),
                                    ("course_nudge", "Next course session to book"),
                                    ("fade_check", "Fade check recall"),
                                    ("touch_up", "Touch-up recall"),
                                    ("ink_passport", "Ink passport"),
                                    ("lot_recall", "Pigment lot recall notice"),
                                    ("waitlist_offer", "Waitlist: a time offered"),
                                    ("waitlist_gone", "Waitlist: the time has gone"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("for_starts_at", models.DateTimeField(blank=True, null=True)),
                        ("due_at", models.DateTimeField()),
                        ("dedupe_key", models.CharField(max_length=200, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("claim", models.CharField(blank=True, max_length=32)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("subject", models.CharField(blank=True, max_length=200)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "aftercare_step",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to="messaging.aftercarestep",
                            ),
                        ),
                        (
                            "appointment",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="appointments.appointment",
                            ),
                        ),
                        (
                            "client",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="clients.client",
                            ),
                        ),
                        (
                            "lot",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="messages",
                                to="treatments.pigmentlot",
                            ),
                        ),
                        (
                            "plan",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="treatments.treatmentplan",
                            ),
                        ),
                        (
                            "waitlist_offer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="appointments.waitlistoffer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "clients_outboundmessage",
                        "ordering": ["-due_at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["status", "due_at"], name="message_due"
                            ),
                            models.Index(
                                fields=["client", "-due_at"], name="message_client"
                            ),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "status__in",
                                        [
                                            "pending",
                                            "sending",
                                            "sent",
                                            "failed",
                                            "cancelled",
                                        ],
                                    )
                                ),
                                name="message_status_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "sent"), _negated=True),
                                    ("sent_at__isnull", False),
                                    _connector="OR",
                                ),
                                name="message_sent_has_time",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
