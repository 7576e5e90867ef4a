"""Empty the scratch database at a DATABASE_URL: delete the SQLite file, or drop and create the PostgreSQL database."""

import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def recreate(url):
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        Path(parts.path.removeprefix("/")).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(parts.path.removeprefix("/") + suffix).unlink(missing_ok=True)
        return
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"Unsupported scratch database: {url}")
    import psycopg

    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    recreate(sys.argv[1])
