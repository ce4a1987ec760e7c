"""choisirleservicepublic.gouv.fr (CSP), the State's main job board: the crawl.

One keyword search a configured keyword, newest first, so paging stops after K
consecutive offers already stored; each new offer page is read by the board's
parser (crawler/boards/csp.py).
"""

from __future__ import annotations

import re

import scrapy

from crawler.boards.csp import (
    NO_OFFER_TEXT,
    listing_cards,
    next_page_link,
    offer_page_problem,
    page_text,
    page_tree,
    parse_card,
    parse_offer,
    search_path,
)
from crawler.boards.dsfr import announced_pages
from crawler.spider import VeilleSpider


class ChoisirLeServicePublicSpider(VeilleSpider):
    name = "choisirleservicepublic"
    real_site = re.compile(r"^https?://(www\.)?choisirleservicepublic\.gouv\.fr(?=/|$)")
    # Scrapy starts CONCURRENT_ITEMS tasks (100 by default) for what each response gives, whatever it gives:
    # 0.4 ms of CPU a page. A page of this site gives one offer at most (a listing gives requests only).
    custom_settings = {"CONCURRENT_ITEMS": 1}

    def __init__(self, *args, keywords: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # -a keywords="a,b" replaces the configured searches for one run.
        self.keywords_override = [k.strip() for k in keywords.split(",") if k.strip()] if keywords else None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source_config = spider.config.sources.choisirleservicepublic
        spider.base_url = spider.source_config.base_url.rstrip("/")
        spider.keywords = spider.keywords_override or spider.source_config.keywords
        return spider

    def run_options(self) -> dict:
        return {**super().run_options(), "keywords": self.keywords, "base_url": self.base_url}

    def listing_complete(self) -> bool:
        # -a keywords=... searches something else than the configured listing.
        return super().listing_complete() and not self.keywords_override

    async def start(self):
        self.known = self.known_ids()
        for request in self.read_again():
            yield request
        for keyword in self.keywords:
            yield self._listing_request(keyword, page=1, known_streak=0)

    def _listing_request(self, keyword: str, page: int, known_streak: int, url: str | None = None) -> scrapy.Request:
        cfg = self.source_config
        return scrapy.Request(
            url or self.base_url + search_path(keyword, cfg.localisations, cfg.categories, page),
            callback=self.parse_listing,
            errback=self.on_request_error,
            cb_kwargs={"keyword": keyword, "page": page, "known_streak": known_streak},
            # Same listing from two keywords is not a duplicate to drop silently.
            dont_filter=True,
        )

    def parse_listing(self, response, keyword: str, page: int, known_streak: int):
        if not self.page_is_whole(response):
            return
        tree = page_tree(response)
        cards = listing_cards(tree)
        if not cards:
            if NO_OFFER_TEXT.search(page_text(tree)):
                self.said_no_offer = True
                self.logger.info("no offer for %r (page %d)", keyword, page)
            else:
                self.layout_changed(
                    "listing has no offer card (li.item .fr-card--offer) and does not say there is none", response
                )
            return
        stop_after = self.source_config.stop_after_known
        in_window = 0
        for card_element in cards:
            card = parse_card(card_element)
            if not card["url"] or not card["source_id"]:
                self.layout_changed(f"card without an offer link: {card['title']!r}", response)
                continue
            self.note_listed([card["source_id"]])
            if self.since:
                # --since: re-read every offer published in the window, known or not.
                if card["published_on"] and card["published_on"] < self.since:
                    continue
                in_window += 1
            elif card["source_id"] in self.known:
                known_streak += 1
                self.mark_seen([card["source_id"]])
                continue
            known_streak = 0
            yield self.offer_request(response.urljoin(self.local(card["url"])), self.parse_detail, {"card": card})
        if self.since and not in_window:
            self.logger.info(
                "%r: no offer published since %s on page %d, not paging further", keyword, self.since, page
            )
            return
        if known_streak >= stop_after:
            self.logger.info("%r: %d offers in a row already known, not paging further", keyword, known_streak)
            return
        next_link = next_page_link(tree)
        if next_link and page < self.source_config.max_pages:
            yield self._listing_request(keyword, page + 1, known_streak, url=response.urljoin(self.local(next_link)))
        elif next_link:
            self.listing_truncated = True
            self.logger.warning("%r: stopped at max_pages=%d, more pages exist", keyword, page)
        elif (announced := announced_pages(response) or 0) > page:
            # A pagination that says there is more, without the link to it: the link changed, not the listing.
            self.layout_changed(
                f"the pagination announces {announced} pages but page {page} has no next link "
                "(a.fr-pagination__link--next)",
                response,
            )

    def parse_detail(self, response, card: dict):
        if not self.page_is_whole(response):
            return
        problem = offer_page_problem(response, card.get("source_id"))
        if problem:
            self.layout_changed(problem, response)
            return
        offer = parse_offer(response)
        if offer is None:
            self.layout_changed(
                "offer page has none of its markers (main[data-reference], #content_*, JSON-LD)", response
            )
            return
        for name in (
            "title",
            "employer",
            "employer_kind",
            "location",
            "department",
            "versant",
            "domain",
            "published_on",
        ):
            if not getattr(offer, name) and card.get(name):
                setattr(offer, name, card[name])
        offer.raw["listing_card"] = {key: value for key, value in card.items() if value}
        yield offer
