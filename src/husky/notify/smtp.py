"""Mail through the integration's SMTP server (notifications.md §6), with stdlib smtplib.

`send` blocks: the sender runs it in a worker thread, bounded by the `http_client.timeout`
given to every socket operation. Port 465 speaks TLS from the first byte; any other port
upgrades with STARTTLS when the server offers it, and logs in when a username or password
is set (AUTH, the best mechanism the server offers).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from husky.config.effective import Integration
from husky.notify.base import DeliveryError, Outgoing

DEFAULT_PORT = 587
IMPLICIT_TLS_PORT = 465


def build_mail(out: Outgoing) -> EmailMessage:
    """`From: <from>`, `To: <target>`, `Subject: <subject>`, the message as a plain body."""
    sender = out.integration.from_ if out.integration is not None else ""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = out.target.strip()
    mail["Subject"] = out.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    # The sender's domain, not getfqdn(): that may wait on DNS.
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "husky.localhost")
    mail.set_content(out.text)
    return mail


def send(
    integration: Integration, mail: EmailMessage, *, timeout: float, tls: ssl.SSLContext
) -> None:
    """Deliver `mail`; DeliveryError (permanent for 5xx answers) when it cannot."""
    if not mail["To"]:
        raise DeliveryError("missing recipient address", permanent=True)
    port = integration.port or DEFAULT_PORT
    try:
        if port == IMPLICIT_TLS_PORT:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                integration.host, port, timeout=timeout, context=tls
            )
        else:
            client = smtplib.SMTP(integration.host, port, timeout=timeout)
        with client:
            client.ehlo()
            if port != IMPLICIT_TLS_PORT and client.has_extn("starttls"):
                client.starttls(context=tls)
                client.ehlo()
            if integration.username or integration.password:
                client.login(integration.username, integration.password)
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise DeliveryError(f"smtp: recipient refused ({codes})", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise DeliveryError(
            f"smtp: {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"smtp: {exc}", permanent=True) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"smtp: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
