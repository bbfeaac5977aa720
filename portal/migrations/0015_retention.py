"""Retention (portal.retention): the access log gets an index on its time, and the audit
trigger (migration 0002) now lets one kind of DELETE through: a row older than 3 years, while
the transaction has set ``portal.retention_delete`` (only ``AuditEvent.objects.retention_delete``
does, for the nightly retention job). Any other DELETE, and every UPDATE, still raises; a
DELETE of a younger row raises even with the setting."""

from django.db import migrations, models

RETENTION = """
CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('portal.retention_delete', true) = 'on'
       AND OLD.at < now() - interval '3 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'portal_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'portal_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RETENTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [("portal", "0014_english_names")]

    operations = [
        migrations.AddIndex(
            model_name="accesslog",
            index=models.Index(fields=["at"], name="accesslog_at_idx"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
