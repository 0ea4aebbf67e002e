"""husky.notify.sender against real receivers on 127.0.0.1: retries and backoff, permanent
errors, timeouts, secrets kept out of errors, SMTP with STARTTLS and AUTH (notifications.md
§6–§7, huskyd.yaml `http_client`)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from husky.config.effective import Integration
from husky.errors import HuskyError
from husky.notify.base import Outgoing
from husky.notify.probe import send_test
from husky.notify.sender import Outcome, Sender, scrub
from husky.notify.settings import DeliverySettings
from tests.receivers import HttpReceiver, MailReceiver, free_port

FAST = DeliverySettings(timeout=1.0, max_retries=2, retry_backoff=0.05)


@pytest.fixture
def hooks() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


def deliver(out: Outgoing, settings: DeliverySettings = FAST, **kw: bool) -> Outcome:
    async def main() -> Outcome:
        sender = Sender(settings)
        try:
            return await sender.deliver(out, **kw)
        finally:
            await sender.aclose()

    return asyncio.run(main())


def slack_to(url: str) -> Outgoing:
    return Outgoing("slack", Integration("slack", "slack", webhook_url=url), "#ops", "hello")


def test_500_twice_then_200_is_delivered_on_the_third_attempt(hooks: HttpReceiver) -> None:
    hooks.script("/s", 500, 500)
    started = time.monotonic()
    assert deliver(slack_to(hooks.url("/s"))) == Outcome(True, 3)
    got = hooks.to("/s")
    assert [r.body for r in got] == [{"text": "hello", "channel": "#ops"}] * 3
    assert got[0].headers["content-type"] == "application/json"
    # backoff: attempt × retry_backoff between attempts (0.05 s, then 0.1 s)
    assert got[1].at - got[0].at >= 0.05 and got[2].at - got[1].at >= 0.1
    assert time.monotonic() - started < 5


def test_attempts_are_bounded_by_max_retries(hooks: HttpReceiver) -> None:
    hooks.script("/s", 503, 503, 503, 503)
    assert deliver(slack_to(hooks.url("/s"))) == Outcome(False, 3, "http status 503")
    assert len(hooks.to("/s")) == 3
    assert deliver(slack_to(hooks.url("/s")), retry=False) == Outcome(False, 1, "http status 503")


def test_a_client_error_is_not_repeated_but_429_is(hooks: HttpReceiver) -> None:
    hooks.script("/gone", 404)
    assert deliver(slack_to(hooks.url("/gone"))) == Outcome(False, 1, "http status 404")
    hooks.script("/busy", 429)
    assert deliver(slack_to(hooks.url("/busy"))) == Outcome(True, 2)


def test_a_silent_endpoint_times_out(hooks: HttpReceiver) -> None:
    hooks.hang("/dead")
    settings = DeliverySettings(timeout=0.3, max_retries=1, retry_backoff=0.01)
    assert deliver(slack_to(hooks.url("/dead")), settings) == Outcome(
        False, 2, "timed out after 0.3s"
    )


def test_a_closed_port_and_a_missing_url() -> None:
    outcome = deliver(slack_to(f"http://127.0.0.1:{free_port()}/x"))
    assert not outcome.ok and outcome.attempts == 3
    assert outcome.error is not None and outcome.error.startswith("request failed: ")
    assert deliver(slack_to("")) == Outcome(False, 1, "missing endpoint URL")
    assert deliver(slack_to("not a url")) == Outcome(False, 1, "invalid endpoint URL")


def test_errors_never_carry_secrets() -> None:
    secret_url = "http://256.0.0.1:1/services/T0/B0/sekrit"
    out = Outgoing("slack", Integration("slack", "slack", webhook_url=secret_url), "#x", "m")
    outcome = deliver(out, DeliverySettings(timeout=0.5, max_retries=0))
    assert outcome.error is not None and "sekrit" not in outcome.error
    assert scrub("token abc and abcdef", ["abc", "abcdef"]) == "token *** and ***"


# -- SMTP ------------------------------------------------------------------------------------


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return authority, bundle


def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_smtp_with_starttls_and_login(ca: tuple[trustme.CA, Path]) -> None:
    authority, bundle = ca
    with MailReceiver(tls=server_tls(authority), users={"bob": "pw-1"}) as server:
        mail = Integration(
            "mail",
            "smtp",
            host="127.0.0.1",
            port=server.port,
            username="bob",
            password="pw-1",
            from_="husky@example.com",
        )
        settings = DeliverySettings(timeout=5.0, ca_bundle=bundle)
        assert deliver(Outgoing("smtp", mail, "ops@example.com", "line 1\nline 2"), settings) == (
            Outcome(True, 1)
        )
        [got] = server.wait_for(1)
    assert (got.mail_from, got.rcpt_tos, got.tls, got.login) == (
        "husky@example.com",
        ["ops@example.com"],
        True,
        "bob",
    )
    assert (got.message["Subject"], got.message["To"]) == ("Husky notification", "ops@example.com")
    assert got.body == "line 1\nline 2\n"


def test_smtp_without_tls_or_credentials_and_a_wrong_password(ca: tuple[trustme.CA, Path]) -> None:
    with MailReceiver() as plain:
        mail = Integration("m", "smtp", host="127.0.0.1", port=plain.port, from_="h@example.com")
        assert deliver(Outgoing("smtp", mail, "a@example.com", "hi")) == Outcome(True, 1)
        [got] = plain.wait_for(1)
        assert (got.tls, got.login) == (False, None)
    authority, bundle = ca
    with MailReceiver(tls=server_tls(authority), users={"bob": "right"}) as server:
        wrong = Integration(
            "m", "smtp", host="127.0.0.1", port=server.port, username="bob", password="wrong"
        )
        outcome = deliver(
            Outgoing("smtp", wrong, "a@example.com", "hi"), DeliverySettings(ca_bundle=bundle)
        )
        assert not outcome.ok and outcome.attempts == 1  # 535: permanent, not retried
        assert outcome.error is not None and outcome.error.startswith("smtp: 535")
        assert "wrong" not in outcome.error
        assert server.mails == []


def test_smtp_refuses_an_untrusted_certificate() -> None:
    with MailReceiver(tls=server_tls(trustme.CA())) as server:
        mail = Integration("m", "smtp", host="127.0.0.1", port=server.port, from_="h@example.com")
        outcome = deliver(
            Outgoing("smtp", mail, "a@example.com", "hi"), DeliverySettings(max_retries=0)
        )
    assert not outcome.ok and outcome.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error


# -- the integration test (§9) -------------------------------------------------------------


def test_send_test_reaches_each_provider(hooks: HttpReceiver) -> None:
    settings = DeliverySettings(timeout=2.0, retry_backoff=0.01)
    hook = Integration("in", "webhook", webhook_url=hooks.url("/in"))
    asyncio.run(send_test(hook, settings))
    assert hooks.wait_for("/in")[0].body == {"message": "husky integration test: in (webhook)"}
    pd = Integration("pd", "pagerduty", routing_key="rk-9", webhook_url=hooks.url("/pd"))
    asyncio.run(send_test(pd, settings))
    assert hooks.wait_for("/pd")[0].body == {
        "routing_key": "rk-9",
        "event_action": "trigger",
        "dedup_key": "",
        "payload": {
            "summary": "husky integration test: pd (pagerduty)",
            "source": "husky",
            "severity": "warning",
        },
    }
    hooks.script("/s", 500)
    asyncio.run(send_test(Integration("ops", "slack", webhook_url=hooks.url("/s")), settings))
    assert [r.body for r in hooks.to("/s")] == [
        {"text": "husky integration test: ops (slack)", "channel": "#test"}
    ] * 2
    with pytest.raises(HuskyError, match=r"^missing endpoint URL$"):
        asyncio.run(send_test(Integration("chat", "discord"), settings))


def test_send_test_mails_its_own_sender_once() -> None:
    with MailReceiver() as server:
        mail = Integration(
            "mail", "smtp", host="127.0.0.1", port=server.port, from_="me@example.com"
        )
        asyncio.run(send_test(mail, DeliverySettings(timeout=5.0)))
        [got] = server.wait_for(1)
    assert got.rcpt_tos == ["me@example.com"]
    assert got.message["Subject"] == "husky integration test"
    assert got.body == "husky integration test: mail (smtp)\n"
    dead = Integration("mail", "smtp", host="127.0.0.1", port=free_port(), from_="me@example.com")
    with pytest.raises(HuskyError, match=r"^smtp: "):
        asyncio.run(send_test(dead, DeliverySettings(timeout=1.0)))


def test_http_client_proxy_carries_the_request(hooks: HttpReceiver) -> None:
    """`http_client.proxy`: the request goes to the proxy, in absolute form."""
    settings = DeliverySettings(timeout=2.0, max_retries=0, proxy=hooks.url(""))
    target = "http://hooks.invalid/services/x"
    assert deliver(slack_to(target), settings) == Outcome(True, 1)
    [got] = hooks.wait_for(target)
    assert got.body == {"text": "hello", "channel": "#ops"}
    assert got.headers["host"] == "hooks.invalid"


def test_https_trusts_the_ca_bundle(ca: tuple[trustme.CA, Path]) -> None:
    authority, bundle = ca
    with HttpReceiver(tls=server_tls(authority)) as secure:
        trusted = DeliverySettings(timeout=2.0, max_retries=0, ca_bundle=bundle)
        assert deliver(slack_to(secure.url("/s")), trusted) == Outcome(True, 1)
        assert secure.to("/s")[0].body == {"text": "hello", "channel": "#ops"}
        untrusted = deliver(slack_to(secure.url("/s")), DeliverySettings(max_retries=0))
    assert not untrusted.ok and untrusted.error is not None
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.error
