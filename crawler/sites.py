"""Official careers pages configured in veille.toml, one spider each, without code.

::

    [[sources.site]]
    name = "ademe"
    start_urls = ["https://www.ademe.fr/nous-rejoindre/offres/"]
    offer_link_pattern = "/offres/[^/]+/$"

Scrapy only lists spider classes found in ``SPIDER_MODULES``;
:class:`VeilleSpiderLoader` (``SPIDER_LOADER_CLASS``) adds one class per
configured site, read from the same configuration as the rest of veille
(the ``VEILLE_CONFIG`` setting or environment variable, else ./veille.toml),
so ``scrapy list``, ``scrapy crawl <name>`` and ``veille crawl <name>`` all
see them. The configuration is read when the spiders are first listed or
loaded, where Scrapy turns a usage error into one line and exit code 2.
"""

from __future__ import annotations

from scrapy.exceptions import UsageError
from scrapy.spiderloader import SpiderLoader

from crawler.config import ConfigError, load_config
from crawler.officialsite import OfficialSiteSpider


class SiteConfigError(ConfigError, UsageError):
    """A ``[[sources.site]]`` mistake: one line for ``veille`` (ConfigError) and for ``scrapy`` (UsageError)."""

    def __init__(self, message: str):
        super().__init__(message, print_help=False)


class SiteSpider(OfficialSiteSpider):
    """The spider of one ``[[sources.site]]``; :func:`site_spider_class` names it."""

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        site = next((site for site in spider.config.sources.site if site.name == cls.name), None)
        if site is None:
            raise SiteConfigError(f"sources.site: no site named {cls.name!r} in the configuration any more")
        spider.site = site
        spider.hints = site.css
        spider.default_employer = site.employer
        return spider

    @property
    def settings_section(self):
        return self.site

    def run_options(self) -> dict:
        return {**super().run_options(), "start_urls": self.site.start_urls}

    def start_requests_for_listings(self):
        for url in self.site.start_urls:
            yield self.listing_request(url)


def site_spider_class(name: str) -> type[SiteSpider]:
    class_name = "Site_" + "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
    return type(
        class_name,
        (SiteSpider,),
        {"name": name, "__module__": __name__, "__doc__": f"The configured site {name!r} ([[sources.site]])."},
    )


class VeilleSpiderLoader(SpiderLoader):
    """The project's spiders plus one per configured ``[[sources.site]]``."""

    def __init__(self, settings):
        self._config_path = settings.get("VEILLE_CONFIG") or None
        self._sites_added = False
        super().__init__(settings)

    def _add_sites(self) -> None:
        if self._sites_added:
            return
        try:
            config = load_config(self._config_path)
        except ConfigError as error:
            raise SiteConfigError(str(error)) from None
        label = str(config.source_path) if config.source_path else "config"
        for index, site in enumerate(config.sources.site):
            if site.name in self._spiders:
                raise SiteConfigError(
                    f"{label}: sources.site[{index}].name: {site.name!r} is the name of a built-in source; choose "
                    "another name"
                )
            self._spiders[site.name] = site_spider_class(site.name)
        self._sites_added = True

    def load(self, spider_name: str):
        self._add_sites()
        return super().load(spider_name)

    def list(self) -> list[str]:
        self._add_sites()
        return super().list()

    def find_by_request(self, request) -> list[str]:
        self._add_sites()
        return super().find_by_request(request)
