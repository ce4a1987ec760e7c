"""veille's Scrapy project: settings, items, pipelines, middlewares, extensions, CLI."""

__version__ = "0.1.0"
