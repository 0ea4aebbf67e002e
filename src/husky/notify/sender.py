"""Getting one message to its destination: one attempt per provider, and the retry loop.

The sender owns the outbound httpx client (pooled connections, `http_client` timeout,
proxy and CA bundle) and a small thread pool for SMTP. Errors are reported as text with
every secret of the integration (webhook URL, routing key, credentials) replaced by `***`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from husky.notify import discord, pagerduty, slack, smtp, webhook
from husky.notify.base import DeliveryError, HttpRequest, Outgoing
from husky.notify.settings import DeliverySettings

if TYPE_CHECKING:
    import httpx

REDACTED = "***"
HTTP_PROVIDERS: dict[str, Callable[[Outgoing], HttpRequest]] = {
    "slack": slack.request,
    "discord": discord.request,
    "webhook": webhook.request,
    "pagerduty": pagerduty.request,
}
#: 4xx answers worth another try; any other 4xx will not change by repeating the request.
RETRYABLE_4XX = frozenset({408, 425, 429})
#: Told after each attempt: (attempt number, error or None when it got through).
AttemptHook = Callable[[int, str | None], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int  # made by this delivery
    error: str | None = None


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by `***` (longest first: one may contain another)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class Sender:
    def __init__(self, settings: DeliverySettings) -> None:
        self.settings = settings
        # A `ca_bundle` that does not load is a start-up error, so its context is built
        # now; the default one (the system's CAs) is built with the client.
        self._tls = settings.tls_context() if settings.ca_bundle is not None else None
        self._http: httpx.AsyncClient | None = None
        self._loading: asyncio.Task[None] | None = None
        self._mail_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="husky-smtp")

    def warm_up(self) -> None:
        """Start loading the HTTP client in a thread: httpx, what it loads at its first
        request (anyio's backend and streams) and the system CA store take ~150 ms and
        ~10 MB, which neither the daemon's start nor the first notification should wait
        for on the event loop."""
        if self._loading is None:
            self._loading = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        self._tls = tls = await asyncio.to_thread(self._import_http_stack)
        import anyio.lowlevel
        import httpx

        self._http = httpx.AsyncClient(
            timeout=self.settings.timeout,
            proxy=self.settings.proxy or None,
            verify=tls,
            follow_redirects=False,
        )
        await anyio.lowlevel.checkpoint()

    def _import_http_stack(self) -> ssl.SSLContext:
        import anyio.lowlevel
        import anyio.streams.tls  # noqa: F401
        import httpx  # noqa: F401

        return self._tls if self._tls is not None else self.settings.tls_context()

    async def _client(self) -> httpx.AsyncClient:
        self.warm_up()
        assert self._loading is not None
        await asyncio.shield(self._loading)
        assert self._http is not None
        return self._http

    async def aclose(self) -> None:
        if self._loading is not None:
            with contextlib.suppress(Exception):
                await self._loading
        if self._http is not None:
            await self._http.aclose()
        self._mail_threads.shutdown(wait=False, cancel_futures=True)

    async def deliver(
        self, out: Outgoing, *, retry: bool = True, on_attempt: AttemptHook | None = None
    ) -> Outcome:
        """Up to `settings.attempts` tries (1 without `retry`), pausing between them."""
        limit = self.settings.attempts if retry else 1
        error: str | None = None
        for attempt in range(1, limit + 1):
            try:
                await self.attempt(out)
            except DeliveryError as exc:
                error = scrub(str(exc), out.secrets())
                if on_attempt is not None:
                    await on_attempt(attempt, error)
                if exc.permanent or attempt == limit:
                    return Outcome(False, attempt, error)
                await asyncio.sleep(self.settings.pause_after(attempt))
            else:
                if on_attempt is not None:
                    await on_attempt(attempt, None)
                return Outcome(True, attempt)
        return Outcome(False, limit, error)  # only reached with limit < 1

    async def attempt(self, out: Outgoing) -> None:
        """One try; DeliveryError when it did not get through."""
        if out.provider == "smtp":
            await self._mail(out)
            return
        build = HTTP_PROVIDERS.get(out.provider)
        if build is None:
            raise DeliveryError(f'unsupported provider "{out.provider}"', permanent=True)
        await self._post(build(out))

    async def _post(self, request: HttpRequest) -> None:
        if not request.url.strip():
            raise DeliveryError("missing endpoint URL", permanent=True)
        client = await self._client()
        import httpx  # loaded by the client

        try:
            response = await client.post(request.url, json=request.body)
        except httpx.TimeoutException:
            raise DeliveryError(f"timed out after {self.settings.timeout:g}s") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise DeliveryError("invalid endpoint URL", permanent=True) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"request failed: {exc or type(exc).__name__}") from None
        code = response.status_code
        if not 200 <= code < 300:
            permanent = 400 <= code < 500 and code not in RETRYABLE_4XX
            raise DeliveryError(f"http status {code}", permanent=permanent)

    async def _mail(self, out: Outgoing) -> None:
        integration = out.integration
        if integration is None:
            raise DeliveryError("smtp needs an integration", permanent=True)
        mail = smtp.build_mail(out)
        await self._client()  # the TLS context comes with it
        assert self._tls is not None
        send = functools.partial(
            smtp.send, integration, mail, timeout=self.settings.timeout, tls=self._tls
        )
        await asyncio.get_running_loop().run_in_executor(self._mail_threads, send)
