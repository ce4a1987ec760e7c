"""HelloWork (hellowork.com) offer pages, where public employers' offers are syndicated.

``/fr-fr/emplois/<number>.html``. The page carries a schema.org ``JobPosting``
(read first, see crawler.boards.jsonld) but not the contract type, which is a tag
of the page: the list right under the title (``ul.mt-3.flex`` on the real pages,
``ul.tw-flex`` on older ones: "Paris - 75", "CDI"). Without JSON-LD everything
comes from the page: the title (``h1 span``), the company link, "Publiée le …",
and the ``#offer-panel`` sections ("Les missions du poste", "Le profil
recherché", or one "Détail du poste"), cut by an "Afficher la suite" button that
only hides text.

The profile is the posting's own (its "Le profil recherché" section, the JSON-LD
``qualifications``, or the "Le profil idéal" part of a single "Détail du poste"),
never JSON-LD's ``skills``, a list of keywords HelloWork adds.
"""

from __future__ import annotations

import re

from crawler.boards import jsonld
from crawler.items import OfferItem
from crawler.parsing import clean, element_text, fragment_text, link_url
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
# The tags under the title: the first list after the h1 (real pages), or the older tw-flex one.
_TAG_LISTS = "//h1/following-sibling::ul[1]/li | //ul[contains(concat(' ', @class, ' '), ' tw-flex ')]/li"
# Headings inside one "Détail du poste" text: where the missions and the profile start, and what ends them.
_MISSIONS_HEADING = re.compile(r"^(?:les? |vos |votre |la )?missions?(?: du poste)?\s*:?$", re.IGNORECASE)
_PROFILE_HEADING = re.compile(
    r"^(?:le |votre |ton )?profil(?: recherch[ée]| id[ée]al| souhait[ée])?\s*:?$|^qui [eê]tes-vous\s*\??$", re.I
)

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


def description_sections(html: str | None) -> dict[str, str]:
    """A JSON-LD description's ``<h2>`` sections ("Les missions du poste", "Le profil recherché", …)."""
    if not html or "<h2" not in html:
        return {}
    found = {}
    for part in re.split(r"(?=<h2)", html):
        heading = re.match(r"<h2[^>]*>(.*?)</h2>", part, re.S)
        if heading:
            text = fragment_text(part[heading.end() :])
            if text:
                found[clean(fragment_text(heading.group(1)) or "") or ""] = text
    return found


def _is_heading(line: str) -> bool:
    """A line that starts another part of a posting: short, without a sentence ("NOS AVANTAGES",
    "Process de recrutement:")."""
    words = line.rstrip(" :").split()
    return len(words) <= 4 and not line.endswith((".", ";", ",")) and (line.endswith(":") or line.isupper() or
                                                                       line[:1].isupper())  # fmt: skip


def _part(text: str | None, heading: re.Pattern) -> str | None:
    """The lines after a heading line (``heading``) up to the next heading-like line."""
    lines = (text or "").splitlines()
    for index, line in enumerate(lines):
        if heading.match(line.strip()):
            part = []
            for following in lines[index + 1 :]:
                if _is_heading(following.strip()) and part:
                    break
                part.append(following)
            return clean("\n".join(part))
    return None


def parse_offer(response, source: str = BOARD) -> OfferItem | None:
    """A HelloWork offer page; None when it has neither a JobPosting nor a job title."""
    posting = jsonld.job_posting(response)
    fields = jsonld.offer_fields(posting) if posting else {"raw": {}}
    title = clean(" ".join(response.css("[data-cy='jobTitle'] ::text, h1 > span ::text").getall()))
    if not title and not fields.get("title"):
        return None
    company = clean(" ".join(response.xpath("//h1//a[contains(@href, '/entreprises/')]//text()").getall()))
    tags = [clean(" ".join(li.xpath(".//text()").getall())) for li in response.xpath(_TAG_LISTS)]
    tags = list(dict.fromkeys(tag for tag in tags if tag))
    place = next((tag for tag in tags if _PLACE_TAG.match(tag)), None)
    contract = next((tag for tag in tags if _CONTRACT_TAG.match(tag)), None)
    body_text = " ".join(response.xpath("//body//text()").getall())
    # "Publiée le 08/09/2026 - Réf : c79f…", "Publié le 26 juillet 2025"
    published = re.search(r"Publi[ée]+e? le\s+(\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:er)?\s+\w+\s+\d{4})", body_text)
    reference = re.search(r"\bR[ée]f\s*:\s*(\S+)", body_text)
    sections = page_sections(response)
    by_key = {SECTION_FIELDS.get(label_key(name)): text for name, text in sections.items()}
    described = {
        SECTION_FIELDS.get(label_key(name)): text
        for name, text in description_sections(posting.get("description") if posting else None).items()
    }

    raw = fields.pop("raw")
    raw.update(sections)
    if tags:
        raw["tags"] = tags
    if published:
        raw["Publié le"] = clean(published.group(1))
    if reference:
        raw["Réf"] = reference.group(1)
    # JSON-LD first, the page fills what it lacks; the contract (CDI/CDD) only the page has.
    json_contract = fields.pop("contract", None)
    if json_contract:
        raw["employmentType"] = json_contract
    place_match = _PLACE_TAG.match(place) if place else None
    whole = fields.get("missions") or next(iter(sections.values()), None)
    # The page's sections first, then JSON-LD's: its qualifications (one line an item), its description's parts.
    profile = by_key.get("profile") or fields.get("profile") or described.get("profile")
    profile = profile or _part(whole, _PROFILE_HEADING)
    missions = by_key.get("missions") or described.get("missions") or _part(whole, _MISSIONS_HEADING) or whole
    apply = response.xpath("//a[@id='postuler' or normalize-space(.)='Postuler sur le site du recruteur']/@href").get()
    return OfferItem(
        source=source,
        source_id=number_from_url(response.url) or fields.get("source_id") or response.url,
        url=response.url,
        title=fields.get("title") or title,
        employer=fields.get("employer") or company,
        contract=contract or json_contract,
        # The place as the page shows it ("Paris - 75"): JSON-LD's postcode is often a made-up "75000".
        location=place or fields.get("location"),
        department=(place_match.group("department") if place_match else None) or fields.get("department"),
        region=fields.get("region"),
        remote=fields.get("remote"),
        salary=fields.get("salary"),
        published_on=fields.get("published_on") or (parse_date(published.group(1)) if published else None),
        deadline=fields.get("deadline"),
        # The job's field ("Data et IA"), not the company's sector (JSON-LD's industry).
        domain=(jsonld.text_of(posting.get("occupationalCategory")) if posting else None) or fields.get("domain"),
        missions=missions,
        profile=profile,
        apply_url=link_url(response.url, apply),
        raw=raw,
    )
