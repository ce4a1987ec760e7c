"""Official careers pages: a listing of offers (cards, plain lists, paging) and offer pages.

:class:`OfficialSiteSpider` is the crawl shared by the DITP's spider
(spiders/modernisation.py) and the spiders veille.toml configures with
``[[sources.site]]`` (crawler/sites.py). An offer link goes one of three ways:

- to a job board veille knows (CSP, Passerelles, HelloWork): fetched there and
  parsed by that board's parser (crawler.boards);
- to a document (PDF, Word): the offer is what the card or link says;
- anywhere else: the page is parsed by :func:`parse_offer_page` (CSS hints of
  the config first, then its JSON-LD ``JobPosting``, then its DSFR markup).

A listing with no offer link is an error unless the page says there is none.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy

from crawler.boards import (
    board_fetch_url,
    board_for_url,
    board_named,
    dsfr,
    jsonld,
    parse_board_offer,
)
from crawler.items import OFFER_FIELDS, OfferItem
from crawler.parsing import clean, element_text
from crawler.spider import VeilleSpider
from storage.french import parse_date
from storage.places import locate

DATE_FIELDS = ("published_on", "deadline", "vacancy_date")
# Fields a CSS hint may set (SiteCss in crawler.source_settings).
HINT_FIELDS = ("title", "employer", "location", "contract", "published_on", "deadline", "missions", "profile")


def offer_id_from_url(url: str, *, with_host: bool = False) -> str:
    """A stable id from an offer URL: its last path segment (and query), with the host for outside pages."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    last = segments[-1] if segments else ""
    last += f"?{parts.query}" if parts.query else ""
    if with_host or not last:
        return f"{parts.hostname}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")
    return last


def hinted_fields(response, hints) -> dict:
    """Fields read with the configured CSS selectors (``[sources.site.css]``)."""
    found = {}
    for name in HINT_FIELDS:
        selector = getattr(hints, name, None) if hints is not None else None
        if not selector:
            continue
        text = clean("\n".join(filter(None, (element_text(node.root) for node in response.css(selector)))))
        if text:
            found[name] = parse_date(text) if name in DATE_FIELDS else text
    if "location" in found:
        located = locate(found["location"])
        found["department"] = located.department if located else None
    return {name: value for name, value in found.items() if value}


def parse_offer_page(
    response, *, source: str, source_id: str | None = None, hints=None, employer: str | None = None
) -> OfferItem | None:
    """An offer page of any official site: CSS hints, then JSON-LD JobPosting, then DSFR markup.

    None when the page has no title, or neither a JobPosting nor any section of offer text."""
    posting = jsonld.job_posting(response)
    from_json = jsonld.offer_fields(posting) if posting else {"raw": {}}
    from_page = dsfr.page_fields(response)
    from_hints = hinted_fields(response, hints)
    raw = {**from_page.pop("raw"), **from_json.pop("raw")}
    merged = {}
    for name in OFFER_FIELDS:
        if name == "contract":
            # JSON-LD's employmentType says full or part time; the page says CDI, CDD, stage.
            value = from_hints.get(name) or from_page.get(name) or from_json.get(name)
        else:
            value = from_hints.get(name) or from_json.get(name) or from_page.get(name)
        if value:
            merged[name] = value
    if not merged.get("title") or not (posting or merged.get("missions") or merged.get("profile")):
        return None
    if from_hints:
        raw["css"] = {name: value for name, value in from_hints.items()}
    merged.pop("source_id", None)
    return OfferItem(
        **{
            **merged,
            "source": source,
            "source_id": source_id or offer_id_from_url(response.url),
            "url": response.url,
            "employer": merged.get("employer") or employer,
            "raw": raw,
        }
    )


def card_offer(card: dict, url: str, *, source: str, employer: str | None = None) -> OfferItem:
    """An offer known only from its card or link text (its page is a document, or unreadable)."""
    text = card.get("description") or card.get("detail")
    badges = card.get("badges") or []
    contract = next((badge for badge in badges + (card.get("tags") or []) if dsfr.CONTRACT_WORDS.search(badge)), None)
    return OfferItem(
        source=source,
        source_id=offer_id_from_url(url, with_host=True),
        url=url,
        title=card["title"],
        employer=employer,
        contract=contract,
        missions=text,
        raw={"card": {key: value for key, value in card.items() if value}},
    )


class OfficialSiteSpider(VeilleSpider):
    """Listing pages -> offer links -> offers. Subclasses set ``settings_section``
    (offer_link_pattern, no_offer_text, max_pages, stop_after_known) and may set
    ``hints`` (CSS) and ``default_employer``."""

    hints = None
    default_employer: str | None = None

    @property
    def settings_section(self):
        raise NotImplementedError

    async def start(self):
        self.known = self.known_ids()
        self.known_streak = 0
        for request in self.read_again():
            yield request
        for request in self.start_requests_for_listings():
            yield request

    def start_requests_for_listings(self):
        raise NotImplementedError

    def listing_request(self, url: str, *, page: int = 1, depth: int = 0) -> scrapy.Request:
        return scrapy.Request(
            self.local(url),
            callback=self.parse_listing,
            errback=self.on_request_error,
            cb_kwargs={"page": page, "depth": depth},
        )

    # -- listing ------------------------------------------------------------------------

    def offer_links(self, response, content) -> list[dict]:
        """Cards and list links that are offers: every card title link; a list link
        when it matches the offer-link pattern or is a known board's offer."""
        pattern = re.compile(self.settings_section.offer_link_pattern, re.IGNORECASE)
        if self.hints is not None and self.hints.offer_links:
            links = [
                {"url": a.attrib.get("href", "").strip(), "title": element_text(a.root)}
                for a in response.css(self.hints.offer_links)
            ]
            return [link for link in links if link["url"]]
        cards = dsfr.offer_cards(content)
        links = list(cards)
        for link in dsfr.list_links(content):
            absolute = response.urljoin(link["url"])
            if board_for_url(absolute) or pattern.search(absolute):
                links.append(link)
        if not cards:
            # A careers page without cards or lists: any link of the content that looks like an offer.
            listed = {link["url"] for link in links}
            for anchor in content.xpath(".//a[@href]"):
                href = anchor.attrib["href"].strip()
                absolute = response.urljoin(href)
                if (
                    href not in listed
                    and not anchor.xpath(dsfr.CHROME)
                    and (board_for_url(absolute) or pattern.search(absolute))
                ):
                    links.append({"url": href, "title": element_text(anchor.root)})
                    listed.add(href)
        unique, seen = [], set()
        for link in links:
            absolute = response.urljoin(link["url"])
            if (
                absolute not in seen
                and absolute.rstrip("/") != response.url.rstrip("/")
                and not link["url"].startswith(("#", "mailto:", "javascript:"))
            ):
                seen.add(absolute)
                unique.append(link)
        return unique

    def says_no_offer(self, content) -> bool:
        text = " ".join(content.xpath(".//text()").getall())
        return bool(re.search(self.settings_section.no_offer_text, text, re.IGNORECASE))

    def on_listing_without_offers(self, response, content, page: int, depth: int):
        """A listing page with no offer link: fine if it says so, else a layout error.
        Returns the requests to make instead (none here)."""
        if self.says_no_offer(content):
            self.said_no_offer = True
            self.logger.info("%s says there is no offer", response.url)
        else:
            self.layout_changed(
                "listing has no offer link (DSFR card, list link matching offer_link_pattern) and does not say there "
                "is none",
                response,
            )
        return []

    def parse_listing(self, response, page: int, depth: int):
        if not self.page_is_whole(response):
            return
        content = dsfr.main_content(response)
        links = self.offer_links(response, content)
        if not links:
            yield from self.on_listing_without_offers(response, content, page, depth)
            return
        site_host = urlsplit(response.url).netloc
        for link in links:
            url = response.urljoin(self.local(response.urljoin(link["url"])))
            request_or_offer = self._follow_offer(link, url, site_host)
            if request_or_offer is not None:
                yield request_or_offer
        section = self.settings_section
        if self.known_streak >= section.stop_after_known:
            self.logger.info("%d offers in a row already known, not paging further", self.known_streak)
            return
        following = self.hints.next_page if self.hints is not None and self.hints.next_page else None
        next_url = (
            response.urljoin(response.css(following).attrib.get("href", ""))
            if following and response.css(following)
            else dsfr.next_page(response)
        )
        if next_url and next_url != response.url and page < section.max_pages:
            yield self.listing_request(next_url, page=page + 1, depth=depth)
        elif next_url and next_url != response.url:
            self.listing_truncated = True
            self.logger.warning("stopped at max_pages=%d, more pages exist", section.max_pages)
        elif not next_url and (announced := dsfr.announced_pages(response) or 0) > page:
            self.layout_changed(
                f"the pagination announces {announced} pages but page {page} has no next link (DSFR pagination, "
                'rel=next, "page suivante")',
                response,
            )

    def _seen(self, known: bool) -> bool:
        self.known_streak = self.known_streak + 1 if known else 0
        return known

    def _follow_offer(self, link: dict, url: str, site_host: str):
        board = board_for_url(url)
        if board is not None:
            self.note_listed([board.number(url) or url])
            if self._seen(board.is_known(url, self.known)):
                return None
            return self.offer_request(
                board_fetch_url(board, url, self.config),
                self.parse_board_page,
                {"board_name": board.name, "url": url, "card": link},
            )
        external = urlsplit(url).netloc != site_host
        source_id = offer_id_from_url(url, with_host=external)
        if dsfr.is_document(url):
            self.note_listed([offer_id_from_url(url, with_host=True)])
            if self._seen(offer_id_from_url(url, with_host=True) in self.known) or not link.get("title"):
                return None
            return card_offer(link, url, source=self.name, employer=self.default_employer)
        self.note_listed([source_id])
        if self._seen(source_id in self.known):
            return None
        return self.offer_request(url, self.parse_offer, {"card": link, "source_id": source_id, "external": external})

    # -- offers -------------------------------------------------------------------------

    def parse_board_page(self, response, board_name: str, url: str, card: dict):
        if not self.page_is_whole(response):
            return
        board = board_named(board_name)
        problem = board.page_problem(response, url)
        if problem:
            self.layout_changed(f"{board_name}: {problem}", response)
            return
        offer = parse_board_offer(board, response, source=self.name, url=url)
        if offer is None:
            self.layout_changed(f"{board_name} offer page has none of the fields its parser reads", response)
            return
        yield self._with_card(offer, card)

    def parse_offer(self, response, card: dict, source_id: str, external: bool):
        if not self.page_is_whole(response):
            return
        offer = parse_offer_page(
            response, source=self.name, source_id=source_id, hints=self.hints, employer=self.default_employer
        )
        if offer is None and external and card.get("title"):
            # A page of another site that veille cannot read: the card still tells of the offer.
            self.logger.warning("cannot read %s; keeping what the listing says", response.url)
            offer = card_offer(card, response.url, source=self.name, employer=self.default_employer)
        if offer is None:
            self.layout_changed(
                "offer page has no title with a JobPosting or offer sections (h1, missions, profile)", response
            )
            return
        yield self._with_card(offer, card)

    @staticmethod
    def _with_card(offer: OfferItem, card: dict) -> OfferItem:
        if not offer.title and card.get("title"):
            offer.title = card["title"]
        shown = {key: value for key, value in card.items() if value and key != "url"}
        if shown:
            offer.raw["listing_card"] = shown
        return offer
