"""Downloader middlewares: polite retries, and block pages recognised as blocks."""

from __future__ import annotations

import email.utils
import random
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from crawler.errors import SiteBlocked


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but waiting before each retry: what Retry-After asks, or an
    exponential backoff with jitter. A retried status also doubles the delay of
    the site's download slot, so the other requests to the site back off too.

    A Retry-After longer than ``VEILLE_MAX_RETRY_AFTER`` is not waited out: the
    site is telling us to go away, which is a block.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.base_delay = settings.getfloat("VEILLE_RETRY_BASE_DELAY", 2.0)
        self.max_delay = settings.getfloat("VEILLE_RETRY_MAX_DELAY", 120.0)
        self.max_retry_after = settings.getfloat("VEILLE_MAX_RETRY_AFTER", 300.0)

    def _backoff(self, request: Request) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = min(self.max_delay, self.base_delay * 2**attempt)
        return delay * random.uniform(0.8, 1.2)

    def _slow_down_slot(self, request: Request) -> None:
        """Double the delay between requests to this site (AutoThrottle, when on, adapts it back)."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        slot = downloader.slots.get(request.meta.get("download_slot")) if downloader else None
        if slot is not None:
            slot.delay = min(self.max_delay, max(slot.delay * 2, self.base_delay))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > self.max_retry_after:
            raise SiteBlocked(
                f"HTTP {response.status} with Retry-After {retry_after:.0f}s (longer than {self.max_retry_after:.0f}s)"
            )
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = retry_after if retry_after is not None else self._backoff(request)
        self._slow_down_slot(request)
        await sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if retry is not None:
            await sleep(self._backoff(request))
        return retry


BLOCK_PAGE_MARKERS = (b"request rejected", b"captcha", b"access denied", b"datadome")


class BlockPageMiddleware:
    """A 200 page that is really a block ("Request Rejected", a captcha) must not
    be parsed as an empty listing: it becomes a :class:`SiteBlocked` failure."""

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status == 200 and response.headers.get("Content-Type", b"").startswith(b"text/html"):
            head = response.body[:2048].lower()
            title_start = head.find(b"<title")
            title = head[title_start : head.find(b"</title>", title_start)] if title_start >= 0 else b""
            if any(marker in title for marker in BLOCK_PAGE_MARKERS):
                raise SiteBlocked(f"block page: {title.split(b'>', 1)[-1].decode('utf-8', 'replace').strip()}")
        return response
