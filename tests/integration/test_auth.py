"""Authentication, RBAC, CORS, base_path and the idle timeout on the real daemon's TCP door
(api.md §1, §2, §4; I18, I19, I23), driven over HTTP and through the CLI."""

from __future__ import annotations

import base64
import os
import signal
import socket
import time

import bcrypt
import httpx
import pytest

from tests.integration.daemon_helpers import Project, wait_for

JOBS = """
version: "1"
jobs:
  hello:
    description: Say hello
    frequency: manual
    command: echo hello
"""

BEARER = """
auth:
  type: bearer
  bearer:
    token_file: tokens
"""

TOKENS = """
# who may do what
view-tok viewer
ops-tok operator

root-tok
"""


def start_with(project: Project, daemon_yaml: str, **files: str) -> httpx.Client:
    project.write(JOBS)
    project.write(daemon_yaml, name="huskyd.yaml")
    for name, text in files.items():
        project.write(text, name=name)
    project.start()
    return project.api()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# -- bearer -----------------------------------------------------------------------------------


def test_bearer_missing_or_unknown_token_is_401_everywhere(project: Project) -> None:
    with start_with(project, BEARER, tokens=TOKENS) as api:
        for path in ("/api/status", "/api/jobs", "/", "/openapi.json", "/api/docs", "/ws/logs/1"):
            response = api.get(path)
            assert (response.status_code, response.json()) == (
                401,
                {"error": "authorization required"},
            ), path
        response = api.get("/api/jobs", headers=bearer("nope"))
        assert (response.status_code, response.json()) == (401, {"error": "invalid token"})
        assert response.headers["www-authenticate"] == 'Bearer realm="husky"'
        # the prefix is case-sensitive: "bearer root-tok" presents no token at all
        response = api.get("/api/jobs", headers={"Authorization": "bearer root-tok"})
        assert response.json() == {"error": "authorization required"}
        assert api.get("/openapi.json", headers=bearer("root-tok")).status_code == 200


def test_bearer_roles_decide_what_a_token_may_do(project: Project) -> None:
    with start_with(project, BEARER, tokens=TOKENS) as api:
        assert api.get("/api/jobs", headers=bearer("view-tok")).status_code == 200
        refused = api.post("/api/jobs/hello/run", headers=bearer("view-tok"))
        assert refused.status_code == 403
        assert refused.json() == {
            "error": "forbidden",
            "role": "viewer",
            "method": "POST",
            "path": "/api/jobs/hello/run",
        }
        for token in ("ops-tok", "root-tok"):  # operator, and admin (no role on the line)
            response = api.post("/api/jobs/hello/run", headers=bearer(token))
            assert response.status_code == 202, response.text
        runs = api.get("/api/jobs/hello", headers=bearer("view-tok")).json()["runs"]
        assert len(runs) == 2


def test_query_token_works_and_the_header_wins(project: Project) -> None:
    with start_with(project, BEARER, tokens=TOKENS) as api:
        assert api.get("/api/status", params={"token": "view-tok"}).status_code == 200
        assert api.post("/api/jobs/hello/run", params={"token": "view-tok"}).status_code == 403
        response = api.get("/api/status", params={"token": "nope"})
        assert response.json() == {"error": "invalid token"}
        both = api.post(
            "/api/jobs/hello/run", params={"token": "root-tok"}, headers=bearer("view-tok")
        )
        assert both.status_code == 403


def test_inline_token_is_admin(project: Project) -> None:
    daemon_yaml = "auth:\n  type: bearer\n  bearer:\n    token: inline-s3cret\n"
    with start_with(project, daemon_yaml) as api:
        assert api.post("/api/jobs/hello/run", headers=bearer("inline-s3cret")).status_code == 202
    assert "auth.bearer.token is set inline" in project.daemon_log()


def test_options_bypasses_authentication(project: Project) -> None:
    with start_with(project, BEARER, tokens=TOKENS) as api:
        response = api.options("/api/jobs")
        assert response.status_code == 405  # the route answers; auth did not stop it
        assert response.json() == {"error": "method not allowed"}


def test_socket_door_needs_no_token(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    start_with(project, BEARER, tokens=TOKENS).close()
    assert project.husky("status").returncode == 0
    result = project.husky("run", "hello")
    assert (result.returncode, result.stdout.strip()) == (0, 'job "hello" triggered')
    monkeypatch.setenv("HUSKY_TOKEN", "not-a-token")  # sent, and ignored by the socket
    assert project.husky("status").returncode == 0


def test_reload_rereads_the_token_file_and_keeps_it_when_bad(project: Project) -> None:
    api = start_with(project, BEARER, tokens="old-tok viewer\n")
    with api:
        assert api.get("/api/status", headers=bearer("old-tok")).status_code == 200
        project.write("new-tok operator\n", name="tokens")
        result = project.husky("reload")
        assert (result.returncode, result.stdout.strip()) == (0, "config reloaded")
        assert api.get("/api/status", headers=bearer("old-tok")).status_code == 401
        assert api.post("/api/jobs/hello/run", headers=bearer("new-tok")).status_code == 202

        project.write("new-tok operator\nsecond boss\n", name="tokens")
        result = project.husky("reload")
        assert result.returncode == 1
        assert "tokens:2:1: unknown role" in result.stderr and "boss" in result.stderr
        assert api.get("/api/status", headers=bearer("new-tok")).status_code == 200

        project.write("hup-tok\n", name="tokens")
        pid = project.pid()
        assert pid is not None
        os.kill(pid, signal.SIGHUP)
        wait_for(
            lambda: api.get("/api/status", headers=bearer("hup-tok")).status_code == 200,
            what="SIGHUP to re-read the token file",
        )
        assert api.get("/api/status", headers=bearer("new-tok")).status_code == 401


def test_bad_token_file_fails_start_with_its_line(project: Project) -> None:
    project.write(JOBS)
    project.write(BEARER, name="huskyd.yaml")
    project.write("good\nbad boss\n", name="tokens")
    result = project.husky("start")
    assert result.returncode == 1
    log = project.daemon_log()
    assert "auth.bearer.token_file" in log and ":2: unknown role" in log and "boss" in log
    validate = project.husky("validate")
    assert validate.returncode == 1 and ":2: unknown role" in validate.stderr


# -- basic ------------------------------------------------------------------------------------


def basic_yaml() -> str:
    def hashed(password: str) -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()

    return f"""
auth:
  type: basic
  basic:
    users:
      - {{username: alice, password_hash: '{hashed("wonderland")}'}}
      - {{username: victor, password_hash: '{hashed("looking")}', role: viewer}}
"""


def test_basic_auth_with_bcrypt_hashes(project: Project) -> None:
    with start_with(project, basic_yaml()) as api:
        assert api.get("/api/jobs", headers=basic("alice", "wonderland")).status_code == 200
        cases = [
            ({}, "authorization required"),
            (basic("", "wonderland"), "authorization required"),
            ({"Authorization": "Basic !!!"}, "authorization required"),
            (basic("alice", "wrong"), "invalid credentials"),
            (basic("mallory", "wonderland"), "invalid credentials"),
            (basic("alice", "w" * 100), "invalid credentials"),  # over bcrypt's 72 bytes
        ]
        for headers, message in cases:
            response = api.get("/api/jobs", headers=headers)
            assert (response.status_code, response.json()) == (401, {"error": message}), headers
            assert response.headers["www-authenticate"] == 'Basic realm="husky"'
        assert api.post("/api/jobs/hello/run", headers=basic("alice", "wonderland")).is_success
        refused = api.post("/api/jobs/hello/run", headers=basic("victor", "looking"))
        assert refused.status_code == 403 and refused.json()["role"] == "viewer"


@pytest.mark.parametrize(
    ("user", "message"),
    [
        (
            "{username: bob, password: hunter2}",
            "huskyd.yaml:5:25: daemoncfg: auth.basic.users[0].password: a plaintext password "
            "is not allowed",
        ),
        (
            "{username: bob, password_hash: hunter2}",
            "huskyd.yaml:5:40: daemoncfg: auth.basic.users[0].password_hash: must be a bcrypt hash",
        ),
    ],
)
def test_plaintext_password_is_rejected_at_load(project: Project, user: str, message: str) -> None:
    project.write(JOBS)
    project.write(f"auth:\n  type: basic\n  basic:\n    users:\n      - {user}\n", "huskyd.yaml")
    validate = project.husky("validate")
    assert validate.returncode == 1 and message in validate.stderr, validate.stderr
    start = project.husky("start")
    assert start.returncode == 1
    assert message in project.daemon_log()
    assert not (project.data / "api.addr").exists()


# -- CORS, base_path, timeouts ------------------------------------------------------------------


def test_cors_headers_only_for_listed_origins(project: Project) -> None:
    daemon_yaml = BEARER + (
        "api:\n  cors:\n    allowed_origins: [https://dash.example]\n    allow_credentials: true\n"
    )
    with start_with(project, daemon_yaml, tokens=TOKENS) as api:
        listed = {"Origin": "https://dash.example"}
        preflight = api.options("/api/jobs/hello/run", headers=listed)
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "https://dash.example"
        assert preflight.headers["access-control-allow-methods"] == (
            "GET, POST, PUT, DELETE, OPTIONS"
        )
        assert preflight.headers["access-control-allow-headers"] == "Authorization, Content-Type"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        ok = api.get("/api/jobs", headers={**listed, **bearer("view-tok")})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://dash.example"
        assert ok.headers["access-control-allow-credentials"] == "true"
        assert "access-control-allow-methods" not in ok.headers
        denied = api.get("/api/jobs", headers=listed)  # CORS runs before authentication
        assert denied.status_code == 401
        assert denied.headers["access-control-allow-origin"] == "https://dash.example"
        for headers in ({"Origin": "https://evil.example"}, {}):
            response = api.get("/api/jobs", headers={**headers, **bearer("view-tok")})
            assert response.status_code == 200
            assert not [h for h in response.headers if h.startswith("access-control-")]
        response = api.options("/api/jobs", headers={"Origin": "https://evil.example"})
        assert response.status_code == 405
        assert not [h for h in response.headers if h.startswith("access-control-")]


def test_base_path_is_required_and_stripped_before_auth_and_routing(project: Project) -> None:
    daemon_yaml = BEARER + "api:\n  base_path: /husky\n"
    with start_with(project, daemon_yaml, tokens=TOKENS) as api:
        response = api.get("/husky/api/status", headers=bearer("view-tok"))
        assert response.status_code == 200 and response.json()["ok"] is True
        for path in ("/api/status", "/huskyx/api/status", "/"):
            response = api.get(path, headers=bearer("view-tok"))
            assert (response.status_code, response.json()) == (404, {"error": "not found"}), path
        assert api.get("/husky/api/status").status_code == 401
        refused = api.post("/husky/api/jobs/hello/run", headers=bearer("view-tok"))
        assert refused.json()["path"] == "/api/jobs/hello/run"  # RBAC saw the stripped path
        docs = api.get("/husky/api/docs", headers=bearer("view-tok"))
        assert docs.status_code == 200 and "/husky/openapi.json" in docs.text
        assert api.get("/husky/openapi.json", headers=bearer("view-tok")).status_code == 200
    assert project.husky("status").returncode == 0  # the socket has no base path


def test_idle_timeout_closes_kept_alive_connections(project: Project) -> None:
    start_with(project, "api:\n  timeouts:\n    idle: 1s\n").close()
    host, port = (project.data / "api.addr").read_text().strip().rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=15) as conn:
        conn.sendall(b"GET /api/status HTTP/1.1\r\nHost: husky\r\n\r\n")
        received = b""
        while b'"ok":true' not in received:
            received += conn.recv(4096)
        answered = time.monotonic()
        assert conn.recv(4096) == b""  # blocks until the server closes the idle connection
        idle = time.monotonic() - answered
    assert 0.5 < idle < 10, idle
