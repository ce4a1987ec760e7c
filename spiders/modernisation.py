"""modernisation.gouv.fr, the site of the DITP (Direction interministérielle de la transformation publique).

No capture of its recruitment pages exists, so the spider assumes little:

- recruitment pages: ``[sources.modernisation] start_urls``, else found on the
  home page, as the navigation links whose text or path says recrutement /
  rejoindre / offres d'emploi / carrières. A recruitment page with no offer
  but a link saying "offres d'emploi" or "postes ouverts" is followed one step
  further;
- offers: DSFR cards and plain-list links matching ``offer_link_pattern``,
  paged by the DSFR pagination (crawler.officialsite);
- an offer page on the site is read from its JSON-LD ``JobPosting``, else its
  DSFR markup; an offer published on CSP, Passerelles or HelloWork is read by
  that board's parser and recorded as a DITP offer (see crawler.boards).
"""

from __future__ import annotations

import re

from scrapy import signals

from crawler.errors import LAYOUT_CHANGED
from crawler.officialsite import OfficialSiteSpider
from crawler.parsing import element_text
from storage.french import strip_accents

EMPLOYER = "Direction interministérielle de la transformation publique (DITP)"
# Navigation words that lead to the recruitment pages.
RECRUITMENT_LINK = re.compile(
    r"recrut|rejoindre|offres? d.emploi|emplois?\b|carrieres?|postes? (ouverts|a pourvoir)", re.IGNORECASE
)
# On a recruitment page without offers: the link to the page that lists them.
OFFERS_LINK = re.compile(
    r"offres? d.emploi|nos offres|postes? (ouverts|a pourvoir|vacants)|toutes les offres", re.IGNORECASE
)
MAX_DEPTH = 2


def recruitment_links(response, pattern=RECRUITMENT_LINK) -> list[str]:
    """Absolute URLs of the links whose text or path says recruitment, navigation first."""
    found: list[str] = []
    for query in ("//nav//a[@href]", "//header//a[@href]", "//main//a[@href]", "//footer//a[@href]", "//a[@href]"):
        for anchor in response.xpath(query):
            href = anchor.attrib["href"].strip()
            words = strip_accents(f"{element_text(anchor.root) or ''} {anchor.attrib.get('title', '')} {href}")
            url = response.urljoin(href)
            if (
                pattern.search(words)
                and url not in found
                and not href.startswith(("#", "mailto:"))
                and url.rstrip("/") != response.url.rstrip("/")
            ):
                found.append(url)
    return found


class ModernisationSpider(OfficialSiteSpider):
    name = "modernisation"
    real_site = re.compile(r"^https?://(www\.)?modernisation\.gouv\.fr(?=/|$)")
    default_employer = EMPLOYER

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source_config = spider.config.sources.modernisation
        spider.base_url = spider.source_config.base_url.rstrip("/")
        # Recruitment pages found by their link words are guesses: one of them may be no
        # listing at all. The run is wrong only if none lists an offer or says there is none.
        spider.guessing = not spider.source_config.start_urls
        spider.listing_answered = False
        spider.unclear_pages: list[str] = []
        crawler.signals.connect(spider.check_listings_answered, signal=signals.spider_idle)
        return spider

    @property
    def settings_section(self):
        return self.source_config

    def run_options(self) -> dict:
        return {**super().run_options(), "base_url": self.base_url, "start_urls": self.source_config.start_urls}

    def start_requests_for_listings(self):
        if self.source_config.start_urls:
            for url in self.source_config.start_urls:
                yield self.listing_request(url)
            return
        yield self.listing_request(self.base_url + "/", depth=-1)

    def parse_listing(self, response, page: int, depth: int):
        if depth < 0:
            yield from self.parse_home(response)
            return
        yield from super().parse_listing(response, page, depth)

    def offer_links(self, response, content) -> list[dict]:
        links = super().offer_links(response, content)
        if links:
            self.listing_answered = True
        return links

    def parse_home(self, response):
        """The home page: follow its navigation to the recruitment pages."""
        if not self.page_is_whole(response):
            return
        links = recruitment_links(response)
        if not links:
            self.layout_changed(
                "home page has no navigation link to a recruitment page (recrutement, nous rejoindre, offres d'emploi)",
                response,
            )
            return
        for url in links:
            yield self.listing_request(url, depth=0)

    def on_listing_without_offers(self, response, content, page: int, depth: int):
        if self.says_no_offer(content):
            self.listing_answered = self.said_no_offer = True
            self.logger.info("%s says there is no offer", response.url)
            return []
        further = [url for url in recruitment_links(response, OFFERS_LINK)] if depth < MAX_DEPTH else []
        if further:
            return [self.listing_request(url, depth=depth + 1) for url in further]
        if self.guessing:
            self.unclear_pages.append(response.url)
            return []
        return super().on_listing_without_offers(response, content, page, depth)

    def check_listings_answered(self):
        """At the end (idle): guessed recruitment pages of which none lists an offer nor says there is none."""
        if self.unclear_pages and not self.listing_answered:
            pages = ", ".join(self.unclear_pages[:5])
            self.count_error(
                LAYOUT_CHANGED,
                f"no recruitment page lists an offer or says there is none ({pages})",
                self.unclear_pages[0],
            )
            self.unclear_pages = []
