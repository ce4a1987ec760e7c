"""A page that is not an offer never replaces an offer (issue 13, item 1).

Through the real spiders and the loopback replay of the recorded sites: an offer URL answering a
maintenance page, another offer's page, a page with 100,000 nested divs or 4 KB of random bytes
spliced in. Such a page is an error of the run, never a stored offer; a stored offer keeps its
version; an offer whose page failed is read again on the next run, and alerted then.
"""

import json
import random
import re

import pytest

from cli.demo.replay import Route
from crawler.boards.csp import search_path
from storage import open_db
from storage.offers import get_offer, versions_of
from tests.conftest import FIXTURES, run_veille, write_config

CSP = "choisirleservicepublic"
KEYWORD = "chargé de recrutement"
PAGE_1 = search_path(KEYWORD)
PAGE_2 = search_path(KEYWORD, page=2)
REAL_OFFER = "/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
REAL_REFERENCE = "DEF_15-00064919"
# The last card of the second listing page: an everyday run, which stops paging at known offers, never
# sees it again once page 1 is all known.
PAGE_2_OFFER = "/offre-emploi/cheffe-du-pole-reglementation-et-deconcentration-reference-2026-2373954/"
PAGE_2_REFERENCE = "2026-2373954"
PAGE_2_TITLE = "Chef(fe) du pôle réglementation et déconcentration"
OTHER_OFFER_FILE = FIXTURES / CSP / "offers" / "O056261001001569-handmade.html"

# What a site shows while it is down for maintenance: a page of the site, answered with 200.
MAINTENANCE = (
    "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Choisir le service public</title></head>"
    "<body><header><p>Choisir le service public</p></header><main role='main' class='dsfr'>"
    "<h1>Site en maintenance</h1><p>Le site est en cours de maintenance. Merci de revenir plus tard.</p>"
    "</main></body></html>"
)


def real_offer_page() -> bytes:
    return (FIXTURES / CSP / "offer-state.html").read_bytes()


def spliced_after(body: bytes, marker: bytes, insert: bytes) -> bytes:
    at = body.index(marker) + len(marker)
    return body[:at] + insert + body[at:]


def nested_divs(count: int = 100_000) -> bytes:
    return b"<div>" * count + b"x" + b"</div>" * count


def random_bytes(size: int = 4096, seed: int = 13) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def csp(tmp_path, replay_site, scrapy_crawl):
    site = replay_site(CSP)
    db_path = tmp_path / "veille.db"
    config = write_config(
        tmp_path / "veille.toml",
        {"database": str(db_path), "sources": {CSP: {"base_url": site.url, "keywords": [KEYWORD]}}},
    )

    def crawl(**kwargs):
        result = scrapy_crawl(CSP, config, **kwargs)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    crawl.site = site
    return crawl


def stored(db) -> dict[str, str]:
    return dict(db.execute("select source_id, content_hash from offers").fetchall())


def errors(run) -> dict:
    return json.loads(run["errors"])


def messages(run) -> list[str]:
    return [sample["message"] for sample in json.loads(run["error_samples"])]


def test_a_maintenance_page_on_every_offer_url_overwrites_nothing_on_a_full_run(csp):
    db, _ = csp()
    before = stored(db)
    assert len(before) == 26
    for path in list(csp.site.routes):
        if path.startswith("/offre-emploi/"):
            csp.site.add(path, MAINTENANCE)
    db, run = csp(args={"full": "1"})
    assert errors(run) == {"layout_changed": 26}
    assert (run["status"], run["complete"], run["updated"]) == ("failed", 0, 0)
    assert stored(db) == before
    assert db.execute("select count(*) from offer_versions").fetchone()[0] == 0
    assert db.execute("select count(*) from offers where title = 'Site en maintenance'").fetchone()[0] == 0
    assert all(
        message.startswith("the page declares no offer reference") and "not the offer linked as " in message
        for message in messages(run)
    )


def test_another_offer_s_page_at_an_offer_url_is_not_that_offer(csp):
    csp.site.add(REAL_OFFER, OTHER_OFFER_FILE.read_bytes())
    db, run = csp()
    assert errors(run) == {"layout_changed": 1}
    [message] = messages(run)
    assert "O056261001001569" in message and f"linked as {REAL_REFERENCE}" in message
    assert get_offer(db, CSP, REAL_REFERENCE) is None
    assert db["offers"].count == 25


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda body: spliced_after(body, b'data-reference="DEF_15-00064919">', nested_divs()), id="nested"
        ),
        pytest.param(lambda body: spliced_after(body, b"<h1", random_bytes()), id="random-bytes-in-title"),
        pytest.param(lambda body: random_bytes() + body, id="random-bytes-first"),
    ],
)
def test_a_damaged_page_never_replaces_the_stored_offer(csp, damage):
    db, _ = csp()
    before = get_offer(db, CSP, REAL_REFERENCE)
    csp.site.add(REAL_OFFER, damage(real_offer_page()))
    db, run = csp(args={"full": "1"})
    assert run["status"] == "failed" and sum(errors(run).values()) == 1
    assert (run["updated"], run["unchanged"]) == (0, 25)
    assert get_offer(db, CSP, REAL_REFERENCE) == before
    assert versions_of(db, CSP, REAL_REFERENCE) == []


def test_a_stored_offer_whose_page_lost_most_of_its_fields_keeps_its_version(csp):
    db, _ = csp()
    before = get_offer(db, CSP, REAL_REFERENCE)
    # The page keeps its markers (its reference on <main>, the hero) but lost its hidden fields, its
    # JSON-LD and its sections: a redesign half done, say.
    body = real_offer_page()
    start = body.index(b'<div class="fr-col-12 fr-col-md-12 fr-col-lg-6 fr-col-offset-lg-2  col-left')
    body = body[:start] + body[body.index(b'<div class="strate strate-cards-list') :]
    body = re.sub(rb'<input type="hidden" name="content_[^>]*>', b"", body)
    body = re.sub(rb'<script type="application/ld\+json">.*?</script>', b"", body, flags=re.S)
    csp.site.add(REAL_OFFER, body)
    db, run = csp(args={"full": "1"})
    assert errors(run) == {"layout_changed": 1}
    [message] = messages(run)
    assert message.startswith("the offer page lost ") and "the stored version is kept" in message
    assert get_offer(db, CSP, REAL_REFERENCE) == before


@pytest.fixture
def watched(tmp_path, replay_site, smtp_server, frozen_clock):
    """CSP on loopback, `veille run` as cron runs it, a subscription mailing a loopback SMTP server."""
    site = replay_site(CSP)
    smtp = smtp_server()
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 0, "timeout": 30},
            "sources": {CSP: {"base_url": site.url, "keywords": [KEYWORD]}},
            "subscriptions": [
                {"name": "rh", "keywords": ["chargé de recrutement", "réglementation"], "channels": [smtp.url()]}
            ],
        },
    )

    def veille(*args):
        return run_veille("--config", str(config), *args)

    assert veille("alert").returncode == 0  # the subscription starts before the first crawl
    return site, smtp, veille, open_db(tmp_path / "veille.db")


@pytest.mark.parametrize(
    "failure",
    [Route(MAINTENANCE.encode()), Route(b"<html><body>Erreur</body></html>", status=503)],
    ids=["maintenance", "server-error"],
)
def test_an_offer_whose_page_failed_is_read_on_the_next_run_and_alerted(watched, failure):
    site, smtp, veille, db = watched
    good = site.routes[PAGE_2_OFFER]
    site.routes[PAGE_2_OFFER] = [failure]
    first = veille("run", CSP)
    assert first.returncode == 1
    assert get_offer(db, CSP, PAGE_2_REFERENCE) is None
    assert db["offers"].count == 25
    assert f"{CSP}: 1 offer page(s) to read again next run" in veille("status").stdout
    smtp.wait_for(1)
    assert all(PAGE_2_TITLE not in message.get_body(("plain",)).get_content() for message in smtp.messages)

    site.routes[PAGE_2_OFFER] = good
    requested = len(site.requested())
    second = veille("run", CSP)
    assert second.returncode == 0, second.stderr
    # Page 1 is all known, so the everyday run does not page to page 2; the offer is read all the same.
    assert PAGE_2 not in site.requested()[requested:]
    assert site.requested()[requested:].count(PAGE_2_OFFER) == 1
    assert get_offer(db, CSP, PAGE_2_REFERENCE)["title"] == PAGE_2_TITLE
    smtp.wait_for(2)
    assert PAGE_2_TITLE in smtp.messages[-1].get_body(("plain",)).get_content()

    # Read once, it is not read again.
    requested = len(site.requested())
    assert veille("run", CSP).returncode == 0
    assert PAGE_2_OFFER not in site.requested()[requested:]


def test_an_offer_page_gone_for_good_is_not_asked_for_again(watched):
    site, smtp, veille, db = watched
    site.add(PAGE_2_OFFER, "<html><body>Introuvable</body></html>", status=404)
    assert veille("run", CSP).returncode == 1
    requested = len(site.requested())
    assert veille("run", CSP).returncode == 0
    assert PAGE_2_OFFER not in site.requested()[requested:]


# -- the DITP and DINUM spiders, and the boards the DITP links to --------------------------------

CSP_PATH_FROM_DITP = REAL_OFFER
DITP_OFFER = "/nous-rejoindre/offres/chef-du-pole-voix-de-lusager-hf"


@pytest.fixture
def ditp(tmp_path, replay_site, scrapy_crawl):
    sites = {name: replay_site(name) for name in ("modernisation", CSP, "passerelles", "hellowork")}
    db_path = tmp_path / "veille.db"
    config = write_config(
        tmp_path / "veille.toml",
        {"database": str(db_path), "sources": {name: {"base_url": site.url} for name, site in sites.items()}},
    )

    def crawl(**kwargs):
        result = scrapy_crawl("modernisation", config, **kwargs)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    crawl.sites = sites
    return crawl


def test_the_ditp_s_csp_offer_answering_a_maintenance_page_is_not_stored(ditp):
    ditp.sites[CSP].add(CSP_PATH_FROM_DITP, MAINTENANCE)
    db, run = ditp()
    assert errors(run) == {"layout_changed": 1}
    assert f"linked as {REAL_REFERENCE}" in messages(run)[0]
    assert get_offer(db, "modernisation", REAL_REFERENCE) is None
    assert db.execute("select count(*) from offers where title = 'Site en maintenance'").fetchone()[0] == 0


def test_the_ditp_s_own_offer_answering_a_maintenance_page_is_not_stored(ditp):
    ditp.sites["modernisation"].add(DITP_OFFER, MAINTENANCE)
    db, run = ditp()
    assert errors(run) == {"layout_changed": 1}
    assert get_offer(db, "modernisation", "chef-du-pole-voix-de-lusager-hf") is None
    assert db.execute("select count(*) from offers where title = 'Site en maintenance'").fetchone()[0] == 0


def test_a_dinum_offer_answering_a_maintenance_page_is_not_stored(tmp_path, replay_site, scrapy_crawl):
    site = replay_site("dinum")
    config = write_config(
        tmp_path / "veille.toml",
        {"database": str(tmp_path / "veille.db"), "sources": {"dinum": {"base_url": site.url}}},
    )
    site.add("/recrutement/designer/", MAINTENANCE)
    result = scrapy_crawl("dinum", config)
    assert "Traceback" not in result.stderr
    db = open_db(tmp_path / "veille.db")
    run = db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]
    assert errors(run) == {"layout_changed": 1}
    assert db.execute("select count(*) from offers where title = 'Site en maintenance'").fetchone()[0] == 0
    assert db["offers"].count == 12
