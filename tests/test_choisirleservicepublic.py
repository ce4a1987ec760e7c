"""CSP parsing, on the real recorded listing and offer pages (tests/fixtures/choisirleservicepublic)."""

import re

import pytest
from scrapy.http import HtmlResponse

from crawler.boards.csp import (
    parse_card,
    parse_offer,
    reference_from_url,
    search_path,
)
from crawler.items import validate_offer
from tests.conftest import file_response

SITE = "https://choisirleservicepublic.gouv.fr"
OFFER_URL = f"{SITE}/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"


@pytest.fixture(scope="module")
def cards():
    page = file_response(
        "choisirleservicepublic/list-page.html", f"{SITE}/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/"
    )
    return [parse_card(card) for card in page.css("li.item .fr-card--offer")]


@pytest.fixture(scope="module")
def offer():
    page = file_response("choisirleservicepublic/offer-state.html", OFFER_URL)
    return validate_offer(parse_offer(page))


def test_search_path_encodes_keywords_as_the_site_needs():
    assert search_path("intelligence artificielle") == "/nos-offres/filtres/mot-cles/intelligence%20artificielle/"
    assert (
        search_path("chargé de recrutement", page=3)
        == "/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/page/3/"
    )
    # Keyword first, then localisation, then categorie: the other order is a 404 on the site.
    assert (
        search_path("design", localisations=[284, 208], categories=[1805])
        == "/nos-offres/filtres/mot-cles/design/localisation/284-208/categorie/1805/"
    )


def test_reference_from_url():
    assert reference_from_url(OFFER_URL) == "DEF_15-00064919"
    assert reference_from_url(f"{SITE}/offre-emploi/x-reference-MEF_2026-32366") == "MEF_2026-32366"
    assert reference_from_url(f"{SITE}/offre-emploi/x-reference-O056261001001569/?utm=1") == "O056261001001569"


EXPECTED_CARDS = [
    # (reference, title, employer, kind of employer, location, département, versant, published): a territorial
    # card shows a kind of employer ("Conseils départementaux"); its name is the title's suffix, when it has one.
    (
        "DEF_15-00064919",
        "CHARGE DE RECRUTEMENT ET DE LA MOBILITE",
        "Direction du renseignement et de la sécurité de la Défense (DRSD)",
        None,
        "Hauts-de-Seine (92)",
        "92",
        "État",
        "2026-10-02",
    ),
    (
        "O056261001001569",
        "Chargé de recrutement (H/F) - CONSEIL DÉPARTEMENTAL DU MORBIHAN",
        "CONSEIL DÉPARTEMENTAL DU MORBIHAN",
        "Conseils départementaux",
        "Morbihan (56)",
        "56",
        "Territoriale",
        "2026-10-01",
    ),
    (
        "O060261001001837",
        "Chargé de recrutement - CENTRE DE GESTION DE LA FPT DE L'OISE",
        "CENTRE DE GESTION DE LA FPT DE L'OISE",
        "Etablissements publics locaux",
        "Oise (60)",
        "60",
        "Territoriale",
        "2026-10-01",
    ),
    (
        "O094260930000034",
        "Chargé de recrutement (h/f) - Département du Val-de-Marne",
        "Département du Val-de-Marne",
        "Conseils départementaux",
        "Val de Marne (94)",
        "94",
        "Territoriale",
        "2026-09-30",
    ),
    (
        "O091260907001077",
        "Chargé de recrutement - Conseil départemental de l'Essonne",
        "Conseil départemental de l'Essonne",
        "Conseils départementaux",
        "Essonne (91)",
        "91",
        "Territoriale",
        "2026-09-07",
    ),
    (
        "O075260814000243",
        "Chargé de recrutement (h/f)",
        None,
        "Etablissements publics de coopération intercommunale",
        "Yvelines (78)",
        "78",
        "Territoriale",
        "2026-08-31",
    ),
    (
        "DEF_30-00066819",
        "CHARGE DE RECRUTEMENT ZONE GEOGRAPHIQUE NORD",
        "Service de Santé des Armées (SSA)",
        None,
        "Hauts-de-Seine (92)",
        "92",
        "État",
        "2026-08-20",
    ),
    (
        "O094260812000320",
        "Chargé de recrutement (h/f) - Champigny-sur-Marne",
        "Champigny-sur-Marne",
        "Communes",
        "Val de Marne (94)",
        "94",
        "Territoriale",
        "2026-08-12",
    ),
    (
        "DEF_15-00065309",
        "CHARGE DE RECRUTEMENT",
        "Direction du renseignement et de la sécurité de la Défense (DRSD)",
        None,
        "Hauts-de-Seine (92)",
        "92",
        "État",
        "2026-04-28",
    ),
    (
        "2026-2427859",
        "Une chargée ou un chargé de recrutement",
        "Cour des Comptes",
        None,
        "Paris (75)",
        "75",
        "État",
        "2026-10-02",
    ),
    (
        "O094261002000713",
        "Chargé de recrutement (h/f) - Champigny-sur-Marne",
        "Champigny-sur-Marne",
        "Communes",
        "Val de Marne (94)",
        "94",
        "Territoriale",
        "2026-10-02",
    ),
    (
        "O078260924000396",
        "Chargé de recrutement et formation - H/F - Mairie de TRAPPES",
        "Mairie de TRAPPES",
        "Communes",
        "Yvelines (78)",
        "78",
        "Territoriale",
        "2026-10-01",
    ),
    (
        "O038261001000890",
        "Chargé de recrutement - C.C.A.S DE GRENOBLE",
        "C.C.A.S DE GRENOBLE",
        "Centres communaux d'Action Sociale",
        "Isère (38)",
        "38",
        "Territoriale",
        "2026-10-01",
    ),
    (
        "O038261001001474",
        "Chargé de recrutement - C.C.A.S DE GRENOBLE",
        "C.C.A.S DE GRENOBLE",
        "Centres communaux d'Action Sociale",
        "Isère (38)",
        "38",
        "Territoriale",
        "2026-10-01",
    ),
    (
        "O094260903000572",
        "Chargé de recrutement H/F - Créteil",
        "Créteil",
        "Communes",
        "Val de Marne (94)",
        "94",
        "Territoriale",
        "2026-09-30",
    ),
    (
        "O038260915000814",
        "Chargé de recrutement - MAIRIE DE ST-MARTIN-D HERES",
        "MAIRIE DE ST-MARTIN-D HERES",
        "Communes",
        "Isère (38)",
        "38",
        "Territoriale",
        "2026-09-15",
    ),
    (
        "O077260911001010",
        "Chargé de recrutement et formation (H/F) - NOISIEL",
        "NOISIEL",
        "Communes",
        "Seine et Marne (77)",
        "77",
        "Territoriale",
        "2026-09-11",
    ),
    (
        "O091260911000648",
        "Chargé de recrutement - Mairie d'EVRY COURCOURONNES",
        "Mairie d'EVRY COURCOURONNES",
        "Communes",
        "Essonne (91)",
        "91",
        "Territoriale",
        "2026-09-11",
    ),
    (
        "O093260909001347",
        "Chargé de recrutement et formation (h/f) - Neuilly-sur-Marne",
        "Neuilly-sur-Marne",
        "Communes",
        "Seine Saint-Denis (93)",
        "93",
        "Territoriale",
        "2026-09-09",
    ),
    (
        "O069260907000767",
        "CHARGE DE RECRUTEMENT - REGION AUVERGNE RHONE-ALPES",
        "REGION AUVERGNE RHONE-ALPES",
        "Conseils régionaux",
        "Puy de Dôme (63)",
        "63",
        "Territoriale",
        "2026-09-07",
    ),
]


def test_listing_has_all_20_cards_with_their_facts(cards):
    got = [
        (
            c["source_id"],
            c["title"],
            c["employer"],
            c["employer_kind"],
            c["location"],
            c["department"],
            c["versant"],
            c["published_on"],
        )
        for c in cards
    ]
    assert got == EXPECTED_CARDS


def test_listing_cards_have_absolute_offer_urls_domain_and_logo(cards):
    assert (
        cards[1]["url"]
        == f"{SITE}/offre-emploi/charge-de-recrutement-hf---conseil-dpartemental-du-morbihan-reference-O056261001001569/"  # noqa: E501
    )
    assert all(
        c["url"].startswith(f"{SITE}/offre-emploi/") and c["url"].endswith(f"-reference-{c['source_id']}/")
        for c in cards
    )
    assert {c["domain"] for c in cards} == {"Ressources humaines"}
    # A logo's alt text is kept for reference, never as the organisation (it may be a generic image's);
    # territorial offers have an SVG placeholder instead.
    assert cards[0]["logo"] == "Ministère des Armées" and "organisation" not in cards[0]
    assert cards[1]["logo"] is None


def test_offer_page_core_fields(offer):
    assert {key: value for key, value in offer.items() if key not in ("missions", "profile", "raw")} == {
        "source": "choisirleservicepublic",
        "source_id": "DEF_15-00064919",
        "url": OFFER_URL,
        "title": "CHARGE DE RECRUTEMENT ET DE LA MOBILITE",
        "employer": "Direction du renseignement et de la sécurité de la Défense (DRSD)",
        "organisation": None,  # the page names none (its logo's alt text is no field)
        "employer_kind": None,
        "versant": "État",
        "category": "A",
        "contract": "Emploi ouvert aux titulaires et aux contractuels",
        "location": "27 BOULEVARD DE STALINGRAD 92240 MALAKOFF",
        "department": "92",
        "region": "Île-de-France",
        "remote": "Oui",
        "salary": None,  # « Rémunération : Non renseignée »
        "published_on": "2026-10-02",
        "deadline": None,  # this offer has no "Date limite de candidature"
        "vacancy_date": "2026-10-01",
        "domain": "Ressources humaines",
        "contacts": [{"email": "drsd.cer.fct@intradef.gouv.fr"}],
        "apply_url": "mailto:drsd.cer.fct@intradef.gouv.fr?subject=DEF_15-00064919%20-%20CHARGE%20DE%20RECRUTEMENT%20ET%20DE%20LA%20MOBILITE",  # noqa: E501
        "origin_url": None,  # a State offer of CSP's own, copied from no other board
    }
    assert offer["raw"]["logo"] == "Ministère des Armées"


def test_offer_page_texts_keep_their_lines(offer):
    assert offer["missions"].startswith(
        "Le recrutement du personnel civil, des apprentis et des stagiaires est un enjeu stratégique"
    )
    assert offer["missions"].endswith("- Réaliser des entretiens carrières")
    assert (
        "\n- Recueillir, analyser et valider les besoins en matière de recrutement auprès du service demandeur\n"
        in offer["missions"]
    )
    assert offer["profile"] == (
        "Une première expérience en RH serait appréciée\n- Posséder une forte aisance relationnelle\n- Savoir se "
        "montrer à l'écoute\n"
        "- Être en mesure de s'exprimer avec clarté\n- Maîtriser la communication à l'écrit\n- Disposer d'un "
        "excellent esprit d'analyse\n"
        "- Être organisé et rigoureux"
    )


def test_offer_page_raw_keeps_every_label(offer):
    raw = offer["raw"]
    assert raw["content_metier"] == "Chargée / Chargé de gestion administrative et/ou de paie"
    assert raw["content_modificationDate_day"] == "03"
    assert raw["Expérience souhaitée"] == "Débutant"
    assert raw["Management"] == "Non"
    assert raw["Rémunération - Fourchette indicative pour les contractuels"] == "Non renseignée"
    assert raw["Rémunération - Fourchette indicative pour les fonctionnaires"] == "Non renseignée"
    assert raw["Documents à transmettre"] == "Pour postuler à cette offre, l'envoi du CV est obligatoire"
    assert raw["Statut du poste"] == "Vacant à partir du 01/10/2026"
    assert raw["Métier de référence"] == "Chargée / Chargé de gestion administrative et/ou de paie"
    assert raw["Conditions particulières d’exercice"].startswith(
        "MERCI DE POSTULER UNIQUEMENT SUR LE\nLIEN SUIVANT :\nhttps://drsd.ernest.pattersonsoft.com/jobs"
    )
    assert raw["Informations complémentaires"].startswith("Restauration d’entreprise sur place\n- Mutuelle employeur")
    assert raw["Descriptif du service"].startswith(
        "La direction du renseignement et de la sécurité de la défense (DRSD) est le service de renseignement"
    )
    assert raw["Qui sommes-nous ?"].startswith(
        "Le ministère des Armées et des Anciens combattants assure la protection du territoire national"
    )
    # JSON-LD, quirks included, kept as the site sends it.
    assert raw["json_ld"]["datePosted"] == "02/10/2026"
    assert raw["json_ld"]["Description"].strip().startswith("Le recrutement du personnel civil")


def test_salary_stays_empty_when_the_page_gives_none(offer):
    """The real page's « Rémunération » says « Non renseignée » for both ranges, and its JSON-LD baseSalary
    « Non renseigné »: no salary is made up."""
    assert offer["salary"] is None


def test_salary_from_the_remuneration_ranges(fixture_path):
    """The real page with figures in its two « Rémunération » ranges (the page's own markup, values edited here)."""
    body = (fixture_path("choisirleservicepublic", "offer-state.html")).read_text(encoding="utf-8")
    body = body.replace("Non renseignée", "32 000 - 38 000 € brut annuel", 1)
    body = body.replace("Non renseignée", "selon grille", 1)
    parsed = validate_offer(parse_offer(HtmlResponse(url=OFFER_URL, body=body.encode("utf-8"))))
    assert parsed["salary"] == "32 000 - 38 000 € brut annuel (contractuels)"


def test_recommended_cards_of_an_offer_page_are_not_listing_cards(fixture_path):
    page = file_response("choisirleservicepublic/offer-state.html", OFFER_URL)
    assert len(page.css(".fr-card--offer")) == 6
    assert page.css("li.item .fr-card--offer") == []


def test_json_ld_is_the_fallback_when_markup_is_missing():
    """A page reduced to its JSON-LD (dd/mm/yyyy date, capital-D Description) still gives an offer."""
    body = (
        '<html><head><link rel="canonical" '
        'href="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2026-1/"/></head><body>'
        '<script type="application/ld+json">{"@type":"JobPosting","title":"Designer de '
        'services","hiringOrganization":"DITP",'
        '"datePosted":"18\\/04\\/2025","Description":"Concevoir\ndes services","addressLocality":"Paris (75), '
        'France"}</script></body></html>'
    )
    item = validate_offer(
        parse_offer(
            HtmlResponse(
                url="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2026-1/", body=body.encode()
            )
        )
    )
    assert (
        item["source_id"],
        item["title"],
        item["employer"],
        item["published_on"],
        item["department"],
        item["missions"],
    ) == (
        "2026-1",
        "Designer de services",
        "DITP",
        "2025-04-18",
        "75",
        "Concevoir\ndes services",
    )


def test_a_page_without_any_offer_marker_is_not_an_offer():
    assert parse_offer(HtmlResponse(url=OFFER_URL, body=b"<html><body><h1>Maintenance</h1></body></html>")) is None


def test_handmade_offer_pages_parse_to_valid_offers(fixture_path):
    """The replay site's handmade pages (built from the real page) are real-shaped: every one validates."""
    pages = sorted(fixture_path("choisirleservicepublic", "offers").glob("*-handmade.html"))
    assert len(pages) == 25
    for page in pages:
        ref = page.name.removesuffix("-handmade.html")
        item = validate_offer(
            parse_offer(HtmlResponse(url=f"{SITE}/offre-emploi/x-reference-{ref}/", body=page.read_bytes()))
        )
        assert item["source_id"] == ref
        assert item["deadline"] is not None


def test_a_territorial_offer_names_its_employer_and_the_kind_apart(fixture_path):
    """A territorial offer page (built from the real page and the real card) shows "Conseils départementaux" as
    its employer: that is the kind of employer; the name is the title's; the emploi-territorial.fr offer it
    copies is its origin; no logo alt text becomes an organisation."""
    ref = "O056261001001569"
    page = fixture_path("choisirleservicepublic", "offers") / f"{ref}-handmade.html"
    item = validate_offer(
        parse_offer(HtmlResponse(url=f"{SITE}/offre-emploi/x-reference-{ref}/", body=page.read_bytes()))
    )
    assert (item["employer"], item["employer_kind"], item["organisation"]) == (
        "CONSEIL DÉPARTEMENTAL DU MORBIHAN",
        "Conseils départementaux",
        None,
    )
    assert item["origin_url"] == "https://www.emploi-territorial.fr/offre/o056261001001569?pk_campaign=ep"
    assert (item["department"], item["region"], item["versant"]) == ("56", "Bretagne", "Territoriale")


def test_a_territorial_offer_whose_title_names_no_employer_keeps_only_the_kind(fixture_path):
    ref = "O075260814000243"  # "Chargé de recrutement (h/f)", an EPCI: the page names no employer
    page = fixture_path("choisirleservicepublic", "offers") / f"{ref}-handmade.html"
    item = validate_offer(
        parse_offer(HtmlResponse(url=f"{SITE}/offre-emploi/x-reference-{ref}/", body=page.read_bytes()))
    )
    assert (item["employer"], item["employer_kind"]) == (None, "Etablissements publics de coopération intercommunale")


def test_json_ld_in_head_is_read(fixture_path):
    """Nothing depends on where one capture put a block: the real page with its JSON-LD moved into <head>
    (where many sites put it) gives the same offer, JSON-LD included."""
    body = fixture_path("choisirleservicepublic", "offer-state.html").read_bytes()
    script = re.search(rb'<script type="application/ld\+json">.*?</script>', body, re.S).group(0)
    moved = body.replace(script, b"").replace(b"</head>", script + b"</head>", 1)
    assert moved.index(script) < moved.index(b"<main")
    original = validate_offer(parse_offer(HtmlResponse(url=OFFER_URL, body=body)))
    found = validate_offer(parse_offer(HtmlResponse(url=OFFER_URL, body=moved)))
    assert found["raw"]["json_ld"]["datePosted"] == "02/10/2026"
    assert found == original
