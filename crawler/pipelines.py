"""Item pipelines: validate every offer, refuse a broken page's version of a stored offer, then store it
(deduplicated) in SQLite, in batches."""

from __future__ import annotations

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.errors import INVALID_ITEM, LAYOUT_CHANGED, count_error
from crawler.items import InvalidOffer, downgrade, validate_offer
from storage.grouping import Thresholds
from storage.offers import UpsertResult, get_offer, store_offers


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


class DowngradeGuardPipeline:
    """Never lets a page that lost most of an offer's fields replace the stored version (a broken or
    half-rendered page, not an edit): the stored version is kept, the error counted, and the page is
    read again next run (crawler.spider)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        # The version to compare with may be waiting in the storage pipeline's batch: commit it first.
        self.crawler.spider.store_pending((item["source"], item["source_id"]))
        stored = get_offer(self.crawler.spider.db, item["source"], item["source_id"])
        problem = downgrade(stored, item) if stored else None
        if problem:
            count_error(self.crawler.stats, LAYOUT_CHANGED, problem, item.get("url"))
            raise DropItem(problem)
        return item


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
    those that came within ``VEILLE_STORE_DELAY`` seconds of the first one waiting, whichever comes first.

    An offer counts as scraped (Scrapy's ``item_scraped``, which the run ledger, the offer pages read
    again and the JO archive ledger follow) only once its batch is committed: ``process_item`` waits
    for it. A crash loses only offers not committed yet: they are not in the database, and the next
    run reads their pages again (crawler.spider: offers stored by a run that did not finish do not stop
    an everyday run's listing)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.thresholds = None
        self.size = max(1, crawler.settings.getint("VEILLE_STORE_BATCH", 50))
        self.delay = max(0.0, crawler.settings.getfloat("VEILLE_STORE_DELAY", 1.0))
        self.waiting: dict[tuple[str, str], list[tuple[dict, Deferred]]] = {}
        self.count = 0
        self.timer = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        # A spider about to read back an offer it may have just scraped commits the waiting ones first.
        self.crawler.spider.store_pending = self.store_pending

    def close_spider(self, spider=None):
        self.flush()

    async def process_item(self, item):
        await maybe_deferred_to_future(self.add(item))
        return item

    def add(self, item: dict) -> Deferred:
        """Queue ``item`` for the next batch; the Deferred fires with it once its batch is committed (or
        fails with what kept it from being stored)."""
        stored = Deferred()
        self.waiting.setdefault((item["source"], item["source_id"]), []).append((item, stored))
        self.count += 1
        if self.count >= self.size:
            self.flush()
        elif self.timer is None:
            from twisted.internet import reactor  # the one Scrapy installed, once it has: never at import time

            self.timer = reactor.callLater(self.delay, self.flush)
        return stored

    def store_pending(self, key: tuple[str, str] | None = None) -> None:
        """Commit the waiting offers now (only if offer ``key`` is one of them, when given)."""
        if key is None or key in self.waiting:
            self.flush()

    def flush(self) -> None:
        """Store the waiting offers, then tell Scrapy each one's fate."""
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None
        waiting = [entry for entries in self.waiting.values() for entry in entries]
        self.waiting, self.count = {}, 0
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
