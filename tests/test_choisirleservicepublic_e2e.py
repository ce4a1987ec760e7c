"""End to end: the real ``scrapy crawl choisirleservicepublic`` against recorded pages on 127.0.0.1.

The replay site serves the real listing page (with a handmade pagination block)
and a handmade second page built from the real offer page's cards, at the
site's real paths; see tests/fixtures/choisirleservicepublic/PROVENANCE.md.
"""

import json

import pytest

from cli.demo.replay import Route
from crawler.boards.csp import parse_card, search_path
from storage import open_db
from storage.offers import get_offer, versions_of
from tests.conftest import FIXTURES, file_response, write_config

KEYWORD = "chargé de recrutement"
PAGE_1 = search_path(KEYWORD)
PAGE_2 = search_path(KEYWORD, page=2)
REAL_OFFER = "/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"


@pytest.fixture
def csp(tmp_path, replay_site, scrapy_crawl):
    """A replay of CSP, a config pointing at it, and a function to crawl it."""
    site = replay_site("choisirleservicepublic")
    db_path = tmp_path / "veille.db"
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(db_path),
            "contact": "mailto:veille-tests@example.org",
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": [KEYWORD]}},
        },
    )

    def crawl(**kwargs):
        result = scrapy_crawl("choisirleservicepublic", config, **kwargs)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(db_path)
        return result, db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    crawl.site = site
    crawl.config = config
    return crawl


def errors(run):
    return json.loads(run["errors"])


def test_crawl_stores_every_offer_of_both_pages(csp):
    result, db, run = csp()
    assert result.returncode == 0
    assert db["offers"].count == 26  # 20 real cards + 6 on the handmade page 2
    assert (run["status"], run["reason"], run["new"], run["items"], run["pages"]) == ("ok", "finished", 26, 26, 28)
    assert errors(run) == {}
    offer = get_offer(db, "choisirleservicepublic", "DEF_15-00064919")
    assert offer["employer"] == "Direction du renseignement et de la sécurité de la Défense (DRSD)"
    assert offer["vacancy_date"] == "2026-10-01"
    assert offer["url"] == "https://choisirleservicepublic.gouv.fr" + REAL_OFFER
    page_2_offer = get_offer(db, "choisirleservicepublic", "2026-2373954")
    assert page_2_offer["title"] == "Chef(fe) du pôle réglementation et déconcentration"
    assert csp.site.requested("/robots.txt") == ["/robots.txt"]
    assert csp.site.user_agents == {
        "veille/0.1.0 (public-sector job offer watcher; contact: mailto:veille-tests@example.org)"
    }


def test_robots_txt_is_obeyed(csp):
    csp.site.add("/robots.txt", "User-agent: *\nDisallow: /offre-emploi/\n", content_type="text/plain")
    result, db, run = csp()
    assert csp.site.requested("/offre-emploi/") == []
    assert errors(run) == {"robots_disallowed": 26}
    assert run["status"] == "failed"


def test_second_run_reads_only_the_first_listing_page_and_adds_nothing(csp):
    csp()
    before = len(csp.site.requested())
    result, db, run = csp()
    second_run = csp.site.requested()[before:]
    assert sorted(second_run) == sorted(["/robots.txt", PAGE_1])
    assert (run["status"], run["new"], run["updated"], run["items"]) == ("ok", 0, 0, 0)
    assert db["offers"].count == 26


def test_full_recrawl_rereads_everything_and_a_changed_page_adds_a_version(csp):
    csp()
    body = (FIXTURES / "choisirleservicepublic" / "offer-state.html").read_bytes()
    csp.site.add(
        REAL_OFFER, body.replace(b"Vacant &agrave; partir du 01/10/2026", b"Vacant &agrave; partir du 01/12/2026")
    )
    result, db, run = csp(args={"full": "1"})
    assert PAGE_2 in csp.site.requested()
    assert (run["status"], run["new"], run["updated"], run["unchanged"]) == ("ok", 0, 1, 25)
    [version] = versions_of(db, "choisirleservicepublic", "DEF_15-00064919")
    assert version["changes"]["vacancy_date"] == ["2026-10-01", "2026-12-01"]
    assert version["changes"]["raw"][1]["Statut du poste"] == "Vacant à partir du 01/12/2026"
    assert get_offer(db, "choisirleservicepublic", "DEF_15-00064919")["vacancy_date"] == "2026-12-01"


def test_stop_at_known_still_fetches_new_offers_before_the_streak(csp):
    """Only the first offer is new: it is fetched, the 19 known after it stop the paging."""
    csp()
    csp.site.add(PAGE_2, "gone", status=500)
    db = open_db(csp.config.parent / "veille.db")
    db.execute("delete from offers where source_id = 'DEF_15-00064919'")
    before = len(csp.site.requested())
    result, db, run = csp()
    assert sorted(csp.site.requested()[before:]) == sorted(["/robots.txt", PAGE_1, REAL_OFFER])
    assert (run["status"], run["new"]) == ("ok", 1)


def test_offers_a_killed_run_had_not_committed_are_read_by_the_next_everyday_run(csp):
    """A run killed while page 2's offers waited for their batch (crawler/pipelines.py): page 1's offers
    are stored, page 2's are not. They must not stop the next everyday run at page 1 as known offers."""
    csp()
    db = open_db(csp.config.parent / "veille.db")
    page_2 = file_response(FIXTURES / "choisirleservicepublic" / "list-page-2-handmade.html", csp.site.url + PAGE_2)
    lost = [parse_card(card)["source_id"] for card in page_2.css("li.item .fr-card--offer")]
    # What the kill leaves: the run never finished, page 2's offers never committed.
    db.execute("update runs set status = 'running', finished_at = null, pid = 0, owner = null")
    db.execute(f"delete from offers where source_id in ({', '.join('?' * len(lost))})", lost)
    db.conn.commit()
    assert db["offers"].count == 20
    result, db, run = csp()
    assert PAGE_2 in csp.site.requested()
    assert (run["status"], run["new"]) == ("ok", 6)
    assert all(get_offer(db, "choisirleservicepublic", source_id) for source_id in lost)
    # That run finished: its offers stop the everyday run after it at page 1 again.
    before = len(csp.site.requested())
    result, db, run = csp()
    assert sorted(csp.site.requested()[before:]) == sorted(["/robots.txt", PAGE_1])


def assert_intact(db, run, offers=0):
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db["offers"].count == offers
    assert run["status"] == "failed" and run["finished_at"]


def test_listing_without_cards_is_a_layout_error_not_zero_offers(csp):
    csp.site.add(
        PAGE_1, "<!doctype html><html><body><main><div class='results'>Nouvelle présentation</div></main></body></html>"
    )
    result, db, run = csp()
    assert errors(run) == {"layout_changed": 1}
    assert "no offer card" in json.loads(run["error_samples"])[0]["message"]
    assert_intact(db, run)


def test_listing_that_says_there_is_no_offer_is_a_valid_empty_run(csp):
    csp.site.add(
        PAGE_1,
        "<!doctype html><html><body><main><p>Aucune offre ne correspond à votre recherche.</p></main></body></html>",
    )
    result, db, run = csp()
    assert (run["status"], run["items"]) == ("ok", 0)
    assert errors(run) == {}


def test_server_error_is_counted_and_the_run_finishes(csp):
    csp.site.add(PAGE_2, "<html><body>Internal Server Error</body></html>", status=500)
    result, db, run = csp(settings={"RETRY_TIMES": 1})
    assert errors(run) == {"http_5xx": 1}
    assert csp.site.requested().count(PAGE_2) == 2  # one retry
    assert_intact(db, run, offers=20)  # page 1's offers are stored all the same


def test_429_retry_after_is_honoured_then_the_crawl_goes_on(csp):
    page = (FIXTURES / "choisirleservicepublic" / "list-page-2-handmade.html").read_bytes()
    csp.site.add_sequence(PAGE_2, [Route(b"slow down", status=429, headers={"Retry-After": "2"}), Route(page)])
    result, db, run = csp()
    first, second = csp.site.times_of(PAGE_2)
    assert second - first >= 1.9
    assert (run["status"], run["new"]) == ("ok", 26)


def test_429_that_persists_is_a_block_and_stops_the_crawl(csp):
    csp.site.add(PAGE_1, "slow down", status=429, headers={"Retry-After": "3600"})
    result, db, run = csp()
    assert errors(run) == {"blocked": 1}
    assert run["reason"] == "blocked"
    assert "Retry-After 3600s" in json.loads(run["error_samples"])[0]["message"]
    assert csp.site.requested(PAGE_1) == [PAGE_1]  # not hammered
    assert_intact(db, run)


def test_block_page_served_as_200_is_a_block(csp):
    csp.site.add(
        PAGE_1, "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected.</body></html>"
    )
    result, db, run = csp()
    assert errors(run) == {"blocked": 1}
    assert_intact(db, run)


def test_timeout_is_counted(csp):
    # Generous margins: on a loaded machine a fast page must not time out too.
    csp.site.add(PAGE_2, "late", delay=10)
    result, db, run = csp(settings={"DOWNLOAD_TIMEOUT": 4, "RETRY_TIMES": 0})
    assert errors(run) == {"timeout": 1}
    assert_intact(db, run, offers=20)


def test_truncated_transfer_is_counted(csp):
    body = (FIXTURES / "choisirleservicepublic" / "list-page-2-handmade.html").read_bytes()
    csp.site.add_sequence(PAGE_2, [Route(body, cut_at=len(body) // 2)])
    result, db, run = csp(settings={"RETRY_TIMES": 0})
    assert errors(run) == {"truncated": 1}
    assert_intact(db, run, offers=20)


def test_truncated_page_is_counted(csp):
    body = (FIXTURES / "choisirleservicepublic" / "offer-state.html").read_bytes()
    csp.site.add(REAL_OFFER, body[: len(body) // 3])
    result, db, run = csp()
    assert errors(run) == {"truncated": 1}
    assert_intact(db, run, offers=25)


def test_offer_page_with_a_new_layout_is_counted(csp):
    csp.site.add(
        REAL_OFFER, "<!doctype html><html><body><div class='offre'><h2>Chargé de recrutement</h2></div></body></html>"
    )
    result, db, run = csp()
    assert errors(run) == {"layout_changed": 1}
    assert_intact(db, run, offers=25)


def test_since_rereads_the_offers_published_in_the_window_only(csp):
    csp()
    before = len(csp.site.requested())
    result, db, run = csp(args={"since": "2026-10-02"})
    fetched = [path for path in csp.site.requested()[before:] if path.startswith("/offre-emploi/")]
    # Page 1 has 3 offers published on or after 2 October (known, re-read all the same);
    # page 2 has 6 published on 6 October.
    assert len(fetched) == 9
    assert REAL_OFFER in fetched
    assert (run["status"], run["unchanged"]) == ("ok", 9)
    assert json.loads(run["options"])["since"] == "2026-10-02"
