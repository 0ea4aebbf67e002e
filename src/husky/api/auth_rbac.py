"""Role-based access rules (api.md §2, I18): who may use which method on which path.

Pure: the middleware asks `is_allowed(rules, role, method, path)` with the path
already stripped of `api.base_path`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from husky.config.daemon_models import RbacRule

ALL_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    """One grant; `role` is lower case, `methods` upper case."""

    role: str
    methods: frozenset[str]
    paths: tuple[str, ...]

    @classmethod
    def of(cls, role: str, methods: Iterable[str], paths: Iterable[str]) -> Rule:
        return cls(role.lower(), frozenset(m.upper() for m in methods), tuple(paths))


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("admin", ALL_METHODS, ("*",)),
    Rule("operator", ALL_METHODS, ("*",)),
    Rule("viewer", READ_METHODS, ("*",)),
)


def rules_from_config(rbac: Sequence[RbacRule]) -> tuple[Rule, ...]:
    """`auth.rbac` as rules; an empty list means the defaults (a non-empty one replaces
    them entirely, so custom rules without an `admin` rule leave `admin` nothing)."""
    if not rbac:
        return DEFAULT_RULES
    return tuple(Rule.of(r.role, r.methods, r.paths) for r in rbac)


def path_matches(pattern: str, path: str) -> bool:
    """`*` matches everything, `/api/jobs/*` every path starting `/api/jobs/`, anything
    else only itself."""
    if pattern == "*" or pattern == path:
        return True
    return pattern.endswith("*") and path.startswith(pattern[:-1])


def is_allowed(rules: Iterable[Rule], role: str, method: str, path: str) -> bool:
    role, method = role.lower(), method.upper()
    return any(
        rule.role == role
        and method in rule.methods
        and any(path_matches(p, path) for p in rule.paths)
        for rule in rules
    )
