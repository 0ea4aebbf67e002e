"""IANA time zone names: checking them, suggesting near misses, finding the system zone."""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def zone(name: str) -> ZoneInfo:
    """The zone called `name`; raises ValueError with a "did you mean" when it does not exist."""
    try:
        if name and name in _known():
            return ZoneInfo(name)
        if name == "UTC":
            return ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        pass
    close = difflib.get_close_matches(name, sorted(_known()), n=1, cutoff=0.6)
    by_case = [z for z in _known() if z.lower() == name.lower()]
    guess = by_case or close
    hint = f'did you mean "{guess[0]}"?' if guess else 'expected a name such as "Europe/Berlin"'
    raise ValueError(f'unknown IANA timezone identifier "{name}"; {hint}')


@cache
def system_zone_name() -> str:
    """The machine's IANA zone (`TZ`, then /etc/localtime's link target), else "UTC"."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name in _known():
            return name
    return "UTC"
