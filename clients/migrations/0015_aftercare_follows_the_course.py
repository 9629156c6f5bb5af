"""Aftercare follows the course: steps sent after every session or after the final
session only; the default texts cover swimming, sauna and steam; clients can opt out
of all email.

Adding `email_opt_out` rebuilds clients_client on SQLite, which drops the client-search
triggers of 0011: they are made again here.
"""

import importlib

from django.db import migrations, models

search = importlib.import_module("clients.migrations.0011_client_search_on_sqlite")

OLD_DAY_0 = (
    "Your session is done. For the next 4 days: do not wash or wet your scalp, "
    "avoid heavy sweating and the gym, keep your scalp out of the sun, and do not "
    "pick or scratch. Sleep on a clean pillowcase."
)
OLD_DAY_4 = (
    "From today you can wet and gently wash your scalp with plain water or a mild "
    "shampoo. Pat it dry; no scrubbing. Still no gym or sauna until day 7, and "
    "clippers only (no razor) until day 10."
)
OLD_DAY_28 = (
    "Your scalp has healed. From now on, sun cream of SPF 30 to 50 on your scalp "
    "keeps the pigment from fading. Swimming, sauna and steam are fine again."
)
DAY_0 = (
    "Your session is done. Until it heals:\n"
    "- Washing: do not wash or wet your scalp for 4 days.\n"
    "- Sweating: no gym, running or heavy work for 7 days.\n"
    "- Sun: keep your scalp out of the sun for 4 days; a loose, clean hat is fine.\n"
    "- Swimming, sauna and steam: none until 28 days after your final session "
    "(chlorine, salt and heat draw the pigment out).\n"
    "- Picking: do not pick or scratch the small scabs; let them fall on their own.\n"
    "Sleep on a clean pillowcase, and call us if anything worries you."
)
DAY_4 = (
    "From today you can wet and gently wash your scalp with plain water or a mild "
    "shampoo. Pat it dry; no scrubbing. Still no gym until day 7, clippers only (no "
    "razor) until day 10, and no swimming, sauna or steam until 28 days after your "
    "final session."
)
# (day, subject, old body, new body, after)
DEFAULTS = [
    (0, "Looking after your scalp tonight", OLD_DAY_0, DAY_0, "every"),
    (4, "You can wash your scalp again", OLD_DAY_4, DAY_4, "every"),
    (28, "Protect your scalp from the sun", OLD_DAY_28, OLD_DAY_28, "final"),
]


def update_defaults(apps, schema_editor):
    """The starting texts become the new ones unless the clinic edited them; any step
    that tells the client they have healed goes after the final session only."""
    AftercareStep = apps.get_model("clients", "AftercareStep")
    for day, subject, old, new, after in DEFAULTS:
        AftercareStep.objects.filter(day_offset=day, subject=subject, body=old).update(
            body=new, after=after
        )
    AftercareStep.objects.filter(body__icontains="healed").exclude(
        body__icontains="until it heals"
    ).update(after="final")


def restore_defaults(apps, schema_editor):
    AftercareStep = apps.get_model("clients", "AftercareStep")
    for day, subject, old, new, _ in DEFAULTS:
        AftercareStep.objects.filter(day_offset=day, subject=subject, body=new).update(
            body=old
        )


def search_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in search.DROP:
        schema_editor.execute(statement)
    search.forwards(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0014_photo_view"),
    ]

    operations = [
        migrations.AddField(
            model_name="aftercarestep",
            name="after",
            field=models.CharField(
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
        migrations.AddField(
            model_name="client",
            name="email_opt_out",
            field=models.BooleanField(
                default=False,
                help_text="No email of any kind, aftercare included.",
                verbose_name="Opted out of all email",
            ),
        ),
        migrations.AlterField(
            model_name="client",
            name="reminder_consent",
            field=models.BooleanField(
                default=True, help_text="Appointment reminders and recalls by email."
            ),
        ),
        migrations.AddConstraint(
            model_name="aftercarestep",
            constraint=models.CheckConstraint(
                condition=models.Q(("after__in", ["every", "final"])),
                name="aftercare_after_valid",
            ),
        ),
        migrations.RunPython(search_triggers, migrations.RunPython.noop),
        migrations.RunPython(update_defaults, restore_defaults),
    ]
