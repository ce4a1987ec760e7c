"""Crawl extensions: the run ledger, progress lines, and errors Scrapy only logs."""

from __future__ import annotations

import gc
import sys
import time
from collections import Counter

from scrapy import signals
from twisted.internet import task

from crawler.errors import (
    INCOMPLETE_LISTING,
    ITEM_ERROR,
    SAMPLES_KEY,
    SPIDER_EXCEPTION,
    count_error,
    errors_from_stats,
)
from crawler.items import OFFER_FIELDS
from storage.runs import FAILED, INTERRUPTED, OK, finish_run, start_run

COVERAGE_PREFIX = "veille/coverage/"


def field_coverage(stats: dict) -> dict[str, float]:
    """Share of the run's offers that had each field filled."""
    items = stats.get("item_scraped_count", 0)
    if not items:
        return {}
    return {name: round(stats.get(COVERAGE_PREFIX + name, 0) / items, 3) for name in OFFER_FIELDS}


def run_summary(stats: dict) -> dict:
    return {
        "pages": stats.get("veille/pages", 0),
        "items": stats.get("item_scraped_count", 0),
        "new": stats.get("veille/offers/new", 0),
        "updated": stats.get("veille/offers/updated", 0),
        "unchanged": stats.get("veille/offers/unchanged", 0),
        "dropped": stats.get("item_dropped_count", 0),
        "errors": errors_from_stats(stats),
    }


class RunLedger:
    """Opens a row in ``runs`` when a spider starts and closes it with the counts,
    errors and field coverage when it stops. Any counted error, or a stop other than a normal finish,
    makes the run failed; Ctrl-C / SIGTERM makes it interrupted."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.filled: Counter[str] = Counter()  # offers stored with each field filled
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        spider.run_id = start_run(spider.db, spider.name, spider.run_options())

    def response_received(self, response, request, spider):
        if not request.url.endswith("/robots.txt"):
            self.crawler.stats.inc_value("veille/pages")

    def item_scraped(self, item, response, spider):
        # Counted here, put in the stats when the run closes: a stats call a field of every offer cost more.
        for name, value in item.items():
            if value not in (None, "", [], {}):
                self.filled[name] += 1

    def spider_error(self, failure, response, spider):
        count_error(
            self.crawler.stats, SPIDER_EXCEPTION, f"{failure.value.__class__.__name__}: {failure.value}", response.url
        )

    def item_error(self, item, response, spider, failure):
        url = item.get("url") if isinstance(item, dict) else getattr(item, "url", None)
        count_error(self.crawler.stats, ITEM_ERROR, f"{failure.value.__class__.__name__}: {failure.value}", url)

    def spider_closed(self, spider, reason):
        for name, count in self.filled.items():
            self.crawler.stats.inc_value(COVERAGE_PREFIX + name, count)
        self.filled.clear()
        stats = self.crawler.stats.get_stats()
        if reason == "finished" and not errors_from_stats(stats):
            shortfall = spider.listing_shortfall()
            if shortfall:
                count_error(self.crawler.stats, INCOMPLETE_LISTING, shortfall)
        summary = run_summary(stats)
        if reason == "shutdown":
            status = INTERRUPTED
        elif summary["errors"] or reason != "finished":
            status = FAILED
        else:
            status = OK
        finish_run(
            spider.db,
            spider.run_id,
            status=status,
            reason=reason,
            error_samples=stats.get(SAMPLES_KEY, []),
            field_coverage=field_coverage(stats),
            complete=status == OK and spider.listing_complete(),
            listed=len(spider.listed),
            **summary,
        )
        self.crawler.stats.set_value("veille/run_id", spider.run_id)
        self.crawler.stats.set_value("veille/status", status)


class Progress:
    """A progress line on stderr every ``VEILLE_PROGRESS_INTERVAL`` seconds (0 = off)."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self.started = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getfloat("VEILLE_PROGRESS_INTERVAL", 0))

    def spider_opened(self, spider):
        if self.interval > 0:
            self.started = time.monotonic()
            self.task = task.LoopingCall(self.report, spider)
            self.task.start(self.interval, now=False)

    def report(self, spider):
        summary = run_summary(self.crawler.stats.get_stats())
        errors = sum(summary["errors"].values())
        elapsed = time.monotonic() - self.started
        print(
            f"{spider.name}: {elapsed:.0f}s, {summary['pages']} pages, {summary['items']} offers "
            f"({summary['new']} new, {summary['updated']} updated), {errors} errors",
            file=sys.stderr,
            flush=True,
        )

    def spider_closed(self, spider, reason):
        if self.task and self.task.running:
            self.task.stop()


class QuietCollector:
    """Keeps Python's cyclic garbage collector off what the crawl set up before its first request.

    A full collection walks every object the process holds, and a crawl holds well over 100,000 that never
    die (Scrapy, pydantic, lxml, veille's modules and tables): walked some twenty times in a 2,000-offer
    crawl, they were a tenth of its CPU. Once the crawl's engine starts, what is alive is collected once,
    then frozen (``gc.freeze``: left out of later collections); the last crawl of the process to stop
    unfreezes it, so that a process that crawls again and again (``veille schedule``) frees what it no
    longer uses.

    While crawls run, a young-generation collection waits for ``YOUNG_THRESHOLD`` new objects instead of 700:
    a page makes hundreds that live until their offer's batch is stored (the item, its raw, the response's
    bookkeeping), which a collection every 700 walked again and again (0.15 ms a page); the pages themselves
    leave no reference cycle, so memory does not grow (measured: the same peak RSS)."""

    YOUNG_THRESHOLD = 10_000
    running = 0  # crawls of this process between engine start and stop
    thresholds: tuple[int, int, int] | None = None  # the collector's, before the first crawl started

    def __init__(self, crawler):
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_started(self):
        if QuietCollector.running == 0:
            gc.collect()
            gc.freeze()
            QuietCollector.thresholds = gc.get_threshold()
            young, *older = QuietCollector.thresholds
            gc.set_threshold(max(young, self.YOUNG_THRESHOLD), *older)
        QuietCollector.running += 1

    def engine_stopped(self):
        QuietCollector.running = max(0, QuietCollector.running - 1)
        if QuietCollector.running == 0:
            gc.unfreeze()
            if QuietCollector.thresholds:
                gc.set_threshold(*QuietCollector.thresholds)
                QuietCollector.thresholds = None
