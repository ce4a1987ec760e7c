"""veille's Scrapy project: settings, the offer item, pipelines, middlewares, extensions, the base
spider, the board parsers, the configuration and source health."""

__version__ = "0.1.0"
