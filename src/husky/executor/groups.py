"""Process groups: is one still alive, and the kill ladder (SIGTERM, grace, SIGKILL).

Every run is the leader of its own group (spawned with a new session), so signalling the
group reaches its grandchildren too. Zombies count as gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal as signals

REAP = 2.0  # after SIGKILL, how long to wait for the group to disappear


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _check_pgid(pgid: int) -> None:
    if pgid <= 1 or pgid == os.getpgrp():
        raise ValueError(f"refusing to signal process group {pgid}")


def group_alive(pgid: int) -> bool:
    """True if any non-zombie process is in group `pgid` (zombies count as gone)."""
    _check_pgid(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process holds that group: it is alive
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no /proc: killpg(0) succeeded, so something (perhaps a zombie) is there
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # "pid (comm) state ppid pgrp ..." - comm may contain spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split(b" ", 3)
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


async def kill_group(pgid: int, grace: float = 10.0) -> bool:
    """SIGTERM group `pgid`, wait up to `grace` s for it to empty, then SIGKILL it.

    Returns True if any member was alive. Zombies count as gone.
    """
    if not group_alive(pgid):
        return False
    loop = asyncio.get_running_loop()
    signal_group(pgid, signals.SIGTERM)
    killed = False
    deadline = loop.time() + grace
    delay = 0.005
    while group_alive(pgid):
        now = loop.time()
        if now >= deadline:
            if killed:
                break  # unkillable (e.g. stuck in the kernel): give up waiting
            signal_group(pgid, signals.SIGKILL)
            killed = True
            deadline = now + REAP
            delay = 0.005
            continue
        await asyncio.sleep(min(delay, deadline - now))
        delay = min(delay * 2, 0.1)
    return True
