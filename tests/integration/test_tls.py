"""TLS and mTLS on the real daemon's TCP door (api.md §3), with certificates made by trustme."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import trustme

from tests.integration.daemon_helpers import Project

JOBS = """
version: "1"
jobs:
  hello:
    description: Say hello
    frequency: manual
    command: echo hello
"""


@dataclass
class Pki:
    server_ca: trustme.CA
    client_ca: trustme.CA


@pytest.fixture
def pki(project: Project) -> Iterator[Pki]:
    """A CA that signed the daemon's certificate (files in the project) and one for clients."""
    server_ca, client_ca = trustme.CA(), trustme.CA()
    leaf = server_ca.issue_cert("127.0.0.1", "localhost")
    (project.root / "server.pem").write_bytes(b"".join(p.bytes() for p in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(project.root / "server.key"))
    client_ca.cert_pem.write_to_path(str(project.root / "clients-ca.pem"))
    yield Pki(server_ca, client_ca)


def tls_yaml(**extra: str) -> str:
    lines = ["api:", "  tls:", "    enabled: true", "    cert: server.pem", "    key: server.key"]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def start(project: Project, daemon_yaml: str) -> str:
    project.write(JOBS)
    project.write(daemon_yaml, name="huskyd.yaml")
    project.start()
    return (project.data / "api.addr").read_text().strip()


def client_context(
    pki: Pki, *, cert_from: trustme.CA | None = None, max_version: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context()
    pki.server_ca.configure_trust(context)
    if cert_from is not None:
        cert_from.issue_cert("client@example.com").configure_cert(context)
    if max_version is not None:
        context.maximum_version = max_version
    return context


def get_status(addr: str, context: ssl.SSLContext) -> httpx.Response:
    with httpx.Client(base_url=f"https://{addr}", verify=context, timeout=10) as client:
        return client.get("/api/status")


def test_https_works_and_plain_http_does_not(project: Project, pki: Pki) -> None:
    addr = start(project, tls_yaml())
    host, port = addr.rsplit(":", 1)
    assert host == "127.0.0.1" and port.isdigit()  # api.addr still holds host:port
    response = get_status(addr, client_context(pki))
    assert response.status_code == 200 and response.json()["ok"] is True
    with httpx.Client(timeout=10) as plain, pytest.raises(httpx.TransportError):
        plain.get(f"http://{addr}/api/status")
    untrusted = ssl.create_default_context()  # does not trust the daemon's CA
    with pytest.raises(httpx.ConnectError):
        get_status(addr, untrusted)
    assert project.husky("status").returncode == 0  # the socket door stays plain


def test_min_version_1_3_refuses_a_tls_1_2_client(project: Project, pki: Pki) -> None:
    addr = start(project, tls_yaml(min_version='"1.3"'))
    with pytest.raises(httpx.ConnectError):
        get_status(addr, client_context(pki, max_version=ssl.TLSVersion.TLSv1_2))
    assert get_status(addr, client_context(pki)).status_code == 200


def test_default_min_version_accepts_tls_1_2(project: Project, pki: Pki) -> None:
    addr = start(project, tls_yaml())
    response = get_status(addr, client_context(pki, max_version=ssl.TLSVersion.TLSv1_2))
    assert response.status_code == 200


def test_client_ca_requires_a_certificate_it_signed(project: Project, pki: Pki) -> None:
    addr = start(project, tls_yaml(client_ca="clients-ca.pem"))
    with pytest.raises(httpx.TransportError):
        get_status(addr, client_context(pki))  # no client certificate
    with pytest.raises(httpx.TransportError):
        get_status(addr, client_context(pki, cert_from=trustme.CA()))  # signed by a stranger
    response = get_status(addr, client_context(pki, cert_from=pki.client_ca))
    assert response.status_code == 200 and response.json()["ok"] is True


def test_unusable_certificate_fails_start_with_a_clear_message(project: Project) -> None:
    project.write(JOBS)
    (project.root / "server.pem").write_text("not a certificate\n", encoding="utf-8")
    (project.root / "server.key").write_text("not a key\n", encoding="utf-8")
    project.write(tls_yaml(), name="huskyd.yaml")
    result = project.husky("start")
    assert result.returncode == 1
    log = project.daemon_log()
    assert "load TLS certificate" in log and "server.pem" in log, log
    assert "not a valid PEM certificate and key" in log
    assert not (project.data / "api.addr").exists()
