"""Audit entries are append-only in the database itself, not only in the app.

A trigger refuses UPDATE and DELETE of auditlog rows unless the transaction has set
smp.audit_redaction (erasure and the retention purge, core.audit.redaction_allowed).
One change is let through: a deleted staff account sets its entries' actor to NULL
(Django's SET_NULL); actor_email still says who it was.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION smp_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('smp.audit_redaction', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit log entries cannot be changed or deleted'
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER auditlog_logentry_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION smp_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS auditlog_logentry_append_only ON auditlog_logentry;
DROP FUNCTION IF EXISTS smp_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("smp_clinic", "0002_roles"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forward, backward)]
