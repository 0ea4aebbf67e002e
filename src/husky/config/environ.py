"""`${env:VAR}` expansion and the `.env` file beside husky.yaml (spec/config.md A9)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from husky.errors import ConfigError

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(value: str, environ: Mapping[str, str]) -> str:
    """Replace every `${env:NAME}` by NAME's value (`""` when unset)."""
    return ENV_REF.sub(lambda m: environ.get(m.group(1), ""), value)


def has_env_ref(value: str) -> bool:
    return ENV_REF.search(value) is not None


def parse_dotenv(text: str) -> dict[str, str]:
    """`.env` lines: `KEY=value`; blank, `#` and `=`-less lines skipped; one pair of quotes removed."""
    pairs: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key:
            pairs[key] = value
    return pairs


def load_dotenv(config_dir: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set each `.env` key that the environment lacks; return the keys that were set.

    This mutates the process environment on purpose (spec A9): `.env` variables reach
    every job, and a later reload never changes a variable set earlier. A `.env` that
    exists but cannot be read raises ConfigError, so a reload keeps the old config.
    """
    target = os.environ if environ is None else environ
    path = config_dir / ".env"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return []
    except OSError as exc:
        raise ConfigError(str(path), [], title=f"reading {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), [], title=f"reading {path}: not UTF-8 ({exc.reason})"
        ) from None
    added = []
    for key, value in parse_dotenv(text).items():
        if key not in target:
            target[key] = value
            added.append(key)
    return added
