"""What every veille spider shares: configuration, database, full mode, error counting, and offer
pages that failed, read again next run (storage/unread.py)."""

from __future__ import annotations

import datetime as dt
import os
import re

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import __version__
from crawler.config import Config, ConfigError, load_config
from crawler.errors import (
    BLOCKED,
    GARBLED,
    INCOMPLETE_LISTING,
    LAYOUT_CHANGED,
    TRUNCATED,
    classify_failure,
    count_error,
)
from crawler.parsing import control_bytes, is_truncated_html
from storage import open_db
from storage.offers import known_source_ids, touch_offers
from storage.runs import listing_baseline
from storage.unread import forget, note_unread, to_read_again

TRUE_WORDS = {"1", "true", "yes", "on", "oui"}
# Request meta: the request is for an offer page (its failure is noted, to read it again next run).
OFFER_PAGE = "veille_offer_page"
# Offer pages are read before the next listing page: a listing read ahead of its offers would queue every
# offer of the site in memory (a request and its card each: some 60 MB for 20,000 offers).
OFFER_PAGE_PRIORITY = 1
# An offer page the site says is gone: not read again.
GONE_STATUSES = (404, 410)
# More control bytes than this (NUL, ESC...) in an HTML page: binary garbage, not a page to read.
MAX_CONTROL_BYTES = 32
# A crawl of the whole listing that saw less than this share of the offers the last complete crawl
# saw (and at least SHORTFALL_MIN fewer) is not complete, unless the next one confirms the count.
SHORTFALL_SHARE = 0.5
SHORTFALL_MIN = 5


def user_agent(contact: str) -> str:
    contact_part = f"contact: {contact}" if contact else "contact not configured"
    return f"veille/{__version__} (public-sector job offer watcher; {contact_part})"


def config_from_settings(settings) -> Config:
    try:
        return load_config(settings.get("VEILLE_CONFIG") or None)
    except ConfigError as error:
        raise UsageError(str(error), print_help=False) from None


def apply_config(settings, config: Config) -> None:
    """Layer veille.toml on Scrapy's settings at "spider" priority: above the
    project's settings.py (which the crawler process re-applies at "project"
    priority after this runs), below ``scrapy crawl -s NAME=value``."""
    http = config.http
    values = {
        "USER_AGENT": user_agent(config.contact),
        "VEILLE_DB": str(config.database_path),
        "DOWNLOAD_DELAY": http.delay,
        "AUTOTHROTTLE_START_DELAY": max(http.delay, 0.1),
        "DOWNLOAD_TIMEOUT": http.timeout,
        "RETRY_TIMES": http.retries,
        "VEILLE_MAX_RETRY_AFTER": http.max_retry_after,
        "HTTPCACHE_ENABLED": http.cache,
        "HTTPCACHE_DIR": http.cache_dir,
        "HTTPCACHE_EXPIRATION_SECS": http.cache_expiration,
    }
    for name, value in values.items():
        settings.set(name, value, priority="spider")


def parse_since(value) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise UsageError(f"since: {value!r} is not a date like 2026-11-24", print_help=False) from None


class VeilleSpider(scrapy.Spider):
    """Base of every source's spider.

    Arguments (``-a name=value`` or ``veille crawl --full --since DATE``): ``full=1``
    ignores stop-at-known and re-reads every offer; ``since=YYYY-MM-DD`` limits a
    recrawl to what was published since that date (each source says how).
    """

    # Set when paging stopped at max_pages while more pages existed.
    listing_truncated = False
    # The real site's address. Links that name it are followed on ``base_url`` (its
    # ``[sources.<name>]`` base_url): the real site itself, or a replay on 127.0.0.1 in
    # the tests and the demo.
    real_site: re.Pattern | None = None
    base_url = ""

    def __init__(self, *args, full: str | bool = False, since: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.full = full is True or str(full).strip().lower() in TRUE_WORDS
        self.since = parse_since(since)

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        apply_config(settings, config_from_settings(settings))

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config_from_settings(crawler.settings)
        spider.db = open_db(
            crawler.settings.get("VEILLE_DB") or spider.config.database_path, progress=spider.logger.warning
        )
        spider.run_id = None
        # Offers the listings showed, known or new (how complete the listing is: crawler/extensions.py).
        spider.listed = set()
        spider.said_no_offer = False
        spider.reading_again: set[str] = set()
        crawler.signals.connect(spider._offer_page_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider._offer_page_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._offer_page_not_stored, signal=signals.item_error)
        crawler.signals.connect(spider._offer_page_not_stored, signal=signals.spider_error)
        return spider

    def local(self, url: str) -> str:
        """A link as this crawl follows it: on ``base_url`` when it names the real site or is
        relative to it."""
        if url.startswith("/"):
            return self.base_url + url
        return self.real_site.sub(self.base_url, url) if self.real_site else url

    def run_options(self) -> dict:
        return {"full": self.full, "since": self.since, "pid": os.getpid()}

    def known_ids(self) -> set[str]:
        """Source ids already stored; empty in full mode, so everything is re-read."""
        return set() if self.full else known_source_ids(self.db, self.name)

    def listing_complete(self) -> bool:
        """Whether this run, if it finishes ok, saw every offer the source lists, so
        that an offer it did not see is missing from the source (storage/lifecycle.py):
        a --full run, not limited by --since, not stopped at max_pages."""
        return self.full and not self.since and not self.listing_truncated

    def store_pending(self, key: tuple[str, str] | None = None) -> None:
        """Commit the offers the storage pipeline still holds (it stores them in batches: crawler/pipelines.py;
        only if offer ``key`` is one of them, when given), before reading the database for offers this
        crawl may have just scraped. Replaced by the pipeline when it opens."""

    def listing_shortfall(self) -> str | None:
        """Why a crawl that read the whole listing (listing_complete) is not complete all the same:
        it saw far fewer offers than the last complete crawl, and the previous run did not find
        the same short count (which would say the site did shrink). None when it is complete."""
        listed = len(self.listed)
        if not self.listing_complete() or (not listed and self.said_no_offer):
            return None
        previous, flagged = listing_baseline(self.db, self.name, self.run_id, INCOMPLETE_LISTING)
        if previous is None or listed >= previous * SHORTFALL_SHARE or previous - listed < SHORTFALL_MIN:
            return None
        if flagged is not None and abs(flagged - listed) <= max(2, listed // 10):
            return None
        return f"the listing showed {listed} offers, the last complete crawl {previous}: not a complete crawl"

    def note_listed(self, source_ids) -> None:
        """Offers a listing page shows, known or new."""
        self.listed.update(source_id for source_id in source_ids if source_id)

    def mark_seen(self, source_ids) -> None:
        """Stored offers seen on a listing and not read again are still there."""
        ids = [source_id for source_id in source_ids if source_id]
        if ids:
            touch_offers(self.db, self.name, ids, run_id=self.run_id)

    # -- offer pages, read again until stored --------------------------------------------------

    def offer_request(self, url: str, callback, cb_kwargs: dict) -> scrapy.Request:
        """A request for an offer page. If it fails in any way (an error answer, a page that is not
        the offer, an offer dropped on its way to the database), the page is noted and read again
        by the next run (storage/unread.py); ``cb_kwargs`` must hold plain data (JSON)."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_request_error,
            cb_kwargs=cb_kwargs,
            meta={OFFER_PAGE: True},
            priority=OFFER_PAGE_PRIORITY,
        )

    def read_again(self):
        """Requests for the offer pages earlier runs failed to read: a run starts with them."""
        for row in to_read_again(self.db, self.name):
            callback = getattr(self, row["callback"], None)
            if callback is None:  # read by a method that no longer exists
                forget(self.db, self.name, [row["url"]])
                continue
            self.reading_again.add(row["url"])
            yield self.offer_request(row["url"], callback, row["cb_kwargs"])

    @staticmethod
    def _requested_url(request) -> str:
        return (request.meta.get("redirect_urls") or [request.url])[0]

    def _offer_page_failed(self, request, error: str) -> None:
        if request is None or not request.meta.get(OFFER_PAGE) or request.callback is None:
            return
        note_unread(
            self.db,
            self.name,
            self._requested_url(request),
            callback=request.callback.__name__,
            cb_kwargs=request.cb_kwargs,
            error=error,
            run_id=self.run_id,
        )

    def _offer_page_stored(self, item, response, spider) -> None:
        url = self._requested_url(response.request) if response is not None and response.request else None
        if url in self.reading_again:
            forget(self.db, self.name, [url])
            self.reading_again.discard(url)

    def _offer_page_dropped(self, item, response, exception, spider) -> None:
        self._offer_page_failed(getattr(response, "request", None), f"{exception}")

    def _offer_page_not_stored(self, failure, response, spider, item=None) -> None:
        self._offer_page_failed(
            getattr(response, "request", None), f"{failure.value.__class__.__name__}: {failure.value}"
        )

    # -- errors ---------------------------------------------------------------------------

    def count_error(self, error_class: str, message: str, url: str | None = None) -> None:
        self.logger.error("%s: %s (%s)", error_class, message, url)
        count_error(self.crawler.stats, error_class, message, url)

    def on_request_error(self, failure):
        """Errback of every request: count the failure by class; stop at a block. An offer page
        that failed is read again next run, unless the site says it is gone."""
        error_class, message = classify_failure(failure)
        self.count_error(error_class, message, failure.request.url)
        gone = isinstance(failure.value, HttpError) and failure.value.response.status in GONE_STATUSES
        if gone and failure.request.meta.get(OFFER_PAGE):
            forget(self.db, self.name, [self._requested_url(failure.request)])
        elif not gone:
            self._offer_page_failed(failure.request, f"{error_class}: {message}")
        if error_class == BLOCKED:
            raise CloseSpider(BLOCKED)

    def page_is_whole(self, response) -> bool:
        """A page cut short, or with binary garbage in it, is an error, never parsed."""
        if is_truncated_html(response.body):
            self.page_error(TRUNCATED, "page has no closing </html>", response)
            return False
        # UTF-16 and UTF-32 text is full of NUL bytes; other encodings have none in a page.
        wide = response.encoding.lower().startswith(("utf-16", "utf-32"))
        garbage = 0 if wide else control_bytes(response.body)
        if garbage > MAX_CONTROL_BYTES:
            self.page_error(GARBLED, f"page has {garbage} control bytes: binary garbage", response)
            return False
        return True

    def page_error(self, error_class: str, message: str, response) -> None:
        """A page that cannot be read: counted; an offer page is read again next run."""
        self.count_error(error_class, message, response.url)
        self._offer_page_failed(response.request, f"{error_class}: {message}")

    def layout_changed(self, message: str, response) -> None:
        self.page_error(LAYOUT_CHANGED, message, response)
