"""Item pipelines: validate every offer, then store it (deduplicated) in SQLite."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.errors import INVALID_ITEM, count_error
from crawler.items import InvalidOffer, validate_offer
from storage.offers import store_offers


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
