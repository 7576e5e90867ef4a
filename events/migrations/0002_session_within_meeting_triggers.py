"""Cross-table rules that a CheckConstraint cannot express, enforced by triggers.

- A session's local dates lie within its meeting's dates.
- A document attached to a session belongs to that session's meeting.
"""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER session_within_meeting_{op} BEFORE {OP} ON events_session
    FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM events_meeting m WHERE m.id = NEW.meeting_id
        AND (NEW.starts_on < m.start_date OR NEW.ends_on > m.end_date)
    )
    BEGIN SELECT RAISE(ABORT, 'session_within_meeting_dates'); END;
    """,
    """
    CREATE TRIGGER document_session_same_meeting_{op} BEFORE {OP} ON events_outcomedocument
    FOR EACH ROW WHEN NEW.session_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM events_session s WHERE s.id = NEW.session_id AND s.meeting_id = NEW.meeting_id
    )
    BEGIN SELECT RAISE(ABORT, 'document_session_same_meeting'); END;
    """,
]

POSTGRES = """
CREATE FUNCTION events_session_within_meeting() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM events_meeting m WHERE m.id = NEW.meeting_id
               AND (NEW.starts_on < m.start_date OR NEW.ends_on > m.end_date)) THEN
        RAISE EXCEPTION 'session_within_meeting_dates' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER session_within_meeting BEFORE INSERT OR UPDATE ON events_session
    FOR EACH ROW EXECUTE FUNCTION events_session_within_meeting();

CREATE FUNCTION events_document_session_same_meeting() RETURNS trigger AS $$
BEGIN
    IF NEW.session_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM events_session s WHERE s.id = NEW.session_id AND s.meeting_id = NEW.meeting_id) THEN
        RAISE EXCEPTION 'document_session_same_meeting' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER document_session_same_meeting BEFORE INSERT OR UPDATE ON events_outcomedocument
    FOR EACH ROW EXECUTE FUNCTION events_document_session_same_meeting();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS session_within_meeting ON events_session;
DROP FUNCTION IF EXISTS events_session_within_meeting();
DROP TRIGGER IF EXISTS document_session_same_meeting ON events_outcomedocument;
DROP FUNCTION IF EXISTS events_document_session_same_meeting();
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for template in SQLITE:
            for op in ("insert", "update"):
                schema_editor.execute(template.format(op=op, OP=op.upper()))
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in ("session_within_meeting", "document_session_same_meeting"):
            for op in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{op}")
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
