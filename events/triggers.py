"""Cross-table rules that a CheckConstraint cannot express, enforced by triggers.

- A session's local dates lie within its meeting's dates.
- A document attached to a session belongs to that session's meeting.
- A meeting is never part of itself, directly or through its parts (no cycles in "part of").
- PostgreSQL only: a meeting's new dates still hold its sessions, checked at commit.
  SQLite cannot defer a trigger, so there the admin form, the API and the
  spreadsheet import check it.

SQLite rebuilds a table for most schema changes and refuses to rename a table
that a trigger names, so the triggers are dropped before every `migrate` and
created again after it (see EventsConfig).
"""

SQLITE_TEMPLATES = {
    "session_within_meeting": """
    CREATE TRIGGER session_within_meeting_{op} BEFORE {OP} ON events_session
    FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM events_meeting m WHERE m.id = NEW.meeting_id
        AND (NEW.starts_on < m.start_date OR NEW.ends_on > m.end_date)
    )
    BEGIN SELECT RAISE(ABORT, 'session_within_meeting_dates'); END;
    """,
    "document_session_same_meeting": """
    CREATE TRIGGER document_session_same_meeting_{op} BEFORE {OP} ON events_outcomedocument
    FOR EACH ROW WHEN NEW.session_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM events_session s WHERE s.id = NEW.session_id AND s.meeting_id = NEW.meeting_id
    )
    BEGIN SELECT RAISE(ABORT, 'document_session_same_meeting'); END;
    """,
    "meeting_parent_not_a_part": """
    CREATE TRIGGER meeting_parent_not_a_part_{op} BEFORE {OP} ON events_meeting
    FOR EACH ROW WHEN NEW.parent_id IS NOT NULL AND EXISTS (
        WITH RECURSIVE up(id) AS (
            SELECT NEW.parent_id
            UNION SELECT m.parent_id FROM events_meeting m JOIN up ON m.id = up.id WHERE m.parent_id IS NOT NULL
        )
        SELECT 1 FROM up WHERE up.id = NEW.id
    )
    BEGIN SELECT RAISE(ABORT, 'meeting_parent_not_a_part'); END;
    """,
}

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION events_session_within_meeting() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM events_meeting m WHERE m.id = NEW.meeting_id
               AND (NEW.starts_on < m.start_date OR NEW.ends_on > m.end_date)) THEN
        RAISE EXCEPTION 'session_within_meeting_dates' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER session_within_meeting BEFORE INSERT OR UPDATE ON events_session
    FOR EACH ROW EXECUTE FUNCTION events_session_within_meeting();

CREATE OR REPLACE FUNCTION events_document_session_same_meeting() RETURNS trigger AS $$
BEGIN
    IF NEW.session_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM events_session s WHERE s.id = NEW.session_id AND s.meeting_id = NEW.meeting_id) THEN
        RAISE EXCEPTION 'document_session_same_meeting' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER document_session_same_meeting BEFORE INSERT OR UPDATE ON events_outcomedocument
    FOR EACH ROW EXECUTE FUNCTION events_document_session_same_meeting();

CREATE OR REPLACE FUNCTION events_meeting_parent_not_a_part() RETURNS trigger AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND EXISTS (
        WITH RECURSIVE up(id) AS (
            SELECT NEW.parent_id
            UNION SELECT m.parent_id FROM events_meeting m JOIN up ON m.id = up.id WHERE m.parent_id IS NOT NULL
        )
        SELECT 1 FROM up WHERE up.id = NEW.id) THEN
        RAISE EXCEPTION 'meeting_parent_not_a_part' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER meeting_parent_not_a_part BEFORE INSERT OR UPDATE OF parent_id ON events_meeting
    FOR EACH ROW EXECUTE FUNCTION events_meeting_parent_not_a_part();

-- Checked at commit, so a meeting and its sessions can move together in one transaction
-- (the admin saves the meeting before its inline sessions). It reads the row as it is
-- then, not NEW, which may be an earlier version of it.
CREATE OR REPLACE FUNCTION events_meeting_holds_its_sessions() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM events_meeting m JOIN events_session s ON s.meeting_id = m.id
               WHERE m.id = NEW.id AND (s.starts_on < m.start_date OR s.ends_on > m.end_date)) THEN
        RAISE EXCEPTION 'meeting_holds_its_sessions' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER meeting_holds_its_sessions AFTER UPDATE OF start_date, end_date ON events_meeting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION events_meeting_holds_its_sessions();
"""

# CASCADE drops the triggers with their functions, and works before the tables exist.
POSTGRES_DROP = """
DROP FUNCTION IF EXISTS events_session_within_meeting() CASCADE;
DROP FUNCTION IF EXISTS events_document_session_same_meeting() CASCADE;
DROP FUNCTION IF EXISTS events_meeting_holds_its_sessions() CASCADE;
DROP FUNCTION IF EXISTS events_meeting_parent_not_a_part() CASCADE;
"""


def tables_exist(connection):
    return {"events_session", "events_meeting", "events_outcomedocument"} <= set(
        connection.introspection.table_names()
    )


def drop_triggers(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TEMPLATES:
                for op in ("insert", "update"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}_{op}")
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)


def create_triggers(connection):
    if not tables_exist(connection):
        return
    drop_triggers(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for template in SQLITE_TEMPLATES.values():
                for op in ("insert", "update"):
                    cursor.execute(template.format(op=op, OP=op.upper()))
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_CREATE)
