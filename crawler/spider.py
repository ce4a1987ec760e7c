"""What every veille spider shares: configuration, database, full mode, error counting."""

from __future__ import annotations

import datetime as dt
import os
import re

import scrapy
from scrapy.exceptions import CloseSpider, UsageError

from crawler import __version__
from crawler.config import Config, ConfigError, load_config
from crawler.errors import (
    BLOCKED,
    LAYOUT_CHANGED,
    TRUNCATED,
    classify_failure,
    count_error,
)
from crawler.parsing import is_truncated_html
from storage import open_db
from storage.offers import known_source_ids, touch_offers

TRUE_WORDS = {"1", "true", "yes", "on", "oui"}


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

    def store_pending(self) -> None:
        """Commit the offers the storage pipeline still holds (it stores them in batches: crawler/pipelines.py),
        before reading the database for offers this crawl may have just scraped. Replaced by the pipeline."""

    def mark_seen(self, source_ids) -> None:
        """Stored offers seen on a listing and not read again are still there."""
        ids = [source_id for source_id in source_ids if source_id]
        if ids:
            touch_offers(self.db, self.name, ids, run_id=self.run_id)

    # -- errors ---------------------------------------------------------------------------

    def count_error(self, error_class: str, message: str, url: str | None = None) -> None:
        self.logger.error("%s: %s (%s)", error_class, message, url)
        count_error(self.crawler.stats, error_class, message, url)

    def on_request_error(self, failure):
        """Errback of every request: count the failure by class; stop at a block."""
        error_class, message = classify_failure(failure)
        self.count_error(error_class, message, failure.request.url)
        if error_class == BLOCKED:
            raise CloseSpider(BLOCKED)

    def page_is_whole(self, response) -> bool:
        if is_truncated_html(response.body):
            self.count_error(TRUNCATED, "page has no closing </html>", response.url)
            return False
        return True

    def layout_changed(self, message: str, response) -> None:
        self.count_error(LAYOUT_CHANGED, message, response.url)
