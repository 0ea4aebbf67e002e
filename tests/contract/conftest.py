"""Fixtures for the store contract suite: every backend runs every test.

Tests are plain functions; `run(coro)` drives one coroutine on a fresh event loop
(no pytest-asyncio). A store is not tied to a loop, so one opened in the fixture
serves every `run` of a test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from husky.models import NewRun, Trigger
from husky.store.sqlite import SQLiteStore
from husky.store.sqlite_reader import SQLiteReader

T = TypeVar("T")

BACKENDS = ["sqlite"]

#: A fixed instant with milliseconds, so round trips are exact.
T0 = datetime(2026, 3, 8, 7, 30, 0, 123000, tzinfo=UTC)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_run(job: str = "etl", **overrides: Any) -> NewRun:
    fields: dict[str, Any] = {
        "job_name": job,
        "trigger": Trigger.SCHEDULE,
        "triggered_by": "scheduler",
        "reason": None,
        "attempt": 1,
        "cycle_id": "cycle-1",
        "created_at": T0,
    }
    fields.update(overrides)
    return NewRun(**fields)


@dataclass
class Backend:
    """One storage location of one backend; opens stores and sync readers on it."""

    name: str
    path: Path
    _readers: list[SQLiteReader] = field(default_factory=list)

    async def open(self, **options: Any) -> SQLiteStore:
        return await SQLiteStore.open(self.path, **options)

    def reader(self) -> SQLiteReader:
        """A synchronous reader, as CLI processes use (closed after the test)."""
        reader = SQLiteReader(self.path)
        self._readers.append(reader)
        return reader

    def close(self) -> None:
        for reader in self._readers:
            reader.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = Backend(request.param, tmp_path / "husky.db")
    yield b
    b.close()


@pytest.fixture
def store(backend: Backend) -> Iterator[SQLiteStore]:
    opened = run(backend.open())
    yield opened
    run(opened.close())
