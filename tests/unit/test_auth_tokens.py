"""husky.api.auth_tokens: the bearer token file (I18), token lookup and header parsing."""

from __future__ import annotations

import base64

import pytest

from husky.api.auth_tokens import (
    LineProblem,
    TokenLine,
    TokenSet,
    basic_credentials,
    bearer_token,
    parse_token_file,
)

ROLES = ("admin", "operator", "viewer")


def test_token_file_lines_roles_comments_and_blanks() -> None:
    text = "\n# the ops team\n  alpha  \nbeta viewer\n\n  # indented comment\ngamma Operator\n"
    tokens, problems = parse_token_file(text, ROLES)
    assert problems == []
    assert tokens == [
        TokenLine("alpha", "admin", 3),  # no role: admin
        TokenLine("beta", "viewer", 4),
        TokenLine("gamma", "operator", 7),  # roles are case-insensitive, kept lower case
    ]


def test_token_file_problems_are_reported_by_line_and_bad_lines_dropped() -> None:
    text = "one viewer\ntwo boss\nthree viewer extra\none admin\nfour deployer\n"
    tokens, problems = parse_token_file(text, (*ROLES, "deployer"))
    assert [t.token for t in tokens] == ["one", "four"]
    assert problems == [
        LineProblem(2, 'unknown role "boss"; expected admin, deployer, operator, viewer'),
        LineProblem(3, 'expected "<token> [role]", found 3 fields'),
        LineProblem(4, "the token of line 1 is repeated"),
    ]


def test_empty_token_file_has_no_tokens_and_no_problems() -> None:
    assert parse_token_file("# nothing yet\n\n", ROLES) == ([], [])


def test_token_set_finds_the_role_of_each_token_and_nothing_else() -> None:
    tokens = TokenSet([("alpha", "admin"), ("beta", "viewer"), ("longer-token-value", "operator")])
    assert len(tokens) == 3
    assert tokens.role_of("alpha") == "admin"
    assert tokens.role_of("beta") == "viewer"
    assert tokens.role_of("longer-token-value") == "operator"
    for wrong in ("", "alph", "alpha ", "ALPHA", "beta\x00", "longer-token-valu"):
        assert tokens.role_of(wrong) is None


def test_token_set_first_entry_wins() -> None:
    assert TokenSet([("t", "viewer"), ("t", "admin")]).role_of("t") == "viewer"


@pytest.mark.parametrize(
    ("header", "query", "expected"),
    [
        ("Bearer abc", b"", "abc"),
        ("Bearer  abc ", b"", "abc"),
        (None, b"token=abc", "abc"),
        (None, b"x=1&token=a%2Bb&token=second", "a+b"),
        ("Bearer abc", b"token=other", "abc"),  # the header wins
        ("bearer abc", b"", None),  # the prefix is case-sensitive
        ("BEARER abc", b"token=q", "q"),
        ("Basic abc", b"", None),
        ("Bearer ", b"", None),
        ("Bearer", b"", None),
        (None, b"token=", None),
        (None, b"", None),
    ],
)
def test_bearer_token_from_header_or_query(
    header: str | None, query: bytes, expected: str | None
) -> None:
    assert bearer_token(header, query) == expected


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (basic(b"bob:s3cret"), ("bob", b"s3cret")),
        (basic(b"bob:with:colons"), ("bob", b"with:colons")),
        (basic(b"bob:"), ("bob", b"")),
        (basic(b":pw"), ("", b"pw")),
        (basic("zoë:pässword".encode()), ("zoë", "pässword".encode())),
        ("basic " + base64.b64encode(b"bob:pw").decode(), ("bob", b"pw")),
        (basic(b"no-colon"), None),
        ("Basic not*base64", None),
        (basic(b"\xff\xfe:pw"), None),
        ("Bearer abc", None),
        ("Basic", None),
        (None, None),
    ],
)
def test_basic_credentials(header: str | None, expected: tuple[str, bytes] | None) -> None:
    assert basic_credentials(header) == expected
