"""Execution slots (execution.md §14): FIFO, and a waiter can be called off from outside.

asyncio.Semaphore cannot be interrupted by an event without extra tasks per waiter;
with a hundred runs queued behind `pool_size: 2` those tasks cost more than the runs.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def take_now(self) -> bool:
        """Take a slot if one is free and nobody is queued before us."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    def queue(self) -> asyncio.Future[None]:
        """A future resolved when a slot is handed to this waiter; cancel it to give up."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    def release(self) -> None:
        """Hand the slot to the first live waiter, or put it back."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1
