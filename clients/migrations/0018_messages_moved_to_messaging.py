"""The outbox's models moved to the messaging app (issue 19: clients sits below
appointments and treatments, and messages point at both). Only Django's state changes:
the tables, their rows and their names stay (messaging 0001 takes them over with the
same db_table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0017_treatment_gates_pigment_reaction"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="outboundmessage",
                    name="aftercare_step",
                ),
                migrations.RemoveField(
                    model_name="messagesettings",
                    name="updated_by",
                ),
                migrations.DeleteModel(
                    name="MessageText",
                ),
                migrations.RemoveField(
                    model_name="outboundmessage",
                    name="appointment",
                ),
                migrations.RemoveField(
                    model_name="outboundmessage",
                    name="client",
                ),
                migrations.RemoveField(
                    model_name="outboundmessage",
                    name="lot",
                ),
                migrations.RemoveField(
                    model_name="outboundmessage",
                    name="plan",
                ),
                migrations.RemoveField(
                    model_name="outboundmessage",
                    name="waitlist_offer",
                ),
                migrations.DeleteModel(
                    name="UsedLink",
                ),
                migrations.DeleteModel(
                    name="AftercareStep",
                ),
                migrations.DeleteModel(
                    name="MessageSettings",
                ),
                migrations.DeleteModel(
                    name="OutboundMessage",
                ),
            ],
            database_operations=[],
        ),
    ]
