"""Cross-table rules that a CheckConstraint cannot express, enforced by triggers.

- A session's local dates lie within its meeting's dates.
- A document attached to a session belongs to that session's meeting.
- A meeting is never part of itself, directly or through its parts (no cycles in "part of").
- PostgreSQL only: a meeting's new dates still hold its sessions, checked at commit.
  SQLite cannot defer a trigger, so there the admin form, the API and the
  spreadsheet import check it.

- The change stamp: one row (`events_changestamp`) that every write to a table
  the site shows moves, in the same transaction (see `change_stamp`).

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


# --- The change stamp ---------------------------------------------------------
#
# Feeds, pages and API answers are validated against one row that moves with
# every insert, update, delete (and, on PostgreSQL, truncate) of any table they
# show, by a trigger in the writer's own transaction: a conditional request
# reads one row whatever the size of the calendar. It is not a Django model, so
# `flush` keeps it; `salt` is random so a counter reused after a rolled-back
# write still gives a new stamp. Feed tokens are left out: recording a poll
# must not invalidate every cached page.
STAMP_TABLE = "events_changestamp"
STAMP_EXCLUDED = {"events_feedtoken", STAMP_TABLE}

SQLITE_STAMP_TABLE = f"""
CREATE TABLE IF NOT EXISTS {STAMP_TABLE} (
    id INTEGER PRIMARY KEY CHECK (id = 1), counter INTEGER NOT NULL, salt INTEGER NOT NULL, changed TEXT NOT NULL
)"""
SQLITE_STAMP_ROW = f"""
INSERT OR IGNORE INTO {STAMP_TABLE} (id, counter, salt, changed)
VALUES (1, 1, random(), strftime('%Y-%m-%d %H:%M:%f', 'now'))"""
SQLITE_STAMP_TRIGGER = """
CREATE TRIGGER events_stamp_{table}_{op} AFTER {OP} ON "{table}" FOR EACH ROW
BEGIN UPDATE events_changestamp SET counter = counter + 1, salt = random(),
    changed = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = 1; END;
"""

POSTGRES_STAMP = f"""
CREATE TABLE IF NOT EXISTS {STAMP_TABLE} (
    id integer PRIMARY KEY CHECK (id = 1), counter bigint NOT NULL, salt bigint NOT NULL,
    changed timestamp with time zone NOT NULL
);
INSERT INTO {STAMP_TABLE} (id, counter, salt, changed)
VALUES (1, 1, (random() * 9e15)::bigint, clock_timestamp()) ON CONFLICT (id) DO NOTHING;
-- One statement-level trigger per table and statement: a bulk insert moves the stamp once.
CREATE OR REPLACE FUNCTION events_bump_stamp() RETURNS trigger AS $$
BEGIN
    UPDATE {STAMP_TABLE} SET counter = counter + 1, salt = (random() * 9e15)::bigint,
        changed = clock_timestamp() WHERE id = 1;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""
POSTGRES_STAMP_TRIGGER = """
CREATE TRIGGER events_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"
    FOR EACH STATEMENT EXECUTE FUNCTION events_bump_stamp();
"""


def stamped_tables(connection):
    """Every table of the events app a page, feed or API answer can show."""
    from django.apps import apps

    existing = set(connection.introspection.table_names())
    tables = {
        model._meta.db_table
        for model in apps.get_app_config("events").get_models(include_auto_created=True)
        if model._meta.db_table not in STAMP_EXCLUDED
    }
    return sorted(tables & existing)


def change_stamp(connection):
    """(counter, salt, changed) of the stamp row: one primary-key read; None before the first migrate."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT counter, salt, changed FROM {STAMP_TABLE} WHERE id = 1")
        return cursor.fetchone()


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
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'events_stamp_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
            cursor.execute("DROP FUNCTION IF EXISTS events_bump_stamp() CASCADE")


def create_triggers(connection):
    if not tables_exist(connection):
        return
    drop_triggers(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for template in SQLITE_TEMPLATES.values():
                for op in ("insert", "update"):
                    cursor.execute(template.format(op=op, OP=op.upper()))
            cursor.execute(SQLITE_STAMP_TABLE)
            cursor.execute(SQLITE_STAMP_ROW)
            for table in stamped_tables(connection):
                for op in ("insert", "update", "delete"):
                    cursor.execute(SQLITE_STAMP_TRIGGER.format(table=table, op=op, OP=op.upper()))
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_CREATE)
            cursor.execute(POSTGRES_STAMP)
            for table in stamped_tables(connection):
                cursor.execute(POSTGRES_STAMP_TRIGGER.format(table=table))
