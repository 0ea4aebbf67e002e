"""The SQLite schema (store.md §3 plus `cycle_id`, `pgid`, `last_status`) and how a
connection is opened: file mode 0600, pragmas, and migrations by `PRAGMA user_version`.

Migrations are an ordered list; migration *i* takes a database from version *i* to
*i + 1*, each in its own transaction. Version 1 creates every table if missing and
adds any missing column, so it also upgrades databases written by the original Husky
(user_version 0, older column sets).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from husky.errors import StoreError

#: table -> (column name, declaration); the first column is the primary key.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
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
    for table, columns in TABLES.items():
        body = ",\n  ".join(f"{name} {decl}" for name, decl in columns)
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (\n  {body}\n)")
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, decl in columns:
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {_addable(decl)}")
    for statement in INDEXES:
        conn.execute(statement)


#: MIGRATIONS[i] upgrades user_version i to i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_or_complete_tables,)
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
    path.parent.mkdir(parents=True, exist_ok=True)
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
