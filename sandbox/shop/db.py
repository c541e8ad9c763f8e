"""Connections and schema migrations.

Migrations are the ``*.sql`` files in ``migrations/``, applied in name order, each exactly once
and each in its own transaction together with its row in ``schema_migrations``, so a failed
migration leaves the database as it was before it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def connect(path: str | Path = ":memory:") -> sqlite3.Connection:
    """Open the database at ``path`` and bring its schema up to date."""
    # The HTTP server answers on several threads; they share this connection under a lock.
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


def pending_migrations(conn: sqlite3.Connection) -> list[Path]:
    """The migration files not yet applied to ``conn``, in the order they will run."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name TEXT PRIMARY KEY,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
    )
    applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    return [p for p in sorted(MIGRATIONS_DIR.glob("*.sql")) if p.name not in applied]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    applied = []
    for path in pending_migrations(conn):
        conn.execute("BEGIN")
        try:
            # executescript() would commit first; running statement by statement keeps the
            # migration and its bookkeeping row in one transaction.
            for statement in _statements(path.read_text(encoding="utf-8")):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", (path.name,))
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(path.name)
    return applied


def _statements(script: str) -> list[str]:
    """Split a migration into complete SQL statements."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
