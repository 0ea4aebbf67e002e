"""husky.daemon.server's TCP listener: TCP_NODELAY on accepted connections, the TLS context
built from `api.tls`, and the uvicorn options drawn from `api.timeouts`."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest
import trustme

from husky.config.daemon_models import ApiSection, TlsSection
from husky.daemon.server import ListenerError, bind_tcp, tcp_options, tls_context


def test_accepted_connections_have_tcp_nodelay() -> None:
    """Without it a keep-alive response written in two parts waits ~40 ms for an ACK."""

    async def scenario() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener = bind_tcp("127.0.0.1:0")
        server = await asyncio.start_server(accepted, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            value = await asyncio.wait_for(seen, 10)
            writer.close()
            return value

    assert asyncio.run(scenario()) != 0


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return tmp_path


def test_tls_context_minimum_version_and_client_certificates(certs: Path) -> None:
    plain = tls_context(TlsSection(enabled=True, cert="cert.pem", key="key.pem"), certs.joinpath)
    assert plain.minimum_version == ssl.TLSVersion.TLSv1_2
    assert plain.verify_mode == ssl.CERT_NONE
    strict = tls_context(
        TlsSection(
            enabled=True, cert="cert.pem", key="key.pem", min_version="1.3", client_ca="ca.pem"
        ),
        certs.joinpath,
    )
    assert strict.minimum_version == ssl.TLSVersion.TLSv1_3
    assert strict.verify_mode == ssl.CERT_REQUIRED


def test_tls_context_errors_name_the_file(certs: Path) -> None:
    with pytest.raises(ListenerError) as missing:
        tls_context(TlsSection(enabled=True, cert="gone.pem", key="key.pem"), certs.joinpath)
    assert str(missing.value) == (
        f"load TLS certificate {certs / 'gone.pem'} (key {certs / 'key.pem'}): "
        "No such file or directory"
    )
    with pytest.raises(ListenerError, match="key values mismatch"):
        other = trustme.CA().issue_cert("x")
        other.private_key_pem.write_to_path(str(certs / "other.key"))
        tls_context(TlsSection(enabled=True, cert="cert.pem", key="other.key"), certs.joinpath)
    (certs / "junk.pem").write_text("junk\n", encoding="utf-8")
    with pytest.raises(ListenerError) as junk:
        tls = TlsSection(enabled=True, cert="cert.pem", key="key.pem", client_ca="junk.pem")
        tls_context(tls, certs.joinpath)
    assert str(junk.value).startswith(f"load client CA {certs / 'junk.pem'}: ")


def test_tcp_options_map_idle_to_keep_alive_and_add_tls(certs: Path) -> None:
    assert tcp_options(ApiSection(), certs.joinpath) == {"timeout_keep_alive": 120}
    api = ApiSection.model_validate({"timeouts": {"idle": "2500ms"}})
    assert tcp_options(api, certs.joinpath) == {"timeout_keep_alive": 3}
    api = ApiSection.model_validate({"timeouts": {"idle": "bogus"}})
    assert tcp_options(api, certs.joinpath)["timeout_keep_alive"] == 120
    api = ApiSection.model_validate(
        {"tls": {"enabled": True, "cert": "cert.pem", "key": "key.pem"}}
    )
    factory = tcp_options(api, certs.joinpath)["ssl_context_factory"]
    assert isinstance(factory(None, None), ssl.SSLContext)
