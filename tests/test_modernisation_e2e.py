"""End to end: the real ``scrapy crawl modernisation`` over four loopback sites.

The DITP's handmade site (tests/fixtures/modernisation: home -> "Nous rejoindre"
-> page 2 -> two offer pages carrying target offers 000 and 001) links out to
three boards, each served by its own replay site at the URL configured for it:
the handmade Passerelles print page (target 001), the handmade HelloWork page
(target 000) and the real CSP offer page DEF_15-00064919
(tests/fixtures/choisirleservicepublic/offer-state.html).
"""

import json

import pytest

from storage import open_db
from storage.offers import get_offer
from tests.conftest import write_config

EMPTY_RECRUITMENT = """<!doctype html><html><body>
<header><nav><a href="/nous-rejoindre">Nous rejoindre</a></nav></header>
<main><h1>Nous rejoindre</h1><p>{text}</p></main></body></html>"""
PASSERELLES_PATH = (
    "/offre-de-emploi/imprimer-fiche-emploi-chef-de-projets-innovation-et-transformation-publique-h-f_17971.aspx"
)
CSP_PATH = "/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"


@pytest.fixture
def ditp(tmp_path, replay_site, scrapy_crawl):
    sites = {
        name: replay_site(name) for name in ("modernisation", "choisirleservicepublic", "passerelles", "hellowork")
    }
    db_path = tmp_path / "veille.db"
    sources = {name: {"base_url": site.url} for name, site in sites.items()}

    def crawl(modernisation=None, **kwargs):
        config_sources = {**sources, "modernisation": {**sources["modernisation"], **(modernisation or {})}}
        config = write_config(tmp_path / "veille.toml", {"database": str(db_path), "sources": config_sources})
        result = scrapy_crawl("modernisation", config, **kwargs)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return result, db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    crawl.sites = sites
    crawl.site = sites["modernisation"]
    return crawl


def test_home_to_recruitment_pages_to_offers_on_the_site_and_on_three_boards(ditp):
    result, db, run = ditp()
    assert result.returncode == 0
    assert (run["status"], run["items"], run["new"], json.loads(run["errors"])) == ("ok", 5, 5, {})
    assert ditp.site.requested()[:3] == ["/robots.txt", "/", "/nous-rejoindre"]
    assert set(ditp.site.requested()[3:]) == {
        "/nous-rejoindre?page=1",
        "/nous-rejoindre/offres/chef-du-pole-voix-de-lusager-hf",
        "/nous-rejoindre/offres/chef-de-projets-innovation-et-transformation-publique-hf",
    }
    # Home page news cards and the plain link that is no offer were not followed.
    assert ditp.site.requested("/actualites") == ditp.site.requested("/laboratoires") == []
    assert ditp.site.requested("/nous-rejoindre/questions-frequentes") == []
    assert ditp.sites["choisirleservicepublic"].requested(CSP_PATH) == [CSP_PATH]
    assert ditp.sites["passerelles"].requested(PASSERELLES_PATH) == [PASSERELLES_PATH]
    assert ditp.sites["hellowork"].requested("/fr-fr/emplois/") == ["/fr-fr/emplois/72719488.html"]

    assert {row["source_id"] for row in db["offers"].rows} == {
        "chef-du-pole-voix-de-lusager-hf",
        "chef-de-projets-innovation-et-transformation-publique-hf",
        "2024-17971",
        "72719488",
        "DEF_15-00064919",
    }
    assert {row["source"] for row in db["offers"].rows} == {"modernisation"}


def test_offers_found_on_the_site(ditp):
    _, db, _ = ditp()
    voix = get_offer(db, "modernisation", "chef-du-pole-voix-de-lusager-hf")  # target 000, JSON-LD page
    assert (voix["title"], voix["contract"], voix["published_on"], voix["department"]) == (
        "Chef du Pôle Voix de l'Usager H/F",
        "CDI",
        "2025-07-26",
        "75",
    )
    assert voix["employer"] == "Direction interministérielle de la transformation publique (DITP)"
    assert "board" not in voix["raw"]
    assert voix["raw"]["listing_card"]["badges"] == ["CDI"]
    etatlin = get_offer(
        db, "modernisation", "chef-de-projets-innovation-et-transformation-publique-hf"
    )  # target 001, DSFR page
    assert (etatlin["department"], etatlin["deadline"]) == ("44", "2025-05-22")


def test_outbound_offers_are_parsed_by_their_board_s_parser(ditp):
    _, db, _ = ditp()
    csp = get_offer(db, "modernisation", "DEF_15-00064919")
    assert csp["raw"]["board"] == "choisirleservicepublic"
    assert csp["url"] == "https://choisirleservicepublic.gouv.fr" + CSP_PATH
    # Read by spiders.choisirleservicepublic.parse_offer: the page's hidden fields are there.
    assert csp["raw"]["content_ref"] == "DEF_15-00064919"
    assert (csp["employer"], csp["vacancy_date"]) == (
        "Direction du renseignement et de la sécurité de la Défense (DRSD)",
        "2026-10-01",
    )

    passerelles = get_offer(db, "modernisation", "2024-17971")  # target 001
    assert passerelles["raw"]["board"] == "passerelles"
    assert passerelles["url"] == "https://www.passerelles.economie.gouv.fr" + PASSERELLES_PATH
    assert (passerelles["employer"], passerelles["raw"]["Cotation RIFSEEP"]) == (
        "Direction interministérielle de la transformation publique (DITP)",
        "Cotation 3",
    )

    hellowork = get_offer(db, "modernisation", "72719488")  # target 000
    assert (hellowork["raw"]["board"], hellowork["contract"], hellowork["url"]) == (
        "hellowork",
        "CDI",
        "https://www.hellowork.com/fr-fr/emplois/72719488.html",
    )


def test_second_run_reads_the_listings_but_no_known_offer(ditp):
    ditp()
    before = {name: len(site.requested()) for name, site in ditp.sites.items()}
    result, db, run = ditp()
    assert (run["status"], run["items"]) == ("ok", 0)
    assert sorted(ditp.site.requested()[before["modernisation"] :]) == [
        "/",
        "/nous-rejoindre",
        "/nous-rejoindre?page=1",
        "/robots.txt",
    ]
    for board in ("choisirleservicepublic", "passerelles", "hellowork"):
        assert ditp.sites[board].requested()[before[board] :] == [], board


def test_configured_recruitment_pages_skip_the_home_page(ditp):
    result, db, run = ditp(modernisation={"start_urls": ["/nous-rejoindre"]})
    assert (run["status"], run["items"]) == ("ok", 5)
    assert "/" not in ditp.site.requested()


def test_a_home_page_without_recruitment_link_fails_the_run(ditp):
    ditp.site.add(
        "/",
        "<!doctype html><html><body><header><nav><a "
        "href='/actualites'>Actualités</a></nav></header><main><h1>DITP</h1></main></body></html>",
    )
    result, db, run = ditp()
    assert run["status"] == "failed"
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    assert "home page has no navigation link to a recruitment page" in json.loads(run["error_samples"])[0]["message"]


def test_a_recruitment_page_that_says_there_is_no_offer_is_a_valid_empty_run(ditp):
    ditp.site.add(
        "/nous-rejoindre", EMPTY_RECRUITMENT.format(text="Aucune offre d'emploi n'est publiée pour le moment.")
    )
    result, db, run = ditp()
    assert (run["status"], run["items"], json.loads(run["errors"])) == ("ok", 0, {})


def test_a_recruitment_page_with_no_offer_and_no_such_sentence_fails_the_run(ditp):
    ditp.site.add("/nous-rejoindre", EMPTY_RECRUITMENT.format(text="Découvrez nos métiers."))
    result, db, run = ditp()
    assert run["status"] == "failed"
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    assert json.loads(run["error_samples"])[0]["message"].startswith(
        "no recruitment page lists an offer or says there is none"
    )


def test_a_board_page_that_changed_is_counted(ditp):
    ditp.sites["passerelles"].add(
        PASSERELLES_PATH, "<!doctype html><html><body><h1>Nouvelle version</h1><p>Bientôt</p></body></html>"
    )
    result, db, run = ditp()
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    assert (
        json.loads(run["error_samples"])[0]["message"]
        == "passerelles offer page has none of the fields its parser reads"
    )
    assert (run["status"], db["offers"].count) == ("failed", 4)
