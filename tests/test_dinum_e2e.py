"""End to end: the real ``scrapy crawl dinum`` against DINUM pages on 127.0.0.1.

The replay site (cli/demo/sites/dinum/replay.toml) serves the Gridsome-era
listing and offer pages rendered from the 14 real markdown offers; tests swap
``/recrutement/`` for the real empty page (recrutement-empty.html) or the
DSFR-era pages.
"""

import json

import pytest

from storage import open_db
from storage.offers import get_offer
from tests.conftest import FIXTURES, write_config

DINUM = FIXTURES / "dinum"


@pytest.fixture
def dinum(tmp_path, replay_site, scrapy_crawl):
    site = replay_site("dinum")
    db_path = tmp_path / "veille.db"
    config = write_config(
        tmp_path / "veille.toml", {"database": str(db_path), "sources": {"dinum": {"base_url": site.url}}}
    )

    def crawl(**kwargs):
        result = scrapy_crawl("dinum", config, **kwargs)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return result, db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    crawl.site = site
    return crawl


def test_gridsome_listing_and_offers_are_stored(dinum):
    result, db, run = dinum()
    assert result.returncode == 0
    assert (run["status"], run["items"], run["new"], json.loads(run["errors"])) == ("ok", 13, 13, {})
    offer = get_offer(db, "dinum", "charge-mission-design")  # target offer 002
    assert offer["title"] == "Chargée ou chargé de mission design des services numériques"
    assert (offer["contract"], offer["published_on"], offer["department"]) == ("CDD", "2021-04-12", "75")
    assert offer["raw"]["listing_card"] == {"title": offer["title"], "contract": "CDD"}
    assert get_offer(db, "dinum", "charge-e-mission-observatoire")["vacancy_date"] == "2022-01-03"  # target 003


def test_second_run_reads_only_the_listing(dinum):
    dinum()
    before = len(dinum.site.requested())
    result, db, run = dinum()
    assert sorted(dinum.site.requested()[before:]) == ["/recrutement/", "/robots.txt"]
    assert (run["status"], run["items"]) == ("ok", 0)


def test_the_real_empty_page_is_a_successful_run_with_no_offer(dinum):
    dinum.site.add_file("/recrutement/", DINUM / "recrutement-empty.html")
    result, db, run = dinum()
    assert result.returncode == 0
    assert (run["status"], run["reason"], run["items"], json.loads(run["errors"])) == ("ok", "finished", 0, {})
    assert db["offers"].count == 0


def test_a_listing_whose_layout_changed_fails_the_run_with_its_reason(dinum):
    body = (DINUM / "recrutement-empty.html").read_text(encoding="utf-8")
    # The same page with the "Aucun poste ouvert" sentence gone and no card in its place.
    dinum.site.add("/recrutement/", body.replace("Aucun poste ouvert pour le moment.", "Découvrez nos équipes."))
    result, db, run = dinum()
    assert run["status"] == "failed"
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    [sample] = json.loads(run["error_samples"])
    assert (
        sample["message"]
        == 'listing has no offer (ul.jobs li a, .fr-card--horizontal) and does not say "Aucun poste ouvert"'
    )
    assert sample["url"].endswith("/recrutement/")


def test_dsfr_era_listing_and_offer_pages(dinum):
    dinum.site.add_file("/recrutement/", DINUM / "recrutement-dsfr-handmade.html")
    dinum.site.add_file(
        "/recrutement/charge-mission-design/", DINUM / "dsfr" / "charge-mission-design-noext-handmade.html"
    )
    dinum.site.add_file(
        "/recrutement/charge-e-mission-observatoire/", DINUM / "dsfr" / "charge-e-mission-observatoire-handmade.html"
    )
    result, db, run = dinum()
    assert (run["status"], run["items"]) == ("ok", 13)
    offer = get_offer(db, "dinum", "charge-mission-design")
    assert offer["raw"]["Contrat"] == offer["contract"] == "CDD"
    assert offer["raw"]["listing_card"]["badges"] == ["CDD"]
    assert (
        get_offer(db, "dinum", "charge-e-mission-observatoire")["raw"]["Publication"]
        == "Date de publication : 30 novembre 2021"
    )


def test_an_offer_page_of_an_unknown_layout_is_counted(dinum):
    dinum.site.add(
        "/recrutement/designer/",
        "<!doctype html><html><body><main><h2>Designer</h2><p>Nouveau site</p></main></body></html>",
    )
    result, db, run = dinum()
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    assert (run["status"], db["offers"].count) == ("failed", 12)
