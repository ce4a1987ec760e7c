"""HelloWork (hellowork.com) offer pages, where public employers' offers are syndicated.

``/fr-fr/emplois/<number>.html``. The page carries a schema.org ``JobPosting``
(read first, see crawler.boards.jsonld) but not the contract type, which is a tag of
the page (``ul.tw-flex li``: "Paris - 75", "CDI"). Without JSON-LD everything
comes from the page: ``[data-cy=jobTitle]``, the company link, "Publié le …",
and the ``#offer-panel`` sections ("Les missions du poste", "Le profil
recherché"), cut by an "Afficher la suite" button that only hides text.
"""

from __future__ import annotations

import re

from crawler.boards import jsonld
from crawler.items import OfferItem
from crawler.parsing import clean, element_text, link_url
from storage.french import label_key, parse_date

BOARD = "hellowork"
NUMBER_IN_URL = re.compile(r"/emplois/(\d+)\.html")
# "Paris - 75", "Lyon 3e - 69"
_PLACE_TAG = re.compile(r"^(?P<town>.+?)\s+-\s+(?P<department>\d{2,3}|2[AB])$")
_CONTRACT_TAG = re.compile(
    r"^(CDI|CDD|Stage|Alternance|Intérim|Interim|Freelance|Indépendant|Fonctionnaire|Contractuel|Apprentissage)\b",
    re.IGNORECASE,
)
# Text of the page's own widgets, not of the offer.
_WIDGET_LINES = re.compile(r"^(Afficher la suite|Voir moins|Postuler sur le site du recruteur|Postuler)$")

SECTION_FIELDS = {"les missions du poste": "missions", "le profil recherche": "profile"}


def number_from_url(url: str) -> str | None:
    match = NUMBER_IN_URL.search(url)
    return match.group(1) if match else None


def _without_widgets(text: str | None) -> str | None:
    if not text:
        return None
    return clean("\n".join(line for line in text.splitlines() if not _WIDGET_LINES.match(line.strip())))


def page_sections(response) -> dict[str, str]:
    """Section heading -> full text, from ``#offer-panel`` (or the whole page). The
    whole section is read: the part behind "Afficher la suite" is in the page too."""
    panel = response.css("#offer-panel") or response.xpath("//body")
    found = {}
    for block in panel.xpath(".//section | .//details"):
        heading = block.xpath(".//h2 | ./summary")[:1]
        if not heading:
            continue
        title = element_text(heading[0].root)
        whole = element_text(block.root) or ""
        text = _without_widgets(whole[len(title) :] if title and whole.startswith(title) else whole)
        if title and text:
            found[title] = text
    return found


def parse_offer(response, source: str = BOARD) -> OfferItem | None:
    """A HelloWork offer page; None when it has neither a JobPosting nor a job title."""
    posting = jsonld.job_posting(response)
    fields = jsonld.offer_fields(posting) if posting else {"raw": {}}
    title = clean(" ".join(response.css("[data-cy='jobTitle'] ::text").getall()))
    if not title and not fields.get("title"):
        return None
    company = clean(" ".join(response.xpath("//h1//a[contains(@href, '/entreprises/')]//text()").getall()))
    tags = [clean(" ".join(li.xpath(".//text()").getall())) for li in response.css("ul.tw-flex li")]
    tags = [tag for tag in tags if tag]
    place = next((tag for tag in tags if _PLACE_TAG.match(tag)), None)
    contract = next((tag for tag in tags if _CONTRACT_TAG.match(tag)), None)
    published = re.search(r"Publi[ée]+e? le\s+([^\n<]{6,30})", " ".join(response.xpath("//body//text()").getall()))
    sections = page_sections(response)
    by_key = {SECTION_FIELDS.get(label_key(name)): text for name, text in sections.items()}

    raw = fields.pop("raw")
    raw.update(sections)
    if tags:
        raw["tags"] = tags
    if published:
        raw["Publié le"] = clean(published.group(1))
    # JSON-LD first, the page fills what it lacks; the contract (CDI/CDD) only the page has.
    json_contract = fields.pop("contract", None)
    if json_contract:
        raw["employmentType"] = json_contract
    place_match = _PLACE_TAG.match(place) if place else None
    apply = response.xpath("//a[@id='postuler' or normalize-space(.)='Postuler sur le site du recruteur']/@href").get()
    return OfferItem(
        source=source,
        source_id=number_from_url(response.url) or fields.get("source_id") or response.url,
        url=response.url,
        title=fields.get("title") or title,
        employer=fields.get("employer") or company,
        contract=contract or json_contract,
        location=fields.get("location") or place,
        department=fields.get("department") or (place_match.group("department") if place_match else None),
        region=fields.get("region"),
        remote=fields.get("remote"),
        salary=fields.get("salary"),
        published_on=fields.get("published_on") or (parse_date(published.group(1)) if published else None),
        deadline=fields.get("deadline"),
        domain=fields.get("domain"),
        missions=fields.get("missions") or by_key.get("missions"),
        profile=fields.get("profile") or by_key.get("profile"),
        apply_url=link_url(response.url, apply),
        raw=raw,
    )
