"""The crawl keeps the garbage collector off what it set up before its first request, and gives it back
when the last crawl of the process stops (a process that crawls again and again must free what it drops)."""

import gc

from scrapy import signals
from scrapy.utils.test import get_crawler

from crawler.extensions import QuietCollector


def test_what_exists_when_crawls_start_is_frozen_until_the_last_one_stops():
    QuietCollector.running = 0
    first, second = get_crawler(), get_crawler()
    extensions = [QuietCollector.from_crawler(crawler) for crawler in (first, second)]  # signals hold weak refs
    try:
        first.signals.send_catch_log(signals.engine_started)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, Scrapy, pydantic...
        second.signals.send_catch_log(signals.engine_started)  # a second crawl of the same process
        assert gc.get_freeze_count() == frozen
        first.signals.send_catch_log(signals.engine_stopped)
        assert gc.get_freeze_count() == frozen  # the other crawl still runs
        second.signals.send_catch_log(signals.engine_stopped)
        assert gc.get_freeze_count() == 0
    finally:
        del extensions
        gc.unfreeze()
        QuietCollector.running = 0


def test_a_crawl_of_the_project_runs_with_it():
    from scrapy.utils.project import get_project_settings

    assert "crawler.extensions.QuietCollector" in get_project_settings().getdict("EXTENSIONS")
