"""The labelled relevance set as offers: every labelled posting read the way veille reads it.

The labels are people's (tests/fixtures/relevance: ``labels.tsv`` for the shared postings,
``labels-extra.tsv`` for real pages and posts already among the fixtures, see its
LABELS-EXTRA.md); this module only turns each labelled item into the offer dict a spider
would store, so the scorer learns from what it will be shown. Pages go through veille's own
parsers (CSP cards and offer pages); plain texts (the shared postings, beta.gouv.fr and
DINUM Markdown posts, the target offers) are split into their title, employer and sections.
Parsing is not labelling: nothing here looks at a label.

It reads files of a checkout (``tests/fixtures``): `veille relevance train` and the tests use
it, a running veille never does.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.boards.csp import parse_card, parse_offer
from crawler.items import validate_offer
from crawler.parsing import clean

CHECKOUT_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
CSP_SITE = "https://choisirleservicepublic.gouv.fr"
CSP_LIST_URL = f"{CSP_SITE}/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/"
CSP_OFFER_URL = f"{CSP_SITE}/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"


@dataclass(frozen=True)
class Example:
    """One labelled item: the offer as veille would store it, and what a person said of it."""

    item: str  # the labels file's item (a path under tests/fixtures, or NNNN.txt of the shared postings)
    offer: dict
    label: int  # 1: a transformation role (GUIDE.md)
    borderline: bool
    group: str  # copies of one job share it: never split across folds
    labelled_by: str


class LabelledSetMissing(Exception):
    """The labelled files are not where they were looked for (an installed veille has none)."""


# -- plain texts -------------------------------------------------------------------------------------


def front_matter(text: str) -> tuple[dict, str]:
    """A Markdown post's YAML front matter (``{}`` when unreadable) and its body."""
    import yaml  # the [relevance] extra: only training and the tests read Markdown posts

    match = re.match(r"^\ufeff?---\r?\n(.*?)\r?\n---\r?\n?(.*)$", text, re.S)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        data = {}
    return (data if isinstance(data, dict) else {}), match.group(2)


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)(?:\{[^}]*\})?")
_MARKDOWN_MARKS = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s*|>\s?)|\*\*|__|`|<!--.*?-->")


def markdown_text(text: str) -> str | None:
    """Markdown as the text a reader sees: link labels without their targets, no marks."""
    return clean(_MARKDOWN_MARKS.sub("", _MARKDOWN_LINK.sub(r"\1", text)))


def between(text: str, start: str, end: str | None) -> str | None:
    """The text after ``start`` and before ``end`` (exclusive; the end of the text when None)."""
    begin = text.index(start) + len(start)
    stop = text.index(end, begin) if end else len(text)
    return clean(text[begin:stop])


def betagouv_title(data: dict, body: str, name: str) -> str:
    for key in ("title", "roles"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.split(" # ")[0].strip().strip('"')
    heading = re.search(r"^#+\s*(.+)$", body, re.M)
    return heading.group(1).strip() if heading else name


def betagouv_offer(path: Path) -> dict:
    """A beta.gouv.fr job post (front matter and Markdown body)."""
    data, body = front_matter(path.read_text(encoding="utf-8"))
    startup = data.get("startup") if isinstance(data.get("startup"), str) else None
    contract = data.get("contrat")
    return validate_offer(
        {
            "source": "betagouv",
            "source_id": path.name,
            "url": f"https://beta.gouv.fr/recrutement/{re.sub(r'[^A-Za-z0-9._-]+', '-', path.stem)}",
            "title": clean(betagouv_title(data, body, path.stem)) or path.stem,
            "employer": f"beta.gouv.fr ({startup})" if startup else "beta.gouv.fr",
            "contract": contract if isinstance(contract, str) and contract.strip() else None,
            "missions": clean(body) or None,
        }
    )


_PROFILE_HEADING = re.compile(r"profil|comp[ée]tences|savoirs", re.I)
_APPLY_HEADING = re.compile(r"rejoindre|candidat", re.I)


def dinum_markdown_offer(path: Path) -> dict:
    """A post of design.numerique.gouv.fr's Markdown source: missions up to the profile, the
    profile up to how to apply."""
    data, body = front_matter(path.read_text(encoding="utf-8"))
    missions, profile, current = [], [], None
    current = missions
    for part in re.split(r"(?m)^(?=## )", body):
        heading = part.splitlines()[0] if part.startswith("## ") else ""
        if _APPLY_HEADING.search(heading):
            current = None
        elif _PROFILE_HEADING.search(heading):
            current = profile
        elif heading:
            current = missions
        if current is not None:
            current.append(part)
    slug = data.get("slug") or path.name.removesuffix(".md")
    return validate_offer(
        {
            "source": "dinum",
            "source_id": str(slug),
            "url": f"https://design.numerique.gouv.fr/recrutement/{slug}",
            "title": clean(str(data.get("title") or slug)),
            "employer": "DINUM",
            "contract": data.get("type") if isinstance(data.get("type"), str) else None,
            "missions": markdown_text("\n".join(missions)),
            "profile": markdown_text("\n".join(profile)),
        }
    )


def posting_offer(path: Path) -> dict:
    """A posting of the shared set: its header (url, source, title, employer, published), then its text.
    A Journal officiel notice keeps its text in ``raw["texte"]`` as the JO spider does."""
    head, _, text = path.read_text(encoding="utf-8").partition("\n---\n")
    header = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in head.splitlines())
    source = header.get("source") or "other"
    text = clean(text)
    offer = {
        "source": source,
        "source_id": path.name,
        "url": header.get("url") or f"posting:{path.name}",
        "title": clean(header.get("title")) or path.stem,
        "employer": clean(header.get("employer")),
        "published_on": header.get("published") or None,
        "missions": text,
    }
    if source == "jorf":
        offer["raw"] = {"texte": text}
    return validate_offer(offer)


# -- pages, read by veille's parsers ----------------------------------------------------------------


def _csp_cards(path: Path, url: str) -> list[dict]:
    page = HtmlResponse(url=url, body=path.read_bytes())
    cards = []
    for card in page.css(".fr-card--offer"):
        data = {key: value for key, value in parse_card(card).items() if value is not None}
        logo = data.pop("logo", None)  # no offer field: kept in raw, as the spider keeps the card
        raw = {"listing_card": {"logo": logo}} if logo else {}
        cards.append(validate_offer({"source": "choisirleservicepublic", **data, "raw": raw}))
    return cards


@lru_cache(maxsize=8)
def csp_list_cards(fixtures: Path) -> list[dict]:
    """The real CSP listing page's 20 cards, in page order."""
    return _csp_cards(fixtures / "choisirleservicepublic" / "list-page.html", CSP_LIST_URL)


@lru_cache(maxsize=8)
def csp_recommended_cards(fixtures: Path) -> list[dict]:
    """The cards of the real CSP offer page's « offres recommandées » block, in page order."""
    return _csp_cards(fixtures / "choisirleservicepublic" / "offer-state.html", CSP_OFFER_URL)


@lru_cache(maxsize=8)
def csp_offer_page(fixtures: Path) -> dict:
    path = fixtures / "choisirleservicepublic" / "offer-state.html"
    return validate_offer(parse_offer(HtmlResponse(url=CSP_OFFER_URL, body=path.read_bytes())))


@lru_cache(maxsize=8)
def target_offers(fixtures: Path) -> dict[str, dict]:
    """The five offers users want, as the spiders of their boards would store them: the title,
    employer, place and dates each page shows, its missions and profile sections as text."""
    read = {path.name[:3]: path.read_text(encoding="utf-8") for path in (fixtures / "target-offers").glob("0*.txt")}
    t000, t001, t002, t003, t004 = (read[key] for key in ("000", "001", "002", "003", "004"))
    offers = {
        "000": {
            "source": "hellowork",
            "source_id": "6d968f518513c664",
            "url": "https://www.hellowork.com/fr-fr/emplois/6d968f518513c664.html",
            "title": "Chef du Pôle Voix de l'Usager H/F - Ministère de la Transformation et de la Fonction publiques",
            "employer": "Ministère de la Transformation et de la Fonction publiques",
            "contract": "CDI",
            "location": "Paris - 75",
            "department": "75",
            "published_on": "2025-07-26",
            "missions": between(t000, "Les missions du poste", "Le profil recherché"),
            "profile": between(t000, "Le profil recherché", "Postuler sur le site du recruteur\n\nCes offres"),
        },
        "001": {
            "source": "passerelles",
            "source_id": "2024-17971",
            "url": "https://www.passerelles.economie.gouv.fr/offre-de-emploi/imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx",
            "title": "Chef de projets innovation et transformation publique H/F",
            "employer": "Direction interministérielle de la transformation publique (DITP)",
            "versant": "État",
            "category": "A",
            "location": "SGAR Pays de la Loire - Etat'LIN– Préfecture de région – Nantes – 6 quai Ceineray – 44000 "
            "NANTES",
            "department": "44",
            "region": "Pays de Loire",
            "remote": "Oui",
            "published_on": "2025-04-18",
            "deadline": "2025-05-22",
            "vacancy_date": "2025-06-01",
            "domain": "Direction et pilotage des politiques publiques - Conseillère experte / Conseiller expert de "
            "cabinet",
            "missions": between(t001, "Descriptif de l'employeur\n", "Description du profil recherché"),
            "profile": between(t001, "Description du profil recherché", "Temps Plein"),
            "contacts": [
                {"email": "julie.garde@pays-de-la-loire.gouv.fr"},
                {"email": "innovation-territoriale.ditp@modernisation.gouv.fr"},
            ],
        },
        "002": {
            "source": "dinum",
            "source_id": "charge-mission-design",
            "url": "https://design.numerique.gouv.fr/recrutement/charge-mission-design",
            "title": "Chargée ou chargé de mission design des services numériques",
            "employer": "DINUM",
            "contract": "CDD",
            "published_on": "2021-04-12",
            "vacancy_date": "2021-05-03",
            "missions": between(t002, "## Descriptif du poste", "## Profil recherché"),
            "profile": between(t002, "## Profil recherché", "## Pour nous rejoindre"),
            "contacts": [{"email": "marine.boudeau@modernisation.gouv.fr"}],
        },
        "003": {
            "source": "dinum",
            "source_id": "charge-e-mission-observatoire",
            "url": "https://design.numerique.gouv.fr/recrutement/charge-e-mission-observatoire",
            "title": "Chargé-e de mission « observatoire de la qualité des démarches en ligne »",
            "employer": "DINUM",
            "contract": "CDD ou fonctionnaire",
            "published_on": "2021-11-30",
            "missions": between(t003, "## Descriptif du poste", "## Compétences"),
            "profile": between(t003, "## Compétences", "## Pour candidater"),
            "contacts": [{"email": "marine.boudeau@modernisation.gouv.fr"}],
        },
        "004": {
            "source": "jorf",
            "source_id": "JORF-0191-2021-08-18-sgar-occitanie",
            "url": "https://www.legifrance.gouv.fr/jorf/jo/2021/08/18/0191",
            "title": "Avis de vacance d'un emploi de chargé de mission auprès du préfet de région Occitanie en charge "
            "de la mission transformation et innovation publique",
            "employer": "Secrétariat général pour les affaires régionales d'Occitanie",
            "organisation": "Préfecture de la région Occitanie",
            "versant": "État",
            "category": "A",
            "location": "Toulouse",
            "department": "31",
            "region": "Occitanie",
            "published_on": "2021-08-18",
            "vacancy_date": "2021-10-01",
            "missions": between(t004, "Intérêt du poste", "Compétences et qualités attendues"),
            "profile": between(t004, "Compétences et qualités attendues", "Modalités de candidature"),
            "raw": {"texte": between(t004, "Avis\n", None)},
        },
    }
    return {key: validate_offer(offer) for key, offer in offers.items()}


_TARGET_COPIES = {"hellowork/target-000.txt": "000", "passerelles/target-001.txt": "001"}


def offer_of_item(fixtures: Path, item: str) -> dict:
    """The offer an item of ``labels-extra.tsv`` names (a path under ``fixtures``, ``#card-N`` for a card)."""
    path, _, anchor = item.partition("#")
    if path.startswith("betagouv-jobs/"):
        return betagouv_offer(fixtures / path)
    if path.startswith("dinum/markdown/"):
        return dinum_markdown_offer(fixtures / path)
    if path.startswith("target-offers/"):
        return target_offers(fixtures)[Path(path).name[:3]]
    if path in _TARGET_COPIES:
        return target_offers(fixtures)[_TARGET_COPIES[path]]
    if path == "choisirleservicepublic/list-page.html" and anchor.startswith("card-"):
        return csp_list_cards(fixtures)[int(anchor.removeprefix("card-")) - 1]
    if path == "choisirleservicepublic/offer-state.html" and anchor.startswith("recommended-card-"):
        return csp_recommended_cards(fixtures)[int(anchor.removeprefix("recommended-card-")) - 1]
    if path == "choisirleservicepublic/offer-state.html" and not anchor:
        return csp_offer_page(fixtures)
    raise ValueError(f"labels-extra.tsv: no reader for item {item!r}")


# -- the set ---------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def relevance_dir(fixtures: Path) -> Path:
    return fixtures / "relevance"


def labelled_set(fixtures: Path | None = None) -> list[Example]:
    """Every labelled item as an :class:`Example`: the shared postings, then labels-extra.tsv's items."""
    fixtures = Path(fixtures or CHECKOUT_FIXTURES)
    folder = relevance_dir(fixtures)
    if not (folder / "labels.tsv").is_file():
        raise LabelledSetMissing(
            f"no labelled set in {folder} (labels.tsv): run from a checkout of veille's repository"
        )
    groups = {row["item"]: row["group"] for row in _rows(folder / "groups.tsv") if row.get("group")}
    examples = [
        Example(
            item=row["item"],
            offer=posting_offer(folder / "postings" / row["item"]),
            label=int(row["label"]),
            borderline=row["borderline"] == "1",
            group=groups.get(row["item"]) or f"posting:{row['item']}",
            labelled_by="the shared set's authors (GUIDE.md)",
        )
        for row in _rows(folder / "labels.tsv")
    ]
    extra = folder / "labels-extra.tsv"
    if extra.is_file():
        examples.extend(
            Example(
                item=row["item"],
                offer=offer_of_item(fixtures, row["item"]),
                label=int(row["label"]),
                borderline=row["borderline"] == "1",
                group=row.get("group") or f"item:{row['item']}",
                labelled_by=row.get("labelled_by") or "",
            )
            for row in _rows(extra)
        )
    return examples


def labelled_files(fixtures: Path | None = None) -> list[Path]:
    """The files the labelled set is read from: the labels, then every item's file, sorted."""
    fixtures = Path(fixtures or CHECKOUT_FIXTURES)
    folder = relevance_dir(fixtures)
    files = {folder / name for name in ("labels.tsv", "labels-extra.tsv", "groups.tsv") if (folder / name).is_file()}
    for row in _rows(folder / "labels.tsv"):
        files.add(folder / "postings" / row["item"])
    if (folder / "labels-extra.tsv").is_file():
        for row in _rows(folder / "labels-extra.tsv"):
            files.add(fixtures / row["item"].partition("#")[0])
    return sorted(files)


def labelled_set_sha256(fixtures: Path | None = None) -> str:
    """The hash of every labelled file (name and bytes): which data a model was trained on."""
    fixtures = Path(fixtures or CHECKOUT_FIXTURES)
    digest = hashlib.sha256()
    for path in labelled_files(fixtures):
        digest.update(path.relative_to(fixtures).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
