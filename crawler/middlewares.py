"""Downloader middlewares: polite retries, block pages recognised as blocks, charsets checked, meta refresh
read from a page's head."""

from __future__ import annotations

import codecs
import random
import re

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from crawler.errors import SiteBlocked
from storage.clock import retry_after_seconds


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


# Encodings a page may be mislabelled with: a byte is a character, so any bytes decode, rightly or not.
_SINGLE_BYTE = {"cp1252", "iso8859-1", "iso8859-15", "ascii"}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# How much of a page, from its first non-ASCII byte, tells its encoding: a mislabelled page is
# mislabelled all through, and reading this much is cheap beside parsing the page.
_SAMPLE = 16_384


def true_encoding(body: bytes, declared: str) -> str | None:
    """The encoding a page's bytes are in when its declaration is wrong; None when it is right.

    UTF-8 is self-checking: French text in a single-byte encoding is virtually never valid UTF-8,
    and UTF-8 text read as one shows "Ã©" for "é". So a page said to be Latin-1/Windows-1252 whose
    non-ASCII bytes form UTF-8 is UTF-8, and a page said to be UTF-8 of which not one non-ASCII
    character decodes is Windows-1252 (a few bad bytes in a UTF-8 page are damage, not a label to
    change). The bytes read are those from the first non-ASCII one on, ``_SAMPLE`` of them."""
    try:
        declared = codecs.lookup(declared).name
    except LookupError:
        return None
    if declared != "utf-8" and declared not in _SINGLE_BYTE:
        return None
    first = _HIGH_BYTE.search(body)
    if first is None:
        return None  # ASCII reads the same in all of them
    sample = body[first.start() : first.start() + _SAMPLE]
    try:
        # Not final: the sample may end inside a character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        if declared != "utf-8":
            return None
        text = sample.decode("utf-8", "replace")
        decoded = len(_NON_ASCII.findall(text)) - text.count("\ufffd")
        return "cp1252" if decoded <= 0 else None
    return "utf-8" if declared != "utf-8" else None


class CharsetMiddleware:
    """A page whose declared charset its bytes contradict (a server saying ISO-8859-1 for UTF-8
    pages, or the reverse) is read in the charset its bytes are in: never stored as "DÃ©fense"."""

    async def process_response(self, request: Request, response: Response) -> Response:
        if isinstance(response, TextResponse) and response.body:
            encoding = true_encoding(response.body, response.encoding)
            if encoding:
                return response.replace(encoding=encoding)
        return response


# Scrapy's meta refresh looks at a page's first 4,096 characters: 4 bytes a character at most, and a BOM.
_META_REFRESH_BYTES = 4 * 4096 + 4
# Encodings in which every ASCII character is its own byte: a word absent from the bytes is absent from the text.
_ASCII_AS_BYTES = {"utf-8", "cp1252", "iso8859-1", "iso8859-15", "ascii"}


def _ascii_as_bytes(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name in _ASCII_AS_BYTES
    except LookupError:
        return False


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta refresh, without decoding the whole page to read its first 4,096 characters (Scrapy
    decodes all 213 KB of an offer page, and keeps the text as long as the response: veille's parsers read
    the bytes). The same answer: the same characters, in the encoding the whole page was found to be in, and
    a page whose first bytes do not say "refresh" has none."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not isinstance(response, HtmlResponse) or len(response.body) <= _META_REFRESH_BYTES:
            return super().process_response(request, response)
        head = response.body[:_META_REFRESH_BYTES]
        # A meta refresh names itself ("refresh" in the tag, in any case): most pages have none.
        if b"refresh" not in head.lower() and _ascii_as_bytes(response.encoding):
            return response
        head = response.replace(body=head, encoding=response.encoding)
        followed = super().process_response(request, head)
        return response if followed is head else followed
