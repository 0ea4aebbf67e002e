"""Loading huskyd.yaml, the daemon's runtime config (spec/config.md Part B).

The pipeline reuses husky.yaml's machinery: `load_yaml` (positions), `check_structure`
(strict pydantic models from `daemon_models.py`, located plain-English problems), then a
semantic pass over the effective values. Every problem is collected and reported as
`huskyd.yaml:LINE:COL: daemoncfg: <key>: <message>`.

Merge quirk kept from the original (B1): a zero value in the file (`false`, `0`, `""`,
null, an empty list or mapping) does not override the default, so
`scheduler.max_concurrent_jobs: 0` stays 32. Only `dashboard.enabled: false` is
honoured. This is done generically by `prune_zero_values` before validation.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from husky.api.auth_tokens import parse_token_file
from husky.config.daemon_models import AuthSection, DaemonConfig
from husky.config.source import Key, YamlSource, dotted, load_yaml
from husky.config.structure import FIELD_HINTS, check_structure
from husky.errors import ConfigError, Problem

FILE_NAME = "huskyd.yaml"
PREFIX = "daemoncfg: "
#: Keys whose zero value in the file is honoured rather than ignored.
HONOURED_ZERO: frozenset[tuple[str, ...]] = frozenset({("dashboard", "enabled")})

TLS_VERSIONS = ("1.2", "1.3")
LOG_LEVELS = ("debug", "info", "warn", "error")
LOG_FORMATS = ("text", "json")
LOG_OUTPUTS = ("stdout", "stderr", "file")
AUTH_TYPES = ("none", "bearer", "basic", "oidc")
BUILTIN_ROLES = ("admin", "operator", "viewer")
HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
SECRET_PROVIDERS = ("env", "vault", "aws_ssm", "aws_secrets_manager", "gcp_secret_manager")
TRACING_EXPORTERS = ("otlp", "jaeger", "zipkin", "stdout")
#: `$2a$`/`$2b$`/`$2y$`, a two-digit cost, 22 characters of salt and 31 of hash.
BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
PLAINTEXT_PASSWORD = (
    "a plaintext password is not allowed in huskyd.yaml; use password_hash with a bcrypt "
    'hash instead (e.g. `htpasswd -nbBC 10 "" <password> | cut -d: -f2`)'
)


class DaemonConfigError(ConfigError):
    """A huskyd.yaml that cannot be used; each problem reads `daemoncfg: <key>: <message>`."""

    def report(self) -> str:
        name = self.file.rsplit("/", 1)[-1]
        head = self.title or f"{name} has {len(self.problems)} validation error(s):"
        lines = [head]
        for p in self.problems:
            if self.title and not p.path and not p.line:
                continue  # says no more than the title
            where = f"{p.file}:{p.line}:{p.col}: " if p.line else f"{p.file}: "
            what = f"{p.path}: {p.message}" if p.path else p.message
            lines.append(f"  • {where}{PREFIX}{what}")
        return "\n".join(lines)


def load_daemon_config(path: Path | None, config_dir: Path, *, explicit: bool) -> DaemonConfig:
    """Find, load and validate huskyd.yaml (spec B1).

    `path` is `--daemon-config` when `explicit`; a missing explicit file is an error.
    Otherwise `<config_dir>/huskyd.yaml` is used if it exists, else pure defaults
    (`result.path is None`; the caller logs `no huskyd.yaml found, using defaults`).
    An empty, comment-only or `null` document also means defaults. Raises
    DaemonConfigError listing every problem.
    """
    if path is None or not explicit:
        path = path if path is not None else config_dir / FILE_NAME
        if not path.exists():
            return DaemonConfig().located(None, config_dir)
    display = str(path)
    if not path.exists():
        message = f"{FILE_NAME} not found: {path}"
        raise DaemonConfigError(display, [Problem(display, "", message)], title=message)
    try:
        source = load_yaml(path, display)
    except ConfigError as exc:
        if [p.path for p in exc.problems] == ["(document)"]:  # empty / comments / null
            return DaemonConfig().located(path, path.parent)
        raise DaemonConfigError(exc.file, exc.problems, exc.title) from None
    config, problems = check_daemon_source(source, path.parent)
    if config is None or problems:
        raise DaemonConfigError(display, problems)
    return config.located(path, path.parent)


def check_daemon_source(
    source: YamlSource, base_dir: Path
) -> tuple[DaemonConfig | None, list[Problem]]:
    """Both passes over a parsed huskyd.yaml: the merged config and every problem found."""
    if not isinstance(source.data, dict):
        msg = "the file must be a mapping of sections (api, auth, log, storage, scheduler, …)"
        return None, [source.problem([], msg)]
    pruned = dataclasses.replace(source, data=prune_zero_values(source.data, DaemonConfig))
    config, problems = check_structure(pruned, DaemonConfig)
    if config is None:
        return None, sorted(map(_reword, problems), key=_position)
    config.located(None, base_dir)
    return config, sorted(DaemonChecker(source, config).run(), key=_position)


def prune_zero_values(data: Any, model: type[BaseModel], at: tuple[str, ...] = ()) -> Any:
    """`data` without the zero values of `model`'s fields (recursing into sections).

    Unknown keys are kept so that they are still reported; list items and free-form
    mappings (`executor.global_env`) are taken as written.
    """
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            out[key] = value
            continue
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel) and isinstance(value, dict):
            value = prune_zero_values(value, sub, (*at, key))
        if _is_zero(value) and (*at, key) not in HONOURED_ZERO:
            continue
        out[key] = value
    return out


def _is_zero(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | str | list | dict):
        return not value
    return False


def _reword(problem: Problem) -> Problem:
    """Adapt a structural problem to huskyd.yaml (husky.yaml's field hints do not apply)."""
    message = problem.message.replace("Input should be", "must be")
    name = problem.path.rsplit(".", 1)[-1]
    hint = FIELD_HINTS.get(name)
    if hint and message.endswith(f"; expected {hint}"):
        message = message[: -len(f"; expected {hint}")]
    if name == "password" and ".users[" in problem.path and message.startswith("unknown field"):
        message = PLAINTEXT_PASSWORD
    return problem._replace(message=message)


def known_roles(auth: AuthSection) -> list[str]:
    """The roles a user or token may carry: the built-in ones and those `auth.rbac` names
    (lower case)."""
    custom = [r.role.lower() for r in auth.rbac if r.role]
    return [*BUILTIN_ROLES, *dict.fromkeys(r for r in custom if r not in BUILTIN_ROLES)]


def _position(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.col


def _one_of(values: Sequence[str]) -> str:
    return "one of " + ", ".join(values)


class DaemonChecker:
    """The semantic pass over the effective (merged) daemon config."""

    def __init__(self, source: YamlSource, config: DaemonConfig) -> None:
        self.source = source
        self.config = config
        self.problems: list[Problem] = []

    def add(self, path: Sequence[Key], message: str, *, cause: Sequence[Key] = ()) -> None:
        """Report `message` at `path`; if `path` is not in the file, point at `cause`."""
        if not cause or tuple(path) in self.source.marks:
            self.problems.append(self.source.problem(path, message))
            return
        line, col = self.source.locate(cause)
        self.problems.append(Problem(self.source.file, dotted(path), message, line, col))

    def run(self) -> list[Problem]:
        self.check_api()
        self.check_auth()
        self.check_log()
        self.check_storage()
        c = self.config
        self.enum(["secrets", "provider"], c.secrets.provider, SECRET_PROVIDERS)
        self.enum(["tracing", "exporter"], c.tracing.exporter, TRACING_EXPORTERS)
        return self.problems

    # -- helpers ------------------------------------------------------------------------

    def enum(self, path: Sequence[Key], value: str, allowed: Sequence[str]) -> bool:
        if value in allowed:
            return True
        message = f'invalid value "{value}"; expected {_one_of(allowed)}'
        close = difflib.get_close_matches(value.lower(), allowed, n=1, cutoff=0.6)
        if close:
            message += f'; did you mean "{close[0]}"?'
        self.add(path, message)
        return False

    def file(self, path: Sequence[Key], text: str) -> None:
        resolved = self.config.resolve_path(text)
        if not resolved.is_file():
            self.add(path, f"file not found: {resolved}")

    def required(self, path: Sequence[Key], value: str, cause: Sequence[Key], why: str) -> bool:
        if not value:
            self.add(path, f"must be set when {why}", cause=cause)
        return bool(value)

    # -- sections -----------------------------------------------------------------------

    def check_api(self) -> None:
        api = self.config.api
        self.addr(["api", "addr"], api.addr)
        bp = api.base_path
        if bp and not bp.startswith("/"):
            self.add(["api", "base_path"], f'"{bp}" must start with "/", e.g. "/husky"')
        tls, at = api.tls, ["api", "tls"]
        self.enum([*at, "min_version"], tls.min_version, TLS_VERSIONS)
        if tls.enabled:
            for key, value in (("cert", tls.cert), ("key", tls.key)):
                if self.required([*at, key], value, [*at, "enabled"], "api.tls.enabled is true"):
                    self.file([*at, key], value)
            if tls.client_ca:
                self.file([*at, "client_ca"], tls.client_ca)

    def addr(self, path: Sequence[Key], addr: str) -> None:
        host, sep, port = addr.rpartition(":")
        if not sep:
            self.add(path, f'"{addr}" must be host:port, e.g. "127.0.0.1:8080"')
            return
        bracketed = host.startswith("[") and host.endswith("]")
        if (":" in host and not bracketed) or host.startswith("[") != host.endswith("]"):
            self.add(path, f'"{addr}": an IPv6 host must be in brackets, e.g. "[::1]:8080"')
        if not (port.isascii() and port.isdigit()) or int(port) > 65535:
            self.add(path, f'"{addr}": port "{port}" must be a number from 0 to 65535')

    def check_auth(self) -> None:
        auth = self.config.auth
        if self.enum(["auth", "type"], auth.type, AUTH_TYPES) and auth.type == "oidc":
            self.add(["auth", "type"], "auth.type=oidc is not yet supported")
        bearer = auth.bearer
        roles = known_roles(auth)
        if auth.type == "bearer" and not (bearer.token_file or bearer.token):
            msg = "auth.type is bearer but neither token_file nor token is set"
            self.add(["auth", "bearer"], msg, cause=["auth", "type"])
        if auth.type == "bearer" and bearer.token_file:
            self.token_file(["auth", "bearer", "token_file"], bearer.token_file, roles)
        if auth.type == "basic" and not auth.basic.users:
            msg = "auth.type is basic but no users are listed"
            self.add(["auth", "basic", "users"], msg, cause=["auth", "type"])
        for i, user in enumerate(auth.basic.users):
            at: list[Key] = ["auth", "basic", "users", i]
            if not user.username:
                self.add([*at, "username"], "must not be empty")
            if not BCRYPT_HASH.fullmatch(user.password_hash):
                self.add(
                    [*at, "password_hash"],
                    "must be a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters), not a "
                    "plaintext password; e.g. from `htpasswd -nbBC 10 <user> <password>`",
                )
            if user.role.lower() not in roles:
                self.add([*at, "role"], f'unknown role "{user.role}"; expected {_one_of(roles)}')
        for i, rule in enumerate(auth.rbac):
            self.rbac_rule(["auth", "rbac", i], rule.role, rule.methods, rule.paths)

    def token_file(self, path: Sequence[Key], text: str, roles: Sequence[str]) -> None:
        """The file exists and every line is `<token> [role]` with a known role (I18)."""
        resolved = self.config.resolve_path(text)
        try:
            content = resolved.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.add(path, f"file not found: {resolved}")
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.add(path, f"cannot read {resolved}: {exc}")
            return
        tokens, problems = parse_token_file(content, roles)
        for problem in problems:
            self.add(path, f"{resolved}:{problem.line}: {problem.message}")
        if not tokens and not problems and not self.config.auth.bearer.token:
            self.add(path, f"{resolved} holds no token and auth.bearer.token is not set")

    def rbac_rule(self, at: list[Key], role: str, methods: list[str], paths: list[str]) -> None:
        if not role:
            self.add([*at, "role"], "must not be empty")
        if not methods:
            self.add([*at, "methods"], f"must list at least one method: {_one_of(HTTP_METHODS)}")
        for j, method in enumerate(methods):
            if method.upper() not in HTTP_METHODS:
                self.add(
                    [*at, "methods", j],
                    f'unknown method "{method}"; expected {_one_of(HTTP_METHODS)}',
                )
        if not paths:
            self.add([*at, "paths"], 'must list at least one path pattern, e.g. "*" or "/api/*"')
        for j, pattern in enumerate(paths):
            if pattern != "*" and not pattern.startswith("/"):
                self.add([*at, "paths", j], f'"{pattern}" must be "*" or start with "/"')

    def check_log(self) -> None:
        log = self.config.log
        self.enum(["log", "level"], log.level, LOG_LEVELS)
        self.enum(["log", "format"], log.format, LOG_FORMATS)
        if self.enum(["log", "output"], log.output, LOG_OUTPUTS) and log.output == "file":
            self.required(
                ["log", "file", "path"], log.file.path, ["log", "output"], "log.output is file"
            )
        if log.audit_log.enabled:
            at = ["log", "audit_log"]
            why = "log.audit_log.enabled is true"
            self.required([*at, "path"], log.audit_log.path, [*at, "enabled"], why)

    def check_storage(self) -> None:
        engine = self.config.storage.engine
        if engine.lower() == "sqlite":
            return
        if engine.lower() in ("postgres", "postgresql"):
            self.add(["storage", "engine"], f'storage.engine "{engine}" is not yet supported')
        else:
            self.add(
                ["storage", "engine"],
                f'storage.engine "{engine}" is not recognised; expected sqlite',
            )
