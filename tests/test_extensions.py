"""The crawl keeps the garbage collector off what it set up before its first request, and gives it back
when the last crawl of the process stops (a process that crawls again and again must free what it drops); it
reads offer pages before the next listing page, so that its queue holds a page of offers, not the site's."""

import gc

from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler.extensions import QuietCollector


def test_what_exists_when_crawls_start_is_frozen_until_the_last_one_stops():
    QuietCollector.running = 0
    first, second = get_crawler(), get_crawler()
    extensions = [QuietCollector.from_crawler(crawler) for crawler in (first, second)]  # signals hold weak refs
    before = gc.get_threshold()
    try:
        first.signals.send_catch_log(signals.engine_started)
        assert gc.get_freeze_count() > 10_000  # the modules, Scrapy, pydantic...
        assert gc.get_threshold() == (QuietCollector.YOUNG_THRESHOLD, *before[1:])  # young objects collected less often
        second.signals.send_catch_log(signals.engine_started)  # a second crawl of the same process
        first.signals.send_catch_log(signals.engine_stopped)
        assert gc.get_freeze_count() > 10_000  # the other crawl still runs
        assert gc.get_threshold()[0] == QuietCollector.YOUNG_THRESHOLD
        second.signals.send_catch_log(signals.engine_stopped)
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == before
    finally:
        del extensions
        gc.unfreeze()
        gc.set_threshold(*before)
        QuietCollector.running = 0
        QuietCollector.thresholds = None


def test_a_crawl_of_the_project_runs_with_it():
    from scrapy.utils.project import get_project_settings

    assert "crawler.extensions.QuietCollector" in get_project_settings().getdict("EXTENSIONS")


def test_offer_pages_are_read_before_the_next_listing_page():
    # Scrapy reads the newest request first: a listing page read ahead of its offers would queue the
    # site's every offer in memory.
    import scrapy

    from crawler.spider import VeilleSpider

    spider = VeilleSpider(name="test")
    offer_page = spider.offer_request("https://example.org/offre/1", spider.on_request_error, {"card": {}})
    next_listing = scrapy.Request("https://example.org/offres?page=2", callback=spider.parse)
    assert offer_page.priority > next_listing.priority
