"""Item pipelines: validate every offer, refuse a broken page's version of a stored offer, then store it
(deduplicated) in SQLite."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.errors import INVALID_ITEM, LAYOUT_CHANGED, count_error
from crawler.items import InvalidOffer, downgrade, validate_offer
from storage.offers import get_offer, store_offers


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
        stored = get_offer(self.crawler.spider.db, item["source"], item["source_id"])
        problem = downgrade(stored, item) if stored else None
        if problem:
            count_error(self.crawler.stats, LAYOUT_CHANGED, problem, item.get("url"))
            raise DropItem(problem)
        return item


class StoragePipeline:
    """Writes each offer at once, in its own transaction, with its job: a crash loses nothing already scraped."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.thresholds = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        spider = self.crawler.spider
        if self.thresholds is None:
            self.thresholds = spider.config.jobs.thresholds()
        # The offer and its place in a job are written together (storage/jobs.py).
        result = store_offers(spider.db, [item], run_id=spider.run_id, thresholds=self.thresholds)
        outcome = result.outcome((item["source"], item["source_id"]))
        self.crawler.stats.inc_value(f"veille/offers/{outcome}")
        return item
