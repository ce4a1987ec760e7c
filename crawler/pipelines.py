"""Item pipelines: validate every offer, then store it (deduplicated) in SQLite, in batches."""

from __future__ import annotations

from scrapy.exceptions import DropItem
from twisted.internet import defer, reactor

from crawler.errors import INVALID_ITEM, count_error
from crawler.items import InvalidOffer, validate_offer
from storage.grouping import Thresholds
from storage.offers import UpsertResult, store_offers


class ValidationPipeline:
    """Drops an item that does not have the offer shape, counting it with its reason."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        try:
            return validate_offer(item)
        except InvalidOffer as error:
            count_error(
                self.crawler.stats,
                INVALID_ITEM,
                str(error),
                getattr(item, "url", None) if not isinstance(item, dict) else item.get("url"),
            )
            self.crawler.stats.inc_value(f"veille/dropped/{error.reason}")
            raise DropItem(str(error)) from None


def store_batch(db, items: list[dict], *, run_id: int | None, thresholds: Thresholds | None) -> list:
    """Store ``items`` with their jobs in one transaction; each item's outcome (new, updated,
    unchanged), or the exception that kept it from being stored. When the batch cannot be stored (an
    item SQLite refuses), each item is stored on its own, so that one bad item fails alone."""
    try:
        result = store_offers(db, items, run_id=run_id, thresholds=thresholds)
    except Exception:
        if len(items) == 1:
            raise
        return [_stored_alone(db, item, run_id, thresholds) for item in items]
    return [_outcome(result, item) for item in items]


def _stored_alone(db, item: dict, run_id: int | None, thresholds: Thresholds | None):
    try:
        return _outcome(store_offers(db, [item], run_id=run_id, thresholds=thresholds), item)
    except Exception as error:
        return error


def _outcome(result: UpsertResult, item: dict) -> str:
    return result.outcome((item["source"], item["source_id"]))


class StoragePipeline:
    """Stores offers with their jobs in batches: one transaction for ``VEILLE_STORE_BATCH`` offers, or for
    those that came in ``VEILLE_STORE_DELAY`` seconds, whichever comes first.

    An offer counts as scraped (Scrapy's ``item_scraped``, which the run ledger, the offer pages read
    again and the JO archive ledger follow) only once its batch is committed: the pipeline hands Scrapy
    a Deferred fired then. A crash loses only offers not committed yet, which are not in the database,
    so the next run reads their pages again as new."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.thresholds = None
        self.size = max(1, crawler.settings.getint("VEILLE_STORE_BATCH", 50))
        self.delay = max(0.0, crawler.settings.getfloat("VEILLE_STORE_DELAY", 1.0))
        self.waiting: list[tuple[dict, defer.Deferred]] = []
        self.timer = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        stored = defer.Deferred()
        self.waiting.append((item, stored))
        if len(self.waiting) >= self.size:
            self.flush()
        elif self.timer is None:
            self.timer = reactor.callLater(self.delay, self.flush)
        return stored

    def open_spider(self, spider=None):
        # A spider about to read back offers it may have just scraped commits the waiting ones first.
        self.crawler.spider.store_pending = self.flush

    def close_spider(self, spider=None):
        self.flush()

    def flush(self) -> None:
        """Store the waiting offers, then tell Scrapy each one's fate."""
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None
        waiting, self.waiting = self.waiting, []
        if not waiting:
            return
        spider = self.crawler.spider
        if self.thresholds is None:
            self.thresholds = spider.config.jobs.thresholds()
        items = [item for item, _ in waiting]
        try:
            outcomes = store_batch(spider.db, items, run_id=spider.run_id, thresholds=self.thresholds)
        except Exception as error:  # a single offer that could not be stored
            outcomes = [error]
        for (item, stored), outcome in zip(waiting, outcomes):
            if isinstance(outcome, Exception):
                stored.errback(outcome)
            else:
                self.crawler.stats.inc_value(f"veille/offers/{outcome}")
                stored.callback(item)
