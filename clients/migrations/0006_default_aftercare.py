"""A starting aftercare sequence (DOMAIN.md, "Aftercare"); each clinic edits its own."""

from django.db import migrations

STEPS = [
    (
        0,
        "Looking after your scalp tonight",
        "Your session is done. For the next 4 days: do not wash or wet your scalp, "
        "avoid heavy sweating and the gym, keep your scalp out of the sun, and do not "
        "pick or scratch. Sleep on a clean pillowcase.",
    ),
    (
        4,
        "You can wash your scalp again",
        "From today you can wet and gently wash your scalp with plain water or a mild "
        "shampoo. Pat it dry; no scrubbing. Still no gym or sauna until day 7, and "
        "clippers only (no razor) until day 10.",
    ),
    (
        28,
        "Protect your scalp from the sun",
        "Your scalp has healed. From now on, sun cream of SPF 30 to 50 on your scalp "
        "keeps the pigment from fading. Swimming, sauna and steam are fine again.",
    ),
]


def add(apps, schema_editor):
    AftercareStep = apps.get_model("clients", "AftercareStep")
    for day, subject, body in STEPS:
        AftercareStep.objects.get_or_create(
            day_offset=day, subject=subject, defaults={"body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_aftercare")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
