"""husky.api.auth_rbac: the default role table, custom rules, path patterns (api.md §2)."""

from __future__ import annotations

import pytest

from husky.api.auth_rbac import DEFAULT_RULES, Rule, is_allowed, path_matches, rules_from_config
from husky.config.daemon_models import RbacRule

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@pytest.mark.parametrize("role", ["admin", "operator"])
@pytest.mark.parametrize("method", [*READ_METHODS, *WRITE_METHODS])
def test_default_admin_and_operator_may_do_everything(role: str, method: str) -> None:
    for path in ("/", "/api/jobs", "/api/jobs/x/run", "/ws/logs/1", "/openapi.json"):
        assert is_allowed(DEFAULT_RULES, role, method, path)


def test_default_viewer_only_reads() -> None:
    for method in READ_METHODS:
        assert is_allowed(DEFAULT_RULES, "viewer", method, "/api/jobs/x")
    for method in WRITE_METHODS:
        assert not is_allowed(DEFAULT_RULES, "viewer", method, "/api/jobs/x/run")


def test_unknown_role_and_method_are_refused_by_default() -> None:
    assert not is_allowed(DEFAULT_RULES, "deployer", "GET", "/api/jobs")
    assert not is_allowed(DEFAULT_RULES, "admin", "TRACE", "/api/jobs")


def test_roles_and_methods_compare_case_insensitively() -> None:
    assert is_allowed(DEFAULT_RULES, "Admin", "post", "/api/jobs/x/run")
    assert is_allowed(DEFAULT_RULES, "VIEWER", "get", "/api/jobs")
    rules = rules_from_config([RbacRule(role="Deployer", methods=["post"], paths=["/api/*"])])
    assert is_allowed(rules, "deployer", "POST", "/api/jobs/x/run")
    assert is_allowed(rules, "DEPLOYER", "Post", "/api/jobs/x/run")


def test_empty_rbac_means_the_defaults() -> None:
    assert rules_from_config([]) == DEFAULT_RULES


def test_custom_rules_replace_the_defaults() -> None:
    rules = rules_from_config(
        [
            RbacRule(role="admin", methods=["GET", "POST"], paths=["*"]),
            RbacRule(role="deployer", methods=["POST"], paths=["/api/jobs/deploy/run"]),
            RbacRule(role="viewer", methods=["GET"], paths=["/api/jobs*", "/api/status"]),
        ]
    )
    assert is_allowed(rules, "admin", "POST", "/api/daemon/reload")
    assert not is_allowed(rules, "admin", "DELETE", "/api/x")  # only what the rule lists
    assert not is_allowed(rules, "operator", "GET", "/api/jobs")  # no longer a default
    assert is_allowed(rules, "deployer", "POST", "/api/jobs/deploy/run")
    assert not is_allowed(rules, "deployer", "POST", "/api/jobs/other/run")
    assert not is_allowed(rules, "deployer", "GET", "/api/jobs/deploy/run")
    assert is_allowed(rules, "viewer", "GET", "/api/jobs")
    assert is_allowed(rules, "viewer", "GET", "/api/jobs/x")
    assert is_allowed(rules, "viewer", "GET", "/api/status")
    assert not is_allowed(rules, "viewer", "GET", "/api/status/more")
    assert not is_allowed(rules, "viewer", "GET", "/api/runs/1")


def test_custom_rules_without_an_admin_rule_forbid_admin_everything() -> None:
    rules = rules_from_config([RbacRule(role="viewer", methods=["GET"], paths=["*"])])
    for method in (*READ_METHODS, *WRITE_METHODS):
        assert not is_allowed(rules, "admin", method, "/api/jobs")
    assert is_allowed(rules, "viewer", "GET", "/api/jobs")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*", "/anything/at/all", True),
        ("*", "/", True),
        ("/api/jobs", "/api/jobs", True),
        ("/api/jobs", "/api/jobs/", False),
        ("/api/jobs", "/api/jobsx", False),
        ("/api/jobs/*", "/api/jobs/x/run", True),
        ("/api/jobs/*", "/api/jobs/", True),
        ("/api/jobs/*", "/api/jobs", False),
        ("/api/*", "/api/status", True),
        ("/api*", "/apix", True),
        ("/api/*", "/ws/logs/1", False),
        ("/a*b", "/a*b", True),  # only a trailing * is a wildcard
        ("/a*b", "/axb", False),
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(pattern, path) is matches


def test_rule_of_normalises_case() -> None:
    rule = Rule.of("Ops", ["get", "Post"], ["/api/*"])
    assert (rule.role, rule.methods, rule.paths) == ("ops", frozenset({"GET", "POST"}), ("/api/*",))
