"""The SQLite schema (store.md §3 plus `cycle_id`, `pgid`, `retry_at`, `last_status`) and
how a connection is opened: file mode 0600, pragmas, migrations by `PRAGMA user_version`.

Migrations are an ordered list; migration *i* takes a database from version *i* to
*i + 1*, each in its own transaction. Migration 1 creates every table of the version-1
schema (`V1_TABLES`, frozen) if missing and adds any missing column, so it also upgrades
databases written by the original Husky (user_version 0, older column sets). Later
migrations only add what changed since (`ADDED_COLUMNS`); `TABLES` is the result.

| Version | Change |
|---|---|
| 1 | every table and index of store.md §3, plus `cycle_id`, `pgid`, `last_status` |
| 2 | `job_runs.retry_at` (I12: a pending retry survives a restart) |
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from husky.errors import StoreError

Columns = tuple[tuple[str, str], ...]

#: The version-1 schema, as migration 1 creates it: table -> (column name, declaration);
#: the first column is the primary key. Frozen: new columns go to ADDED_COLUMNS.
V1_TABLES: dict[str, Columns] = {
    "job_runs": (
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        ("job_name", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("status_reason", "TEXT"),
        ("attempt", "INTEGER NOT NULL DEFAULT 1"),
        ("trigger", "TEXT NOT NULL"),
        ("triggered_by", "TEXT NOT NULL DEFAULT 'scheduler'"),
        ("reason", "TEXT"),
        ("started_at", "TEXT"),
        ("finished_at", "TEXT"),
        ("exit_code", "INTEGER"),
        ("sla_breached", "INTEGER NOT NULL DEFAULT 0"),
        ("hc_status", "TEXT"),
        ("created_at", "TEXT NOT NULL"),
        ("cycle_id", "TEXT"),
        ("pgid", "INTEGER"),
    ),
    "job_state": (
        ("job_name", "TEXT PRIMARY KEY"),
        ("last_success", "TEXT"),
        ("last_failure", "TEXT"),
        ("next_run", "TEXT"),
        ("lock_pid", "INTEGER"),
        ("last_status", "TEXT"),
    ),
    "run_logs": (
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        ("run_id", "INTEGER NOT NULL REFERENCES job_runs(id)"),
        ("seq", "INTEGER NOT NULL"),
        ("stream", "TEXT NOT NULL"),
        ("line", "TEXT NOT NULL"),
        ("ts", "TEXT NOT NULL"),
    ),
    "run_outputs": (
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        ("run_id", "INTEGER NOT NULL REFERENCES job_runs(id)"),
        ("job_name", "TEXT NOT NULL"),
        ("var_name", "TEXT NOT NULL"),
        ("value", "TEXT NOT NULL"),
        ("cycle_id", "TEXT NOT NULL"),
        ("created_at", "TEXT NOT NULL"),
    ),
    "alerts": (
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        ("job_name", "TEXT NOT NULL"),
        ("run_id", "INTEGER REFERENCES job_runs(id)"),
        ("event", "TEXT NOT NULL DEFAULT ''"),
        ("channel", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL DEFAULT 'delivered'"),
        ("attempts", "INTEGER NOT NULL DEFAULT 1"),
        ("last_attempt_at", "TEXT"),
        ("error", "TEXT"),
        ("sent_at", "TEXT NOT NULL"),
        ("payload", "TEXT"),
    ),
}

INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_run_outputs_cycle ON run_outputs(cycle_id)",
    "CREATE INDEX IF NOT EXISTS idx_job_runs_job_name ON job_runs(job_name)",
    "CREATE INDEX IF NOT EXISTS idx_run_logs_run_seq ON run_logs(run_id, seq)",
)


def _addable(declaration: str) -> str:
    """`ALTER TABLE … ADD COLUMN` needs a default for NOT NULL columns."""
    if "NOT NULL" not in declaration or "DEFAULT" in declaration:
        return declaration
    return declaration + (" DEFAULT 0" if declaration.startswith("INTEGER") else " DEFAULT ''")


def _create_or_complete_tables(conn: sqlite3.Connection) -> None:
    """Version 1 (also upgrades the original Husky's databases, user_version 0)."""
    for table, columns in V1_TABLES.items():
        body = ",\n  ".join(f"{name} {decl}" for name, decl in columns)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (\n  {body}\n)")
        present = _column_names(conn, table)
        for name, decl in columns:
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {_addable(decl)}")
    for statement in INDEXES:
        conn.execute(statement)


def _add_retry_at(conn: sqlite3.Connection) -> None:
    """Version 2: `job_runs.retry_at`, NULL for every existing row."""
    _add_columns(conn, 2)


def _add_columns(conn: sqlite3.Connection, version: int) -> None:
    for added_in, table, name, decl in ADDED_COLUMNS:
        if added_in == version and name not in _column_names(conn, table):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {_addable(decl)}")


def _column_names(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


#: Columns added after version 1: (schema version that adds it, table, name, declaration).
ADDED_COLUMNS: tuple[tuple[int, str, str, str], ...] = ((2, "job_runs", "retry_at", "TEXT"),)


def _current_tables() -> dict[str, Columns]:
    tables = dict(V1_TABLES)
    for _, table, name, decl in ADDED_COLUMNS:
        tables[table] = (*tables[table], (name, decl))
    return tables


#: The current schema (V1_TABLES plus ADDED_COLUMNS, in order).
TABLES: dict[str, Columns] = _current_tables()

#: MIGRATIONS[i] upgrades user_version i to i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_or_complete_tables,
    _add_retry_at,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _user_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this Husky supports"
            f" ({SCHEMA_VERSION})"
        )
    return version


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every migration the file lacks, one transaction each (autocommit conn)."""
    while _user_version(conn) < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _user_version(
                conn
            )  # re-read under the write lock: another process may have won
            if version < SCHEMA_VERSION:
                MIGRATIONS[version](conn)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _create_private(path: Path) -> bool:
    """Create the database file with mode 0600 if it is missing; True if created here."""
    if path.exists():
        return False
    if not path.parent.exists():  # I28: a directory made for the database is owner-only
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    os.chmod(path, 0o600)  # in case the umask was stricter or odd
    return True


def connect(
    path: Path, *, busy_timeout_ms: int = 5000, wal_autocheckpoint: int = 1000
) -> sqlite3.Connection:
    """Open `path` (creating file and schema if missing) in autocommit mode, WAL on.

    The connection may be used from another thread than the one that opened it, but
    by one thread at a time. Raises StoreError for any SQLite or file-system failure
    and for a schema newer than `SCHEMA_VERSION`.
    """
    try:
        created = _create_private(path)
        conn = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open state database {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _user_version(conn)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot switch {path} to WAL mode (journal_mode is {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        if wal_autocheckpoint > 0:
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(wal_autocheckpoint)}")
        migrate(conn)
        if created:
            for suffix in ("-wal", "-shm"):
                side = path.with_name(path.name + suffix)
                if side.exists():
                    os.chmod(side, 0o600)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot open state database {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn
