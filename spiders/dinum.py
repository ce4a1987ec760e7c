"""design.numerique.gouv.fr/recrutement/, the openings of the DINUM's design team (DesignGouv).

Two layouts have been live, both read:

- Gridsome, offers from markdown (2020-2022): listing ``ul.jobs li a`` (an
  ``h3`` title and a ``p`` contract); offer page ``.cover h1``, ``div.about``
  "Informations générales" (``<strong>Contrat : </strong><span>…</span>``,
  Durée, Début, Localisation), ``div.details`` (the rendered markdown) and
  "Cette offre a été publiée le <span>…</span>.";
- DSFR, offers from Airtable (2022-2025): listing ``.fr-card--horizontal``
  (``h2.fr-card__title a``, badges, tags); offer page ``h1.dg-cover__title``,
  ``.fr-badge`` "Contrat : …" badges, "Date de publication : …" and a link to
  the offer on Place de l'emploi public (now CSP).

Since 2024 the page says "Aucun poste ouvert pour le moment.": a valid empty run.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy
from w3lib.url import safe_url_string

from crawler.boards import dsfr
from crawler.items import OfferItem
from crawler.parsing import clean, contacts_from_text, element_text, find_emails
from crawler.spider import VeilleSpider
from storage.french import label_key, parse_date, parse_date_after
from storage.places import locate

EMPLOYER = "Direction interministérielle du numérique (DINUM)"
NO_OFFER_TEXT = re.compile(r"aucun poste|aucune offre|pas de poste", re.IGNORECASE)
_PUBLISHED = re.compile(r"(?:publi[ée]+e? le|date de publication\s*:)\s*([^\n.]+)", re.IGNORECASE)


def slug_from_url(url: str) -> str:
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    return segments[-1] if segments else url


def parse_listing(response) -> list[dict]:
    """The offers a listing page shows, in either layout: url, title, contract, badges, tags."""
    offers = []
    for link in response.css("ul.jobs li a[href]"):
        offers.append(
            {
                "url": response.urljoin(link.attrib["href"].strip()),
                "title": clean(" ".join(link.css("h3 ::text").getall())),
                "contract": clean(" ".join(link.css("p ::text").getall())),
            }
        )
    for card in response.css(".fr-card--horizontal"):
        shown = dsfr.parse_card(card)
        if shown["url"]:
            shown["url"] = response.urljoin(shown["url"])
            offers.append(shown)
    return offers


def _information(response) -> dict[str, str]:
    """The "Informations générales" list (Gridsome) or the badges (DSFR), label -> value."""
    info = {}
    for item in response.css("div.about li"):
        label = clean(" ".join(item.css("strong ::text").getall()))
        value = clean(
            " ".join(item.xpath("./*[not(self::strong)]//text() | ./*[not(self::strong)]/text() | ./text()").getall())
        )
        if label and value:
            info[label.rstrip(" :")] = value
    for badge in response.css(".fr-badge"):
        text = element_text(badge.root) or ""
        label, sep, value = text.partition(":")
        if sep and clean(value):
            info.setdefault(label.strip(), clean(value))
    return info


def _details(response):
    """The offer's own text: ``div.details`` (Gridsome) or the DSFR content section."""
    for query in ("div.details", ".dg-content"):
        found = response.css(query)
        if found:
            return found[0]
    return None


def parse_offer(response) -> OfferItem | None:
    """An offer page of either layout; None when it has neither layout's markers."""
    title = clean(" ".join(response.css(".cover h1 ::text, h1.dg-cover__title ::text").getall()))
    details = _details(response)
    info = _information(response)
    if not title or details is None:
        return None
    by_label = {label_key(label): value for label, value in info.items()}
    page_text = element_text((response.css("main") or response.xpath("//body"))[0].root) or ""
    published_match = _PUBLISHED.search(page_text)
    if not info and not published_match:
        return None  # the listing page has the same cover and content blocks, but no offer facts
    published_on = parse_date(published_match.group(1)) if published_match else None
    found_sections = dsfr.sections(details)
    place = by_label.get("localisation")
    mailtos = [href for href in details.xpath(".//a[starts-with(@href, 'mailto:')]/@href").getall()]
    emails = find_emails(" ".join(href[7:] for href in mailtos)) or find_emails(element_text(details.root))
    csp_link = response.xpath(
        "//a[contains(., 'Place de l') or contains(@href, 'place-emploi-public') or contains(@href, "
        "'choisirleservicepublic')]/@href"
    ).get()

    raw = dict(info)
    raw.update(found_sections)
    raw["Texte de l'offre"] = element_text(details.root)
    if published_match:
        raw["Publication"] = clean(published_match.group(0))
    about = response.css("div.about")
    if about:
        raw["Informations générales"] = element_text(about[0].root)
    if csp_link:
        raw["Annonce sur Place de l'emploi public"] = csp_link
    apply_url = csp_link or (f"mailto:{emails[0]}" if emails else None)
    return OfferItem(
        source="dinum",
        source_id=slug_from_url(response.url),
        url=response.url,
        title=title,
        employer=EMPLOYER,
        contract=by_label.get("contrat"),
        location=place,
        department=located.department if (located := locate(place)) else None,
        remote="Oui" if place and "télétravail" in place.lower() else None,
        published_on=published_on,
        vacancy_date=parse_date_after(by_label.get("debut"), published_on),
        missions=dsfr.section_text(found_sections, "missions"),
        profile=dsfr.section_text(found_sections, "profile"),
        contacts=contacts_from_text(" ".join(emails)) if emails else [],
        apply_url=safe_url_string(apply_url) if apply_url else None,
        raw=raw,
    )


class DinumSpider(VeilleSpider):
    name = "dinum"
    real_site = re.compile(r"^https?://design\.numerique\.gouv\.fr(?=/|$)")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source_config = spider.config.sources.dinum
        spider.base_url = spider.source_config.base_url.rstrip("/")
        return spider

    def run_options(self) -> dict:
        return {**super().run_options(), "base_url": self.base_url}

    def listing_complete(self) -> bool:
        # One listing page, read in full on every run: an offer it no longer shows is gone.
        return True

    async def start(self):
        self.known = self.known_ids()
        for request in self.read_again():
            yield request
        yield scrapy.Request(
            self.base_url + self.source_config.listing_path, callback=self.parse_listing, errback=self.on_request_error
        )

    def parse_listing(self, response):
        if not self.page_is_whole(response):
            return
        offers = parse_listing(response)
        if not offers:
            text = " ".join(response.xpath("//main//text()").getall() or response.xpath("//body//text()").getall())
            if NO_OFFER_TEXT.search(text):
                self.said_no_offer = True
                self.logger.info("no opening: %s", clean(NO_OFFER_TEXT.search(text).group(0)))
            else:
                self.layout_changed(
                    'listing has no offer (ul.jobs li a, .fr-card--horizontal) and does not say "Aucun poste ouvert"',
                    response,
                )
            return
        self.note_listed(slug_from_url(card["url"]) for card in offers)
        self.mark_seen(slug_from_url(card["url"]) for card in offers if slug_from_url(card["url"]) in self.known)
        for card in offers:
            if slug_from_url(card["url"]) in self.known:
                continue
            yield self.offer_request(self.local(card["url"]), self.parse_detail, {"card": card})

    def parse_detail(self, response, card: dict):
        if not self.page_is_whole(response):
            return
        offer = parse_offer(response)
        if offer is None:
            self.layout_changed(
                "offer page has neither layout (.cover h1 + div.details, h1.dg-cover__title + .dg-content)", response
            )
            return
        if not offer.contract and card.get("contract"):
            offer.contract = card["contract"]
        offer.raw["listing_card"] = {key: value for key, value in card.items() if value and key != "url"}
        yield offer
