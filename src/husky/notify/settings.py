"""How notifications go out, from huskyd.yaml `http_client` (active here, unlike the
original, where it was inert):

- `timeout` bounds each HTTP request and each SMTP conversation step;
- `max_retries` re-tries after the first attempt (so 3 → at most 4 attempts), sleeping
  `attempt × retry_backoff` between attempts;
- `proxy` is the HTTP(S) proxy for webhooks (unset: the usual `HTTPS_PROXY` variables);
- `ca_bundle` is a PEM file of extra trusted CAs, for HTTPS and for SMTP STARTTLS/TLS.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from husky.config.daemon_models import DaemonConfig, HttpClientSection


@dataclass(frozen=True)
class DeliverySettings:
    timeout: float = 15.0
    max_retries: int = 3
    retry_backoff: float = 2.0
    proxy: str = ""
    ca_bundle: Path | None = None

    @classmethod
    def from_section(cls, section: HttpClientSection, ca_bundle: Path | None) -> DeliverySettings:
        return cls(
            timeout=section.timeout_delta.total_seconds(),
            max_retries=section.max_retries,
            retry_backoff=section.retry_backoff_delta.total_seconds(),
            proxy=section.proxy,
            ca_bundle=ca_bundle,
        )

    @classmethod
    def from_daemon_config(cls, config: DaemonConfig) -> DeliverySettings:
        section = config.http_client
        bundle = config.resolve_path(section.ca_bundle) if section.ca_bundle else None
        return cls.from_section(section, bundle)

    @property
    def attempts(self) -> int:
        return 1 + max(self.max_retries, 0)

    def pause_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return attempt * max(self.retry_backoff, 0.0)

    def tls_context(self) -> ssl.SSLContext:
        """The system's trusted CAs plus `ca_bundle` (OSError/SSLError if unreadable).
        Built once by the sender that uses it: loading CA files is not free."""
        context = ssl.create_default_context()
        if self.ca_bundle is not None:
            context.load_verify_locations(cafile=str(self.ca_bundle))
        return context
