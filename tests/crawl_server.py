"""Crawls on demand, for a test that crawls many times (tests/test_reliability_random.py).

``python tests/crawl_server.py SPIDER [NAME=VALUE ...]``, from the repository root with
``VEILLE_CONFIG`` set: one process and one reactor, one crawl of SPIDER for each line read on
stdin (``crawl``, or ``crawl full`` for ``-a full=1``), then ``done <run id>`` on stdout. The
same spider, settings, middlewares, pipelines and extensions as ``scrapy crawl`` (NAME=VALUE
are its ``-s`` settings), without starting Python and Scrapy again for every crawl.
"""

from __future__ import annotations

import os
import sys

from scrapy.utils.reactor import install_reactor

install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")

from scrapy.crawler import CrawlerRunner  # noqa: E402 - after the reactor is chosen
from scrapy.utils.log import configure_logging  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402
from twisted.internet import defer, reactor, threads  # noqa: E402


def main(spider: str, pairs: list[str]) -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for pair in pairs:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    configure_logging(settings)
    runner = CrawlerRunner(settings)

    @defer.inlineCallbacks
    def serve():
        while True:
            line = yield threads.deferToThread(sys.stdin.readline)
            if not line.strip():
                break
            crawler = runner.create_crawler(spider)
            yield runner.crawl(crawler, full="1" if "full" in line.split() else "")
            print(f"done {crawler.stats.get_value('veille/run_id')}", flush=True)
        reactor.stop()

    reactor.callWhenRunning(serve)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
