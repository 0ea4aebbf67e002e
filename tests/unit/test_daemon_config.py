"""Tests for husky.config.daemon: loading and validating huskyd.yaml (config.md Part B)."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from husky.config.daemon import DaemonConfigError, load_daemon_config
from husky.config.daemon_models import DaemonConfig
from husky.errors import ConfigError

BCRYPT = "$2b$10$" + "a" * 53  # 60 characters


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "huskyd.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> DaemonConfig:
    write(tmp_path, text)
    return load_daemon_config(None, tmp_path, explicit=False)


def errors(tmp_path: Path, text: str) -> str:
    with pytest.raises(DaemonConfigError) as exc:
        load(tmp_path, text)
    return exc.value.report()


# -- finding the file (B1) ------------------------------------------------------------------


def test_absent_file_gives_defaults(tmp_path: Path) -> None:
    cfg = load_daemon_config(None, tmp_path, explicit=False)
    assert cfg.path is None
    assert cfg.model_dump() == DaemonConfig().model_dump()
    assert cfg.scheduler.max_concurrent_jobs == 32
    assert cfg.api.addr == "127.0.0.1:0"
    assert cfg.dashboard.enabled is True


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere.yaml"
    with pytest.raises(ConfigError) as exc:
        load_daemon_config(missing, tmp_path, explicit=True)
    assert exc.value.report() == f"huskyd.yaml not found: {missing}"


def test_explicit_file_is_used_instead_of_config_dir(tmp_path: Path) -> None:
    write(tmp_path, "scheduler: {max_concurrent_jobs: 5}\n")
    other = tmp_path / "other.yaml"
    other.write_text("scheduler: {max_concurrent_jobs: 7}\n", encoding="utf-8")
    cfg = load_daemon_config(other, tmp_path, explicit=True)
    assert cfg.scheduler.max_concurrent_jobs == 7
    assert cfg.path == other


@pytest.mark.parametrize("text", ["", "# only a comment\n", "null\n", "~\n"])
def test_empty_file_gives_defaults(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    cfg = load_daemon_config(None, tmp_path, explicit=False)
    assert cfg.path == path
    assert cfg.model_dump() == DaemonConfig().model_dump()


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    report = errors(tmp_path, "api: [\n")
    assert "huskyd.yaml:2:1: daemoncfg: yaml parse error" in report


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert "must be a mapping of sections" in errors(tmp_path, "- api\n")


# -- merge onto defaults ----------------------------------------------------------------------


def test_values_override_defaults_field_by_field(tmp_path: Path) -> None:
    cfg = load(tmp_path, "scheduler:\n  max_concurrent_jobs: 4\n")
    assert cfg.scheduler.max_concurrent_jobs == 4
    assert cfg.scheduler.catchup_window == "24h"
    assert cfg.executor.pool_size == 8


def test_zero_values_do_not_override_defaults(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
        api: {addr: "", tls: {min_version: ""}}
        scheduler: {max_concurrent_jobs: 0, shutdown_timeout: ""}
        executor: {pool_size: 0, shell: "", global_env: {}}
        log: {file: {max_backups: 0}}
        storage: {retention: {max_runs_per_job: 0}}
        tracing: {sample_rate: 0}
        http_client: {max_retries: 0}
        auth: {rbac: []}
        metrics: {addr: null}
        """,
    )
    assert cfg.api.addr == "127.0.0.1:0"
    assert cfg.api.tls.min_version == "1.2"
    assert cfg.scheduler.max_concurrent_jobs == 32
    assert cfg.scheduler.shutdown_timeout == "60s"
    assert cfg.executor.pool_size == 8
    assert cfg.executor.shell == "/bin/sh"
    assert cfg.log.file.max_backups == 5
    assert cfg.storage.retention.max_runs_per_job is None
    assert cfg.tracing.sample_rate == 0.1
    assert cfg.http_client.max_retries == 3
    assert cfg.metrics.addr == "127.0.0.1:9091"


def test_dashboard_enabled_false_is_honoured(tmp_path: Path) -> None:
    assert load(tmp_path, "dashboard: {enabled: false}\n").dashboard.enabled is False


def test_global_env_entries_are_kept_as_written(tmp_path: Path) -> None:
    cfg = load(tmp_path, 'executor: {global_env: {EMPTY: "", A: "1"}}\n')
    assert cfg.executor.global_env == {"EMPTY": "", "A": "1"}


# -- structure ----------------------------------------------------------------------------------


def test_unknown_nested_key_is_located_with_did_you_mean(tmp_path: Path) -> None:
    report = errors(tmp_path, "api:\n  tls:\n    enabeld: true\n")
    expected = 'api.tls.enabeld: unknown field "enabeld"; did you mean "enabled"?'
    assert f"huskyd.yaml:3:5: daemoncfg: {expected}" in report


def test_unknown_key_is_reported_even_with_a_zero_value(tmp_path: Path) -> None:
    assert 'unknown field "max_jobs"' in errors(tmp_path, "scheduler:\n  max_jobs: 0\n")


def test_wrong_type_is_reported(tmp_path: Path) -> None:
    report = errors(tmp_path, 'scheduler:\n  max_concurrent_jobs: "ten"\n')
    assert (
        'huskyd.yaml:2:24: daemoncfg: scheduler.max_concurrent_jobs: must be an integer, got "ten"'
        in report
    )


def test_husky_yaml_field_hints_do_not_leak(tmp_path: Path) -> None:
    report = errors(tmp_path, "log:\n  output: [a]\n")
    assert "log.output: must be a string, got a list" in report
    assert "variable: mode" not in report


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("scheduler: {max_concurrent_jobs: -1}", "scheduler.max_concurrent_jobs"),
        ("executor: {pool_size: -3}", "executor.pool_size"),
        ("storage: {retention: {max_runs_per_job: -1}}", "storage.retention.max_runs_per_job"),
        ("log: {file: {max_size_mb: -1}}", "log.file.max_size_mb"),
        ("dashboard: {log_backfill_lines: -1}", "dashboard.log_backfill_lines"),
        ("executor: {resource_limits: {max_pids: -1}}", "executor.resource_limits.max_pids"),
    ],
)
def test_integer_minima(tmp_path: Path, text: str, where: str) -> None:
    assert f"{where}: must be greater than or equal to" in errors(tmp_path, text + "\n")


@pytest.mark.parametrize("rate", ["1.5", "-0.1"])
def test_sample_rate_between_0_and_1(tmp_path: Path, rate: str) -> None:
    assert "tracing.sample_rate: must be" in errors(tmp_path, f"tracing: {{sample_rate: {rate}}}\n")


def test_sample_rate_accepts_bounds(tmp_path: Path) -> None:
    assert load(tmp_path, "tracing: {sample_rate: 1}\n").tracing.sample_rate == 1.0


def test_plaintext_password_says_to_use_a_bcrypt_hash(tmp_path: Path) -> None:
    report = errors(
        tmp_path,
        """
        auth:
          type: basic
          basic:
            users:
              - username: bob
                password: hunter2
        """,
    )
    assert "auth.basic.users[0].password: a plaintext password is not allowed" in report
    assert "bcrypt" in report


# -- semantic rules ---------------------------------------------------------------------------


def test_tls_enabled_needs_cert_and_key(tmp_path: Path) -> None:
    report = errors(tmp_path, "api:\n  tls:\n    enabled: true\n")
    assert (
        "huskyd.yaml:3:14: daemoncfg: api.tls.cert: must be set when api.tls.enabled is true"
        in report
    )
    assert "api.tls.key: must be set" in report


def test_tls_files_must_exist_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("x", encoding="utf-8")
    report = errors(tmp_path, "api:\n  tls: {enabled: true, cert: cert.pem, key: key.pem}\n")
    assert f"api.tls.key: file not found: {tmp_path / 'key.pem'}" in report
    assert "api.tls.cert" not in report


def test_tls_enabled_with_existing_files_is_valid(tmp_path: Path) -> None:
    for name in ("cert.pem", "key.pem", "ca.pem"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    cfg = load(
        tmp_path, "api:\n  tls: {enabled: true, cert: cert.pem, key: key.pem, client_ca: ca.pem}\n"
    )
    assert cfg.resolve_path(cfg.api.tls.cert) == tmp_path / "cert.pem"


def test_tls_client_ca_must_exist(tmp_path: Path) -> None:
    for name in ("cert.pem", "key.pem"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    text = "api:\n  tls: {enabled: true, cert: cert.pem, key: key.pem, client_ca: ca.pem}\n"
    assert "api.tls.client_ca: file not found" in errors(tmp_path, text)


@pytest.mark.parametrize(("version", "ok"), [("1.2", True), ("1.3", True), ("1.1", False)])
def test_tls_min_version(tmp_path: Path, version: str, ok: bool) -> None:
    text = f'api: {{tls: {{min_version: "{version}"}}}}\n'
    if ok:
        assert load(tmp_path, text).api.tls.min_version == version
    else:
        assert 'api.tls.min_version: invalid value "1.1"; expected one of 1.2, 1.3' in errors(
            tmp_path, text
        )


def test_log_level_with_did_you_mean(tmp_path: Path) -> None:
    report = errors(tmp_path, "log: {level: inof}\n")
    assert 'log.level: invalid value "inof"; expected one of debug, info, warn, error' in report
    assert 'did you mean "info"?' in report
    assert load(tmp_path, "log: {level: warn}\n").log.level == "warn"


def test_log_format(tmp_path: Path) -> None:
    assert 'log.format: invalid value "xml"' in errors(tmp_path, "log: {format: xml}\n")
    assert load(tmp_path, "log: {format: json}\n").log.format == "json"


def test_log_output(tmp_path: Path) -> None:
    assert 'log.output: invalid value "syslog"' in errors(tmp_path, "log: {output: syslog}\n")
    assert load(tmp_path, "log: {output: stderr}\n").log.output == "stderr"


def test_log_output_file_needs_a_path(tmp_path: Path) -> None:
    report = errors(tmp_path, "log:\n  output: file\n")
    assert (
        "huskyd.yaml:2:11: daemoncfg: log.file.path: must be set when log.output is file" in report
    )
    cfg = load(tmp_path, "log:\n  output: file\n  file: {path: husky.log}\n")
    assert cfg.log.file.path == "husky.log"


def test_audit_log_enabled_needs_a_path(tmp_path: Path) -> None:
    assert "log.audit_log.path: must be set" in errors(
        tmp_path, "log: {audit_log: {enabled: true}}\n"
    )
    assert load(tmp_path, "log: {audit_log: {enabled: true, path: a.log}}\n").log.audit_log.enabled


def test_storage_engine_is_case_insensitive_sqlite(tmp_path: Path) -> None:
    assert load(tmp_path, "storage: {engine: SQLite}\n").storage.engine == "SQLite"


def test_storage_engine_postgres_is_not_yet_supported(tmp_path: Path) -> None:
    assert 'storage.engine "postgres" is not yet supported' in errors(
        tmp_path, "storage: {engine: postgres}\n"
    )


def test_storage_engine_other_is_not_recognised(tmp_path: Path) -> None:
    assert 'storage.engine "mysql" is not recognised' in errors(
        tmp_path, "storage: {engine: mysql}\n"
    )


def test_auth_type_enum(tmp_path: Path) -> None:
    report = errors(tmp_path, "auth: {type: beare}\n")
    assert 'auth.type: invalid value "beare"' in report
    assert 'did you mean "bearer"?' in report


def test_auth_type_oidc_is_not_yet_supported(tmp_path: Path) -> None:
    assert "auth.type=oidc is not yet supported" in errors(tmp_path, "auth: {type: oidc}\n")


def test_bearer_needs_a_token(tmp_path: Path) -> None:
    report = errors(tmp_path, "auth:\n  type: bearer\n")
    assert "auth.bearer: auth.type is bearer but neither token_file nor token is set" in report
    assert (
        load(tmp_path, "auth: {type: bearer, bearer: {token: s3cret}}\n").auth.bearer.token
        == "s3cret"
    )


def test_bearer_token_file_must_exist(tmp_path: Path) -> None:
    report = errors(tmp_path, "auth: {type: bearer, bearer: {token_file: tokens}}\n")
    assert f"auth.bearer.token_file: file not found: {tmp_path / 'tokens'}" in report
    (tmp_path / "tokens").write_text("abc admin\n", encoding="utf-8")
    load(tmp_path, "auth: {type: bearer, bearer: {token_file: tokens}}\n")


def test_basic_needs_users(tmp_path: Path) -> None:
    assert "auth.type is basic but no users are listed" in errors(tmp_path, "auth: {type: basic}\n")


@pytest.mark.parametrize("bad", ["plain", "$2b$10$short", "x" * 60])
def test_basic_password_hash_must_look_like_bcrypt(tmp_path: Path, bad: str) -> None:
    text = f"auth: {{type: basic, basic: {{users: [{{username: bob, password_hash: '{bad}'}}]}}}}\n"
    assert "auth.basic.users[0].password_hash: must be a bcrypt hash" in errors(tmp_path, text)


def test_basic_user_with_bcrypt_hash_and_default_role(tmp_path: Path) -> None:
    text = (
        f"auth: {{type: basic, basic: {{users: [{{username: bob, password_hash: '{BCRYPT}'}}]}}}}\n"
    )
    user = load(tmp_path, text).auth.basic.users[0]
    assert (user.username, user.role) == ("bob", "admin")


def test_basic_user_role_must_be_known(tmp_path: Path) -> None:
    text = (
        "auth: {type: basic, basic: {users: "
        f"[{{username: bob, password_hash: '{BCRYPT}', role: boss}}]}}}}\n"
    )
    assert 'auth.basic.users[0].role: unknown role "boss"' in errors(tmp_path, text)


def test_basic_user_role_may_be_an_rbac_role(tmp_path: Path) -> None:
    text = f"""
    auth:
      type: basic
      basic:
        users:
          - {{username: bob, password_hash: '{BCRYPT}', role: Deployer}}
          - {{username: eve, password_hash: '{BCRYPT}', role: viewer}}
      rbac:
        - {{role: deployer, methods: [post], paths: ["/api/jobs/*"]}}
    """
    cfg = load(tmp_path, text)
    assert [u.role for u in cfg.auth.basic.users] == ["Deployer", "viewer"]


def test_rbac_rule_methods_and_paths(tmp_path: Path) -> None:
    report = errors(
        tmp_path, 'auth:\n  rbac:\n    - {role: ops, methods: [FETCH], paths: ["api"]}\n'
    )
    assert 'auth.rbac[0].methods[0]: unknown method "FETCH"' in report
    assert 'auth.rbac[0].paths[0]: "api" must be "*" or start with "/"' in report


def test_rbac_rule_needs_role(tmp_path: Path) -> None:
    assert "auth.rbac[0].role: field is required" in errors(
        tmp_path, "auth: {rbac: [{methods: [GET], paths: ['*']}]}\n"
    )


def test_secrets_provider(tmp_path: Path) -> None:
    assert 'secrets.provider: invalid value "vualt"' in errors(
        tmp_path, "secrets: {provider: vualt}\n"
    )
    assert load(tmp_path, "secrets: {provider: aws_ssm}\n").secrets.provider == "aws_ssm"


def test_tracing_exporter(tmp_path: Path) -> None:
    assert 'tracing.exporter: invalid value "datadog"' in errors(
        tmp_path, "tracing: {exporter: datadog}\n"
    )
    assert load(tmp_path, "tracing: {exporter: zipkin}\n").tracing.exporter == "zipkin"


@pytest.mark.parametrize(
    "addr", ["localhost", "127.0.0.1:65536", "host:http", "::1:80", "1.2.3.4:-1"]
)
def test_api_addr_must_be_host_port(tmp_path: Path, addr: str) -> None:
    assert "api.addr:" in errors(tmp_path, f'api: {{addr: "{addr}"}}\n')


@pytest.mark.parametrize("addr", ["0.0.0.0:8080", ":8080", "[::1]:0", "localhost:65535"])
def test_api_addr_valid_forms(tmp_path: Path, addr: str) -> None:
    assert load(tmp_path, f'api: {{addr: "{addr}"}}\n').api.addr == addr


@pytest.mark.parametrize("base", ["husky", "husky/"])
def test_api_base_path_shape(tmp_path: Path, base: str) -> None:
    assert "api.base_path:" in errors(tmp_path, f'api: {{base_path: "{base}"}}\n')


@pytest.mark.parametrize(
    ("base", "kept"), [("/husky", "/husky"), ("/husky/", "/husky"), ("/", ""), ("/a/b//", "/a/b")]
)
def test_api_base_path_loses_its_trailing_slash(tmp_path: Path, base: str, kept: str) -> None:
    assert load(tmp_path, f'api: {{base_path: "{base}"}}\n').api.base_path == kept  # api.md §1


def test_cors_star_is_allowed_with_a_warning(tmp_path: Path) -> None:
    cfg = load(tmp_path, 'api: {cors: {allowed_origins: ["*"], allow_credentials: true}}\n')
    assert cfg.api.cors.allowed_origins == ["*"]
    assert any("allowed_origins" in w for w in cfg.warnings())


def test_several_mistakes_are_all_reported_with_lines(tmp_path: Path) -> None:
    report = errors(
        tmp_path,
        """
        api:
          addr: "localhost:99999"
        log:
          level: loud
        storage:
          engine: postgres
        auth:
          type: oidc
        """,
    )
    assert report.startswith("huskyd.yaml has 4 validation error(s):")
    assert "huskyd.yaml:2:9: daemoncfg: api.addr:" in report
    assert "huskyd.yaml:4:10: daemoncfg: log.level:" in report
    assert "huskyd.yaml:6:11: daemoncfg: storage.engine:" in report
    assert "huskyd.yaml:8:9: daemoncfg: auth.type:" in report


# -- effective values ---------------------------------------------------------------------------


def test_duration_accessors_and_fallbacks(tmp_path: Path) -> None:
    defaults = DaemonConfig()
    assert defaults.scheduler.catchup_window_delta == timedelta(hours=24)
    assert defaults.scheduler.shutdown_timeout_delta == timedelta(seconds=60)
    assert defaults.storage.retention.max_age_delta is None
    assert defaults.api.timeouts.idle_delta == timedelta(seconds=120)
    cfg = load(
        tmp_path,
        """
        scheduler: {catchup_window: 0s, shutdown_timeout: soon, schedule_jitter: 30s}
        storage: {retention: {max_age: 7d}}
        api: {timeouts: {read: nope, write: 10s}}
        """,
    )
    assert cfg.scheduler.catchup_window_delta is None
    assert cfg.scheduler.shutdown_timeout_delta == timedelta(seconds=60)
    assert cfg.scheduler.schedule_jitter_delta == timedelta(seconds=30)
    assert cfg.storage.retention.max_age_delta is None
    assert cfg.api.timeouts.read_delta == timedelta(seconds=30)
    assert cfg.api.timeouts.write_delta == timedelta(seconds=10)
    cfg = load(
        tmp_path, "scheduler: {catchup_window: nonsense}\nstorage: {retention: {max_age: 168h}}\n"
    )
    assert cfg.scheduler.catchup_window_delta is None
    assert cfg.storage.retention.max_age_delta == timedelta(days=7)


def test_redacted_dict_hides_secrets(tmp_path: Path) -> None:
    text = f"""
    auth:
      type: basic
      bearer: {{token: s3cret}}
      basic:
        users: [{{username: bob, password_hash: '{BCRYPT}'}}]
      oidc: {{client_secret: shh, client_id: husky}}
    """
    shown = load(tmp_path, text).redacted_dict()
    assert shown["auth"]["bearer"]["token"] == "***"
    assert shown["auth"]["basic"]["users"][0] == {
        "username": "bob",
        "password_hash": "***",
        "role": "admin",
    }
    assert shown["auth"]["oidc"]["client_secret"] == "***"
    assert shown["auth"]["oidc"]["client_id"] == "husky"
    assert shown["scheduler"]["max_concurrent_jobs"] == 32
    assert "s3cret" not in repr(shown) and BCRYPT not in repr(shown)
