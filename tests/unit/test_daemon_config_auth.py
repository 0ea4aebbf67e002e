"""huskyd.yaml's auth checks added with the auth middleware: bcrypt hash shape, the bearer token
file's lines (I18), and the roles a user or token may carry."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest

from husky.config.daemon import DaemonConfigError, known_roles, load_daemon_config
from husky.config.daemon_models import AuthSection, RbacRule


def errors(tmp_path: Path, text: str) -> str:
    (tmp_path / "huskyd.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DaemonConfigError) as exc:
        load_daemon_config(None, tmp_path, explicit=False)
    return exc.value.report()


def loads(tmp_path: Path, text: str) -> None:
    (tmp_path / "huskyd.yaml").write_text(text, encoding="utf-8")
    load_daemon_config(None, tmp_path, explicit=False)


def users(hashed: str) -> str:
    return (
        f"auth: {{type: basic, basic: {{users: [{{username: bob, password_hash: '{hashed}'}}]}}}}\n"
    )


REAL = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_bcrypt_hash_variants_are_accepted(tmp_path: Path, prefix: str) -> None:
    loads(tmp_path, users(prefix + REAL[4:]))


@pytest.mark.parametrize(
    "bad",
    [
        "$2x$" + REAL[4:],  # not a variant bcrypt 5 should be given
        "$2b$03$" + REAL[7:],  # cost below 4
        "$2b$32$" + REAL[7:],  # cost above 31
        REAL + "x",  # 61 characters
        REAL[:-1] + "!",  # not bcrypt's alphabet
        "$1$" + REAL[3:],
        "hunter2",
    ],
)
def test_anything_but_a_bcrypt_hash_is_refused(tmp_path: Path, bad: str) -> None:
    report = errors(tmp_path, users(bad))
    assert "auth.basic.users[0].password_hash: must be a bcrypt hash" in report
    assert "not a plaintext password" in report


def test_token_file_lines_are_checked_at_load(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text("ok viewer\nbad boss\nok admin\na b c\n", encoding="utf-8")
    report = errors(tmp_path, "auth:\n  type: bearer\n  bearer:\n    token_file: tokens\n")
    tokens = tmp_path / "tokens"
    assert (
        f'huskyd.yaml:4:17: daemoncfg: auth.bearer.token_file: {tokens}:2: unknown role "boss"'
        in (report)
    )
    assert f"{tokens}:3: the token of line 1 is repeated" in report
    assert f'{tokens}:4: expected "<token> [role]", found 3 fields' in report


def test_token_file_roles_may_be_rbac_roles(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text("t1 Deployer\n", encoding="utf-8")
    loads(
        tmp_path,
        "auth:\n  type: bearer\n  bearer: {token_file: tokens}\n"
        "  rbac: [{role: deployer, methods: [POST], paths: ['/api/jobs/*']}]\n",
    )


def test_token_file_without_tokens_needs_the_inline_token(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text("# nobody yet\n", encoding="utf-8")
    text = "auth:\n  type: bearer\n  bearer:\n    token_file: tokens\n"
    assert "holds no token and auth.bearer.token is not set" in errors(tmp_path, text)
    loads(tmp_path, text + "    token: inline\n")


def test_token_file_is_only_checked_for_bearer(tmp_path: Path) -> None:
    loads(tmp_path, "auth:\n  bearer:\n    token_file: missing-file\n")


def test_known_roles_are_builtin_then_rbac_roles_once() -> None:
    auth = AuthSection(
        rbac=[
            RbacRule(role="Deployer", methods=["POST"], paths=["*"]),
            RbacRule(role="viewer", methods=["GET"], paths=["*"]),
            RbacRule(role="deployer", methods=["GET"], paths=["*"]),
        ]
    )
    assert known_roles(auth) == ["admin", "operator", "viewer", "deployer"]
