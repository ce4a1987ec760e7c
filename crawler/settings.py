"""Scrapy settings for veille.

Only what does not depend on the user's veille.toml lives here; the spiders'
``update_settings`` layers the configuration on top (see crawler.spider), so
``scrapy crawl`` and ``veille crawl`` behave the same.
"""

from crawler import __version__

BOT_NAME = "veille"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` checks veille's spider arguments before starting (crawler/commands/crawl.py).
COMMANDS_MODULE = "crawler.commands"
# Adds one spider per [[sources.site]] of veille.toml to those of SPIDER_MODULES.
SPIDER_LOADER_CLASS = "crawler.sites.VeilleSpiderLoader"

# Politeness is part of correctness.
ROBOTSTXT_OBEY = True
USER_AGENT = f"veille/{__version__} (public-sector job offer watcher; contact not configured)"
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "fr-FR,fr;q=0.9",
}

# CSP listing pages weigh ~4.5 MB (the search facets are embedded) and can be slow.
DOWNLOAD_TIMEOUT = 180
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 520, 522, 524, 408]
VEILLE_RETRY_BASE_DELAY = 2.0
VEILLE_RETRY_MAX_DELAY = 120.0
VEILLE_MAX_RETRY_AFTER = 300.0

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadMetaRefreshMiddleware": 580,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.BlockPageMiddleware": 560,
    "crawler.middlewares.CharsetMiddleware": 570,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ValidationPipeline": 100,
    "crawler.pipelines.DowngradeGuardPipeline": 300,
    "crawler.pipelines.StoragePipeline": 500,
}

# The storage pipeline commits offers in batches (crawler/pipelines.py): this many at most, or those that
# came within this many seconds of the first one waiting.
VEILLE_STORE_BATCH = 50
VEILLE_STORE_DELAY = 1.0
# An offer page's response stays in Scrapy's scraper slot until its offer's batch is committed; Scrapy
# stops downloading past 5 MB of them by default, fewer than a batch of CSP pages (213 KB each).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 24_000_000

EXTENSIONS = {
    "crawler.extensions.RunLedger": 100,
    "crawler.extensions.Progress": 200,
    "crawler.extensions.QuietCollector": 300,
}
VEILLE_PROGRESS_INTERVAL = 0

# Optional HTTP cache (veille.toml [http] cache = true); RFC 2616 so that
# a recrawl revalidates instead of trusting stale pages.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_DIR = ".scrapy/httpcache"

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
