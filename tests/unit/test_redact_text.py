"""Secrets masked in huskyd.yaml's raw text (GET /api/config/daemon)."""

from __future__ import annotations

from husky.config.redact_text import redact_secrets


def test_inline_secrets_are_masked_and_the_rest_kept() -> None:
    text = (
        "api:\n"
        "  addr: 127.0.0.1:8420  # local only\n"
        "auth:\n"
        "  type: bearer\n"
        "  bearer:\n"
        "    token_file: tokens.txt\n"
        "    token: s3cr3t-admin  # inline\n"
        "  basic:\n"
        "    users:\n"
        "      - username: bob\n"
        '        password_hash: "$2b$12$abcdefghijklmnopqrstuv"\n'
        "      - password_hash: '$2b$12$zzz'\n"
        "        username: eve\n"
        "  oidc:\n"
        "    client_secret: hush\r\n"
    )
    out = redact_secrets(text)
    for secret in ("s3cr3t-admin", "abcdefghijklmnop", "$2b$12$zzz", "hush"):
        assert secret not in out
    assert '    token: "***"\n' in out
    assert '        password_hash: "***"\n' in out
    assert '      - password_hash: "***"\n' in out
    assert '    client_secret: "***"\r\n' in out
    assert "    token_file: tokens.txt\n" in out  # a path, not a secret
    assert "  addr: 127.0.0.1:8420  # local only\n" in out
    assert "      - username: bob\n" in out
    assert len(out.splitlines()) == len(text.splitlines())


def test_a_block_scalar_secret_loses_its_lines() -> None:
    text = "bearer:\n  token: |\n    line-one\n    line-two\n  token_file: t\n"
    assert redact_secrets(text) == 'bearer:\n  token: "***"\n  token_file: t\n'


def test_a_value_on_the_next_line_is_masked_too() -> None:
    text = "password:  # set below\n  hunter2\nnothing: here\n"
    assert redact_secrets(text) == 'password: "***"\nnothing: here\n'


def test_a_block_secret_in_a_list_item_keeps_its_siblings() -> None:
    text = "users:\n  - password_hash: >\n      $2b$12$x\n    username: bob\n"
    assert redact_secrets(text) == 'users:\n  - password_hash: "***"\n    username: bob\n'
