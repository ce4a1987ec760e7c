"""``scrapy crawl`` that checks veille's spider arguments before the engine starts.

A bad ``-a since=…`` raised in the spider's constructor reaches Scrapy as a
traceback; checked here, it is one usage line and exit code 2, as ``veille crawl``
gives."""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.spider import parse_since


class Command(ScrapyCrawl):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        parse_since((opts.spargs or {}).get("since"))
