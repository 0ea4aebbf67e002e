"""husky.notify.channels, the provider payloads and the integration test message
(notifications.md §3, §6, §9)."""

from __future__ import annotations

import pytest

from husky.config.effective import Integration
from husky.notify import discord, pagerduty, slack, webhook
from husky.notify.base import NotifyError, Outgoing, dedup_key, shorten
from husky.notify.channels import Destination, resolve, severity
from husky.notify.probe import probe_message
from husky.notify.smtp import build_mail

SLACK = Integration("slack", "slack", webhook_url="https://hooks.slack.example/T/B/x")
OPS = Integration("ops", "slack", webhook_url="https://hooks.slack.example/ops")
PAGER = Integration("pager", "pagerduty", routing_key="rk-1")
SMTP = Integration("smtp", "smtp", host="mail.example", from_="husky@example.com")
HOOK = Integration("webhook", "webhook", webhook_url="https://hooks.example/in")
ALL = {i.name: i for i in (SLACK, OPS, PAGER, SMTP)}


# -- resolution ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("slack:#ops", Destination("slack", SLACK, "#ops")),
        ("  ops:#alerts  ", Destination("slack", OPS, "#alerts")),  # named, provider explicit
        ("pager:P1", Destination("pagerduty", PAGER, "P1")),
        ("slack:#a:b", Destination("slack", SLACK, "#a:b")),  # split at the first ':'
        ("webhook:https://x.example/h", Destination("webhook", None, "https://x.example/h")),
        ("email:oncall@example.com", Destination("smtp", SMTP, "oncall@example.com")),
        ("smtp:oncall@example.com", Destination("smtp", SMTP, "oncall@example.com")),
    ],
)
def test_resolve(channel: str, expected: Destination) -> None:
    assert resolve(channel, ALL) == expected


def test_a_webhook_integration_takes_precedence_over_ad_hoc() -> None:
    assert resolve("webhook:https://x.example/h", {"webhook": HOOK}) == Destination(
        "webhook", HOOK, "https://x.example/h"
    )


@pytest.mark.parametrize(
    ("channel", "integrations", "error"),
    [
        ("slack", ALL, "invalid channel format"),
        ("discord:#x", ALL, 'no integration found for channel prefix "discord"'),
        ("webhook:ftp://x", ALL, 'no integration found for channel prefix "webhook"'),
        ("email:a@b", {"slack": SLACK}, 'no integration found for channel prefix "email"'),
    ],
)
def test_unresolvable_channels(
    channel: str, integrations: dict[str, Integration], error: str
) -> None:
    with pytest.raises(NotifyError) as caught:
        resolve(channel, integrations)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("target", "expected"),
    [("p1", "critical"), ("P2", "error"), (" p3 ", "warning"), ("p4", "info"), ("", "info")],
)
def test_severity(target: str, expected: str) -> None:
    assert severity(target) == expected


# -- payloads ------------------------------------------------------------------------------


def test_slack_discord_and_webhook_payloads() -> None:
    out = Outgoing("slack", SLACK, "#ops", "hello")
    assert (slack.request(out).url, slack.request(out).body) == (
        SLACK.webhook_url,
        {"text": "hello", "channel": "#ops"},
    )
    chat = Integration("chat", "discord", webhook_url="https://discord.example/api/webhooks/1")
    assert discord.request(Outgoing("discord", chat, "#x", "hi")).body == {"content": "hi"}
    ad_hoc = webhook.request(Outgoing("webhook", None, "https://x.example/h", "m"))
    assert (ad_hoc.url, ad_hoc.body) == ("https://x.example/h", {"message": "m"})
    named = webhook.request(Outgoing("webhook", HOOK, "anything", "m"))
    assert named.url == HOOK.webhook_url
    assert slack.request(Outgoing("slack", Integration("s", "slack"), "#x", "m")).url == ""


def test_discord_content_is_cut_to_its_limit_keeping_the_newest_lines() -> None:
    text = "head\n" + "\n".join(f"line {n}" for n in range(1000))
    body = discord.request(Outgoing("discord", SLACK, "", text)).body
    assert len(body["content"]) == discord.MAX_CONTENT
    assert body["content"].startswith("head\nline 0")
    assert body["content"].endswith("line 999")
    assert "\n…\n" in body["content"]


def test_pagerduty_events_v2_payload() -> None:
    out = Outgoing(
        "pagerduty", PAGER, "p2", "disk full", dedup_key=dedup_key("etl", 9, "x"), severity="error"
    )
    request = pagerduty.request(out)
    assert request.url == pagerduty.EVENTS_API
    assert request.body == {
        "routing_key": "rk-1",
        "event_action": "trigger",
        "dedup_key": "husky-etl-9",
        "payload": {"summary": "disk full", "source": "husky", "severity": "error"},
    }
    relay = Integration("pd", "pagerduty", routing_key="rk", webhook_url="http://127.0.0.1:9/pd")
    assert pagerduty.request(Outgoing("pagerduty", relay, "", "m")).url == "http://127.0.0.1:9/pd"
    long = pagerduty.request(Outgoing("pagerduty", PAGER, "", "x" * 5000)).body
    assert len(long["payload"]["summary"]) == pagerduty.MAX_SUMMARY


def test_dedup_keys() -> None:
    assert dedup_key("etl", 12, "on_failure") == "husky-etl-12"
    assert dedup_key("", None, "on_daemon_start") == "husky-daemon-on_daemon_start"


def test_shorten_is_exact_at_the_limit() -> None:
    assert shorten("abc", 3) == "abc"
    cut = shorten("abcdefghij", 7)
    assert cut == "ab\n…\nij" and len(cut) == 7


def test_mail() -> None:
    mail = build_mail(Outgoing("smtp", SMTP, " oncall@example.com ", "body text"))
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "husky@example.com",
        "oncall@example.com",
        "Husky notification",
    )
    assert mail["Message-ID"].endswith("@example.com>")
    assert mail.get_content() == "body text\n"


# -- the integration test message (§9) ------------------------------------------------------


def test_probe_messages() -> None:
    assert probe_message(SLACK) == Outgoing(
        "slack", SLACK, "#test", "husky integration test: slack (slack)"
    )
    chat = Integration("chat", "discord", webhook_url="https://d.example/w")
    assert probe_message(chat).target == "#test"
    assert probe_message(HOOK).target == HOOK.webhook_url
    pd = probe_message(PAGER)
    assert (pd.text, pd.severity, pd.dedup_key) == (
        "husky integration test: pager (pagerduty)",
        "warning",
        "",
    )
    mail = probe_message(SMTP)
    assert (mail.target, mail.subject) == ("husky@example.com", "husky integration test")
