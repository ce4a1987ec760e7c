"""Real offers as offer dicts (the shape of crawler.items.OfferItem), for the matching
tests and bench/match.py: the five target offers, the beta.gouv.fr job posts and
the CSP listing cards and offer page. Everything is read from tests/fixtures."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from scrapy.http import HtmlResponse

from crawler.boards.csp import parse_card, parse_offer
from crawler.items import validate_offer
from crawler.parsing import clean

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TARGETS = FIXTURES / "target-offers"
BETAGOUV = FIXTURES / "betagouv-jobs"
CSP = FIXTURES / "choisirleservicepublic"
CSP_SITE = "https://choisirleservicepublic.gouv.fr"


def _between(text: str, start: str, end: str | None) -> str | None:
    """The text after the line ``start`` and before the line ``end`` (exclusive)."""
    begin = text.index(start) + len(start)
    stop = text.index(end, begin) if end else len(text)
    return clean(text[begin:stop])


def _front_matter(text: str) -> tuple[dict, str]:
    match = re.match(r"^\ufeff?---\r?\n(.*?)\r?\n---\r?\n?(.*)$", text, re.S)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        data = {}
    return (data if isinstance(data, dict) else {}), match.group(2)


@lru_cache(maxsize=1)
def target_offers() -> dict[str, dict]:
    """The five offers users want, as the spiders of their boards would store them.

    Metadata (title, employer, place, dates, category) is what each page shows;
    missions and profile are the page's own sections.
    """
    read = {path.name[:3]: path.read_text(encoding="utf-8") for path in TARGETS.glob("0*.txt")}
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
            "missions": _between(t000, "Les missions du poste", "Le profil recherché"),
            "profile": _between(t000, "Le profil recherché", "Postuler sur le site du recruteur\n\nCes offres"),
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
            "missions": _between(t001, "Descriptif de l'employeur\n", "Description du profil recherché"),
            "profile": _between(t001, "Description du profil recherché", "Temps Plein"),
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
            "missions": _between(t002, "## Descriptif du poste", "## Profil recherché"),
            "profile": _between(t002, "## Profil recherché", "## Pour nous rejoindre"),
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
            "missions": _between(t003, "## Descriptif du poste", "## Compétences"),
            "profile": _between(t003, "## Compétences", "## Pour candidater"),
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
            "missions": _between(t004, "Intérêt du poste", "Compétences et qualités attendues"),
            "profile": _between(t004, "Compétences et qualités attendues", "Modalités de candidature"),
        },
    }
    return {key: validate_offer(offer) for key, offer in offers.items()}


def _betagouv_title(data: dict, body: str, name: str) -> str:
    for key in ("title", "roles"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.split(" # ")[0].strip().strip('"')
    heading = re.search(r"^#+\s*(.+)$", body, re.M)
    return heading.group(1).strip() if heading else name


@lru_cache(maxsize=1)
def betagouv_offers() -> dict[str, dict]:
    """Every beta.gouv.fr job post, by file name."""
    offers = {}
    for path in sorted(BETAGOUV.iterdir()):
        if path.name == "PROVENANCE.md" or not path.is_file():
            continue
        data, body = _front_matter(path.read_text(encoding="utf-8"))
        startup = data.get("startup") if isinstance(data.get("startup"), str) else None
        offers[path.name] = validate_offer(
            {
                "source": "betagouv",
                "source_id": path.name,
                "url": f"https://beta.gouv.fr/recrutement/{re.sub(r'[^A-Za-z0-9._-]+', '-', path.stem)}",
                "title": clean(_betagouv_title(data, body, path.stem)) or path.stem,
                "employer": f"beta.gouv.fr ({startup})" if startup else "beta.gouv.fr",
                "contract": data.get("contrat")
                if isinstance(data.get("contrat"), str) and data.get("contrat").strip()
                else None,
                "missions": clean(body) or None,
            }
        )
    return offers


@lru_cache(maxsize=1)
def csp_card_offers() -> dict[str, dict]:
    """The 20 real CSP listing cards (all "chargé de recrutement" offers), by reference."""
    page = HtmlResponse(
        url=f"{CSP_SITE}/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/",
        body=(CSP / "list-page.html").read_bytes(),
    )
    offers = {}
    for card in page.css("li.item .fr-card--offer"):
        data = {key: value for key, value in parse_card(card).items() if value is not None}
        logo = data.pop("logo", None)  # no offer field: kept in raw, as the spider keeps the card
        raw = {"listing_card": {"logo": logo}} if logo else {}
        offers[data["source_id"]] = validate_offer({"source": "choisirleservicepublic", **data, "raw": raw})
    return offers


@lru_cache(maxsize=1)
def csp_offer_page() -> dict:
    """The real CSP offer page (CHARGE DE RECRUTEMENT ET DE LA MOBILITE, DRSD), fully parsed."""
    url = f"{CSP_SITE}/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
    return validate_offer(parse_offer(HtmlResponse(url=url, body=(CSP / "offer-state.html").read_bytes())))


# -- the labelled set for the default profile ----------------------------------------------------
# beta.gouv.fr posts are labelled by their title alone, with these rules, so the
# labels are reproducible and not tuned to the matcher:
#  - related: service design, innovation or transformation in the title;
#  - unrelated: technical roles (development, data engineering, ops) and sales,
#    support, communication and marketing roles;
#  - borderline: the rest (product managers, UX/UI designers, intrapreneurs,
#    coaches, incubator staff): a transformation seeker may or may not want them.
# One override, read in the post itself: its profile section says "Vous recherchez une
# expérience ... dans l'administration sur la thématique de la transformation publique".
RELATED_TITLE = re.compile(r"design\S* de services?|service design|innovation|transformation", re.I)
TECHNICAL_TITLE = re.compile(
    r"\b(dev|devs|devops|cto|sre|ops)\b|d[ée]v[ée]?lop+eu|full[- ]?stack|front[- ]?end|back[- ]?end|lead dev|data "
    r"(engineer|scien\w*|analyst)"
    r"|search engineer|ing[ée]nieu|exploitation|node\.?js|ruby|python|django|javascript|typescript|react|tech "
    r"lead|administrat\S* syst|spécialiste des données",
    re.I,
)
SALES_SUPPORT_TITLE = re.compile(
    r"business ?d[ée]v|biz ?d[ée]v|charg\S* (de|du) d[ée]veloppement|d[ée]ploiement|customer "
    r"success|support|assistance aux utilisateurs|relation utilisateur"
    r"|community manager|communication|growth hacker|\bseo\b|content creator|linkedin|op[ée]rat\S* de "
    r"validation|artistique|mod[ée]ration|acquisition|croissance|economiste",
    re.I,
)
LABEL_OVERRIDES = {"2019-09-10-aplus-bizdev-femme-homme.md": "borderline"}


def betagouv_label(name: str, offer: dict) -> str:
    if name in LABEL_OVERRIDES:
        return LABEL_OVERRIDES[name]
    if RELATED_TITLE.search(offer["title"]):
        return "related"
    if TECHNICAL_TITLE.search(offer["title"]) or SALES_SUPPORT_TITLE.search(offer["title"]):
        return "unrelated"
    return "borderline"


def labelled_offers() -> dict[str, tuple[str, dict]]:
    """Every real offer of the fixtures with its label: related / unrelated / borderline."""
    labelled = {f"target {key}": ("related", offer) for key, offer in target_offers().items()}
    labelled.update({f"csp card {key}": ("unrelated", offer) for key, offer in csp_card_offers().items()})
    labelled["csp page DEF_15-00064919"] = ("unrelated", csp_offer_page())
    labelled.update(
        {f"betagouv {name}": (betagouv_label(name, offer), offer) for name, offer in betagouv_offers().items()}
    )
    return labelled


# -- offers as each spider stores them, for the job grouping set (tests/fixtures/dedupe) ------------------

MODERNISATION = FIXTURES / "modernisation"
DINUM = FIXTURES / "dinum"
JORF = FIXTURES / "jorf"
DITP_SITE = "https://www.modernisation.gouv.fr"
DITP_BOARD_PAGES = {
    # The DITP's outbound links (tests/fixtures/modernisation/nous-rejoindre*) and the recorded page of each.
    (
        "https://www.passerelles.economie.gouv.fr/offre-de-emploi/"
        "imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx"
    ): FIXTURES / "passerelles" / "imprimer-fiche-emploi-17971-handmade.html",
    "https://www.hellowork.com/fr-fr/emplois/72719488.html": FIXTURES / "hellowork" / "emplois-72719488-handmade.html",
    f"{CSP_SITE}/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/": CSP
    / "offer-state.html",
}


@lru_cache(maxsize=1)
def ditp_offers() -> dict[str, dict]:
    """The DITP spider's offers (source "modernisation"), by source id: its two offer pages and the
    three board pages it links to, parsed by the spider's own parsers."""
    from crawler.boards import board_for_url, parse_board_offer
    from crawler.officialsite import offer_id_from_url, parse_offer_page
    from spiders.modernisation import EMPLOYER

    offers = {}
    for path in sorted((MODERNISATION / "offres").glob("*-handmade.html")):
        url = f"{DITP_SITE}/nous-rejoindre/offres/{path.name.removesuffix('-handmade.html')}"
        offer = parse_offer_page(
            HtmlResponse(url=url, body=path.read_bytes()),
            source="modernisation",
            source_id=offer_id_from_url(url),
            employer=EMPLOYER,
        )
        offers[offer.source_id] = validate_offer(offer)
    for url, path in DITP_BOARD_PAGES.items():
        board = board_for_url(url)
        offer = parse_board_offer(board, HtmlResponse(url=url, body=path.read_bytes()), source="modernisation", url=url)
        offers[offer.source_id] = validate_offer(offer)
    return offers


@lru_cache(maxsize=1)
def dinum_offers() -> dict[str, dict]:
    """The DINUM spider's offers, by slug, from the Gridsome-layout pages of the 14 real offers."""
    from spiders.dinum import parse_offer as parse_dinum_offer

    offers = {}
    for path in sorted((DINUM / "gridsome").glob("*-handmade.html")):
        slug = path.name.removesuffix("-handmade.html")
        if slug.endswith("-noext"):
            continue  # an older version of charge-mission-design: the same offer
        url = f"https://design.numerique.gouv.fr/recrutement/{slug}/"
        offers[slug] = validate_offer(parse_dinum_offer(HtmlResponse(url=url, body=path.read_bytes())))
    return offers


@lru_cache(maxsize=1)
def jorf_offers() -> dict[str, dict]:
    """The JORF spider's offers from the vacancy notices of tests/fixtures/jorf, by JORFTEXT id."""
    from crawler.jorf.notice import notice_offer
    from crawler.jorf.texts import parse_texte
    from crawler.jorf.toc import parse_container, vacancy_entries

    ministries = {}
    for path in JORF.glob("JORFCONT*.xml"):
        ministries.update(
            {entry.text_id: entry.ministry for entry in vacancy_entries(parse_container(path.read_bytes()))}
        )
    offers = {}
    for path in sorted(JORF.glob("JORFTEXT*-handmade.xml")):
        notice = parse_texte(path.read_bytes())
        if notice.text_id in ministries:
            offers[notice.text_id] = validate_offer(notice_offer(notice, ministries[notice.text_id]))
    return offers


def real_jorf_offers() -> dict[str, dict]:
    """The JORF spider's offers from the real notice texts of tests/fixtures/jorf/wrapped, by relevance-set item."""
    from crawler.jorf.notice import notice_offer
    from crawler.jorf.texts import parse_texte

    offers = {}
    for path in sorted((JORF / "wrapped").glob("JORFTEXT*-wrapped.xml")):
        offers[path.name[len("JORFTEXT99000000") : -len("-wrapped.xml")]] = validate_offer(
            notice_offer(parse_texte(path.read_bytes()))
        )
    return offers


# -- the labelled set of job grouping ----------------------------------------------------------------------

DEDUPE_LABELS = FIXTURES / "dedupe" / "pairs.toml"


def _named_offers() -> dict[str, dict]:
    named = {f"ditp:{key}": offer for key, offer in ditp_offers().items()}
    named.update({f"dinum:{key}": offer for key, offer in dinum_offers().items()})
    named.update({f"jorf:{key}": offer for key, offer in jorf_offers().items()})
    named.update({f"csp:{key}": offer for key, offer in csp_card_offers().items() if key != "DEF_15-00064919"})
    named["csp-page:DEF_15-00064919"] = csp_offer_page()
    named.update({f"jo:{key}": offer for key, offer in real_jorf_offers().items()})
    for name, offer in betagouv_offers().items():
        day = re.match(r"(\d{4}-\d{2}-\d{2})-", name)
        named[f"betagouv:{name}"] = {**offer, "published_on": day.group(1) if day else None}
    return named


@lru_cache(maxsize=1)
def dedupe_labels() -> tuple[dict[str, dict], list[dict]]:
    """(the offers of the labelled set by name, the labelled pairs): tests/fixtures/dedupe/pairs.toml."""
    import tomllib

    labels = tomllib.loads(DEDUPE_LABELS.read_text(encoding="utf-8"))
    named = _named_offers()
    for name, copy in labels["copies"].items():
        base = named[copy["base"]]
        fields = {key: value for key, value in copy.items() if key not in ("base", "why")}
        kept = {
            key: base[key]
            for key in ("missions", "profile", "contract", "category", "versant", "vacancy_date", "deadline")
            if base.get(key)
        }
        named[f"copy:{name}"] = validate_offer({**kept, "department": base.get("department"), "raw": {}, **fields})
    used = {name for pair in labels["pair"] for name in (pair["a"], pair["b"])}
    missing = used - set(named)
    if missing:
        raise KeyError(f"{DEDUPE_LABELS}: unknown offers {sorted(missing)}")
    return {name: named[name] for name in sorted(used)}, labels["pair"]


def group_labelled_set(db, thresholds=None) -> dict[str, int]:
    """Store the labelled set's offers in publication order, each first seen on its publication
    day, through the crawl's storage path; returns each offer's job."""
    from storage.offers import store_offers

    offers, _ = dedupe_labels()
    order = sorted(offers.items(), key=lambda item: (item[1].get("published_on") or "", item[0]))
    for _name, offer in order:
        store_offers(
            db, [offer], seen_at=f"{offer.get('published_on') or '2026-01-01'}T08:00:00+00:00", thresholds=thresholds
        )
    jobs = dict(db.execute("select source || ':' || source_id, job_id from job_offers").fetchall())
    return {name: jobs[f"{offer['source']}:{offer['source_id']}"] for name, offer in offers.items()}


def score_labelled_set(jobs: dict[str, int], kind: str | None = None) -> dict:
    """Precision and recall of a grouping over the labelled pairs (those of one ``kind``: "independent",
    "handmade", "same-page"), and the pairs it got wrong."""
    _, pairs = dedupe_labels()
    pairs = [pair for pair in pairs if kind is None or pair["kind"] == kind]
    grouped = [(pair, jobs[pair["a"]] == jobs[pair["b"]]) for pair in pairs]
    true_positive = sum(1 for pair, same in grouped if same and pair["same"])
    predicted = sum(1 for _, same in grouped if same)
    actual = sum(1 for pair in pairs if pair["same"])
    return {
        "precision": true_positive / predicted if predicted else 1.0,
        "recall": true_positive / actual if actual else 1.0,
        "pairs": len(pairs),
        "same": actual,
        "wrong": [pair for pair, same in grouped if same != pair["same"]],
    }
