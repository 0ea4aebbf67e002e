"""huskyd.yaml as a typed tree: every section and key of spec/config.md B2, with defaults.

`DaemonConfig()` is the pure-defaults configuration. The models are strict and reject
unknown keys at every level; the rules about values live in `daemon.py`, which also
loads the file (zero values never override these defaults, see `prune_zero_values`).

Durations stay strings, as written (the spec does not validate them); the `*_delta`
properties give the effective `timedelta`, falling back as B2 says when a value does
not parse.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from husky.config.parse import parse_duration

REDACTED = "***"
#: Keys whose non-empty values are secrets (`redacted_dict`, I28).
SECRET_KEYS = frozenset({"token", "client_secret", "password_hash", "password"})
_ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")


def duration_or(text: str, default: timedelta | None, *, zero: bool = True) -> timedelta | None:
    """`text` as a timedelta, or `default` when it does not parse, is negative, or is
    zero and `zero` is false."""
    try:
        value = parse_duration(text)
    except ValueError:
        return default
    if value < timedelta(0) or (value == timedelta(0) and not zero):
        return default
    return value


def _delta(text: str, default: str) -> timedelta:
    value = duration_or(text, parse_duration(default))
    assert value is not None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _section(model: type[BaseModel]) -> Any:
    return Field(default_factory=model)


# -- api ----------------------------------------------------------------------------------


class TlsSection(_Strict):
    enabled: bool = False
    cert: str = ""
    key: str = ""
    min_version: str = "1.2"
    client_ca: str = ""


class CorsSection(_Strict):
    allowed_origins: list[str] = Field(default_factory=list)
    allow_credentials: bool = False


class TimeoutsSection(_Strict):
    """Only `idle` takes effect (uvicorn's keep-alive timeout on the TCP door); uvicorn has
    no counterpart for `read_header`, `read` or `write`, which are accepted and inert."""

    read_header: str = "5s"
    read: str = "30s"
    write: str = "60s"
    idle: str = "120s"

    @property
    def read_header_delta(self) -> timedelta:
        return _delta(self.read_header, "5s")

    @property
    def read_delta(self) -> timedelta:
        return _delta(self.read, "30s")

    @property
    def write_delta(self) -> timedelta:
        return _delta(self.write, "60s")

    @property
    def idle_delta(self) -> timedelta:
        return _delta(self.idle, "120s")


class ApiSection(_Strict):
    addr: str = "127.0.0.1:0"
    base_path: str = ""
    tls: TlsSection = _section(TlsSection)
    cors: CorsSection = _section(CorsSection)
    timeouts: TimeoutsSection = _section(TimeoutsSection)

    @field_validator("base_path")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        """api.md §1: a trailing `/` is removed (`/husky/` is `/husky`, `/` is none)."""
        return value.rstrip("/") if value.startswith("/") else value


# -- auth ---------------------------------------------------------------------------------


class BearerSection(_Strict):
    token_file: str = ""
    token: str = ""


class BasicUser(_Strict):
    username: str
    password_hash: str
    #: I18; like a token-file line without a role, a user without one is `admin`.
    role: str = "admin"


class BasicSection(_Strict):
    users: list[BasicUser] = Field(default_factory=list)


class RbacRule(_Strict):
    role: str
    methods: list[str]
    paths: list[str]


class OidcSection(_Strict):
    """Inert: `auth.type: oidc` is rejected, but the section is schema-checked."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    redirect_url: str = ""
    scopes: list[str] = Field(default_factory=list)


class AuthSection(_Strict):
    type: str = "none"
    bearer: BearerSection = _section(BearerSection)
    basic: BasicSection = _section(BasicSection)
    rbac: list[RbacRule] = Field(default_factory=list)
    oidc: OidcSection = _section(OidcSection)


# -- log ----------------------------------------------------------------------------------


class LogFileSection(_Strict):
    path: str = ""
    max_size_mb: int = Field(default=100, ge=0)
    max_backups: int = Field(default=5, ge=0)
    max_age_days: int = Field(default=30, ge=0)
    compress: bool = False


class AuditLogSection(_Strict):
    enabled: bool = False
    path: str = ""
    max_size_mb: int = Field(default=50, ge=0)
    max_backups: int = Field(default=5, ge=0)


class LogSection(_Strict):
    level: str = "info"
    format: str = "text"
    output: str = "stdout"
    file: LogFileSection = _section(LogFileSection)
    audit_log: AuditLogSection = _section(AuditLogSection)


# -- storage, scheduler, executor -----------------------------------------------------------


class SqliteSection(_Strict):
    #: "" means `<data>/husky.db`.
    path: str = ""
    wal_autocheckpoint: int = Field(default=1000, ge=0)
    busy_timeout: str = "5s"

    @property
    def busy_timeout_delta(self) -> timedelta:
        return _delta(self.busy_timeout, "5s")


class RetentionSection(_Strict):
    #: "" (the default) means off; no `d` unit.
    max_age: str = ""
    #: None means off.
    max_runs_per_job: int | None = Field(default=None, ge=1)

    @property
    def max_age_delta(self) -> timedelta | None:
        """None (retention by age is off) when unset, unparsable, zero or negative."""
        return duration_or(self.max_age, None, zero=False)


class StorageSection(_Strict):
    engine: str = "sqlite"
    sqlite: SqliteSection = _section(SqliteSection)
    retention: RetentionSection = _section(RetentionSection)


class SchedulerSection(_Strict):
    max_concurrent_jobs: int = Field(default=32, ge=1)
    catchup_window: str = "24h"
    shutdown_timeout: str = "60s"
    schedule_jitter: str = "0s"

    @property
    def catchup_window_delta(self) -> timedelta | None:
        """None means unlimited (`0s`, negative or unparsable)."""
        return duration_or(self.catchup_window, None, zero=False)

    @property
    def shutdown_timeout_delta(self) -> timedelta:
        return _delta(self.shutdown_timeout, "60s")

    @property
    def schedule_jitter_delta(self) -> timedelta:
        return _delta(self.schedule_jitter, "0s")


class ResourceLimitsSection(_Strict):
    max_memory_mb: int = Field(default=0, ge=0)
    max_open_files: int = Field(default=1024, ge=0)
    max_pids: int = Field(default=0, ge=0)


class ExecutorSection(_Strict):
    pool_size: int = Field(default=8, ge=1)
    shell: str = "/bin/sh"
    global_env: dict[str, str] = Field(default_factory=dict)
    #: "" means the directory that holds husky.yaml (I14).
    working_dir: str = ""
    resource_limits: ResourceLimitsSection = _section(ResourceLimitsSection)


# -- inert sections -------------------------------------------------------------------------


class MetricsSection(_Strict):
    enabled: bool = False
    addr: str = "127.0.0.1:9091"
    path: str = "/metrics"
    auth: bool = False


class TracingSection(_Strict):
    enabled: bool = False
    exporter: str = "otlp"
    endpoint: str = ""
    service_name: str = "huskyd"
    sample_rate: float = Field(default=0.1, ge=0, le=1)


class VaultSection(_Strict):
    addr: str = ""
    token_file: str = ""
    mount: str = ""
    path_prefix: str = ""


class AwsSsmSection(_Strict):
    region: str = ""
    path_prefix: str = ""
    access_key_id: str = ""


class AwsSecretsManagerSection(_Strict):
    region: str = ""
    access_key_id: str = ""


class GcpSecretManagerSection(_Strict):
    project_id: str = ""


class SecretsSection(_Strict):
    provider: str = "env"
    vault: VaultSection = _section(VaultSection)
    aws_ssm: AwsSsmSection = _section(AwsSsmSection)
    aws_secrets_manager: AwsSecretsManagerSection = _section(AwsSecretsManagerSection)
    gcp_secret_manager: GcpSecretManagerSection = _section(GcpSecretManagerSection)


class AlertsSection(_Strict):
    on_daemon_start: list[str] = Field(default_factory=list)
    on_sla_breach: list[str] = Field(default_factory=list)
    on_forced_kill: list[str] = Field(default_factory=list)


class DashboardSection(_Strict):
    enabled: bool = True
    title: str = ""
    accent_color: str = ""
    log_backfill_lines: int = Field(default=200, ge=0)
    poll_interval: str = "5s"

    @property
    def poll_interval_delta(self) -> timedelta:
        return _delta(self.poll_interval, "5s")


class HttpClientSection(_Strict):
    timeout: str = "15s"
    max_retries: int = Field(default=3, ge=0)
    retry_backoff: str = "2s"
    proxy: str = ""
    ca_bundle: str = ""

    @property
    def timeout_delta(self) -> timedelta:
        return _delta(self.timeout, "15s")

    @property
    def retry_backoff_delta(self) -> timedelta:
        return _delta(self.retry_backoff, "2s")


class ProcessSection(_Strict):
    user: str = ""
    group: str = ""
    pid_file: str = ""
    ulimit_nofile: int = Field(default=0, ge=0)
    watchdog_interval: str = ""


# -- the whole file -------------------------------------------------------------------------


class DaemonConfig(_Strict):
    """The effective huskyd.yaml (defaults merged).

    `path` is the file it came from, None when no file was found and pure defaults
    apply. Relative paths in it (TLS files, token file, log files, the database,
    `executor.working_dir`) are resolved by `resolve_path` against `base_dir`: the
    directory that holds huskyd.yaml (or, without a file, the config directory).
    The spec anchors them at the daemon's CWD; we use the file's directory so that, as
    with job paths under I14, the result does not depend on where `husky` was started.
    """

    api: ApiSection = _section(ApiSection)
    auth: AuthSection = _section(AuthSection)
    log: LogSection = _section(LogSection)
    storage: StorageSection = _section(StorageSection)
    scheduler: SchedulerSection = _section(SchedulerSection)
    executor: ExecutorSection = _section(ExecutorSection)
    metrics: MetricsSection = _section(MetricsSection)
    tracing: TracingSection = _section(TracingSection)
    secrets: SecretsSection = _section(SecretsSection)
    alerts: AlertsSection = _section(AlertsSection)
    dashboard: DashboardSection = _section(DashboardSection)
    http_client: HttpClientSection = _section(HttpClientSection)
    process: ProcessSection = _section(ProcessSection)

    _path: Path | None = PrivateAttr(default=None)
    _base_dir: Path = PrivateAttr(default_factory=Path)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def located(self, path: Path | None, base_dir: Path) -> DaemonConfig:
        """Record where this config came from (used by the loader); returns self."""
        self._path, self._base_dir = path, base_dir
        return self

    def resolve_path(self, text: str) -> Path:
        """`text` (after `~` expansion) as a path; relative ones are joined to `base_dir`."""
        p = Path(text).expanduser()
        return p if p.is_absolute() else self._base_dir / p

    def db_path(self, data_dir: Path) -> Path:
        """The SQLite file: `storage.sqlite.path`, else `<data>/husky.db`."""
        text = self.storage.sqlite.path
        return self.resolve_path(text) if text else data_dir / "husky.db"

    def redacted_dict(self) -> dict[str, Any]:
        """The effective values as plain data, every non-empty secret shown as `***`."""
        return _redact(self.model_dump())  # type: ignore[no-any-return]

    def warnings(self) -> list[str]:
        """Legal but risky settings that the daemon logs at start (spec B2)."""
        out: list[str] = []
        host = self.api.addr.rpartition(":")[0]
        if host in _ALL_INTERFACES and not (self.api.tls.enabled and self.auth.type != "none"):
            out.append(f"api.addr {self.api.addr} listens on all interfaces without TLS and auth")
        if "*" in self.api.cors.allowed_origins:
            out.append('api.cors.allowed_origins contains "*": any web site may call the API')
        if self.auth.type == "bearer" and self.auth.bearer.token:
            out.append("auth.bearer.token is set inline; prefer auth.bearer.token_file")
        return out


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if k in SECRET_KEYS and isinstance(v, str) and v else _redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value
