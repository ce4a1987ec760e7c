"""A listing that loses its pagination is a layout change, not a short listing (issue 13, item 2).

A full crawl is what closes the offers a source no longer lists (storage/lifecycle.py), so a full
crawl that read less than the site announces, or far less than the last complete crawl, must not
count as complete: it closes nothing and the admin hears of it at once. The JO archive without a
table of contents is a layout change too.
"""

import json
import re

import pytest

from crawler.boards.csp import search_path
from storage import open_db
from storage.lifecycle import closed_reason_sql
from tests.conftest import FIXTURES, run_veille, write_config
from tests.fixtures.jorf import build_handmade as handmade

CSP = "choisirleservicepublic"
KEYWORD = "chargé de recrutement"
PAGE_1 = search_path(KEYWORD)
# The six offers of the second listing page.
PAGE_2_REFERENCES = {"2026-2431080", "2026-2341375", "2026-2374007", "2026-2244655", "2026-2374084", "2026-2373954"}
CARD = b'<li class="fr-col-12 item">'


def listing_with_cards(count: int) -> bytes:
    """The real listing page cut to its first ``count`` cards, without pagination."""
    body = (FIXTURES / CSP / "list-page.html").read_bytes()
    head, *cards = body.split(CARD)
    return head + b"".join(CARD + card for card in cards[:count]) + b"</ul>\n</body></html>"


@pytest.fixture
def csp(tmp_path, replay_site, webhook_sink, frozen_clock):
    """`veille run` on CSP replayed on loopback, an admin channel (a loopback webhook sink)."""
    site = replay_site(CSP)
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 0, "timeout": 30},
            "admin": {"urls": [f"json://{webhook_sink.url.removeprefix('http://')}/admin"]},
            "sources": {CSP: {"base_url": site.url, "keywords": [KEYWORD]}},
        },
    )

    def veille_run(*args):
        result = run_veille("--config", str(config), "run", CSP, *args)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        db = open_db(tmp_path / "veille.db")
        return result, db, db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]

    veille_run.site = site
    veille_run.admin = webhook_sink
    return veille_run


def missing(db) -> set[str]:
    """The offers closed because complete crawls no longer listed them."""
    rows = db.execute(f"select source_id, {closed_reason_sql('offers', '?')} from offers", ["2026-06-15"]).fetchall()
    return {source_id for source_id, reason in rows if reason == "missing"}


def test_a_next_link_whose_class_was_renamed_is_a_layout_change_and_closes_nothing(csp):
    result, db, run = csp("--full")
    assert (result.returncode, run["complete"], run["listed"]) == (0, 1, 26)
    page = csp.site.routes[PAGE_1][0].body
    csp.site.add(PAGE_1, page.replace(b"fr-pagination__link--next", b"fr-pagination__link--suivant"))
    for _ in range(2):
        result, db, run = csp("--full")
        assert result.returncode == 1
        assert (run["status"], run["complete"]) == ("failed", 0)
        assert json.loads(run["errors"]) == {"layout_changed": 1}
        [sample] = json.loads(run["error_samples"])
        assert sample["message"] == (
            "the pagination announces 2 pages but page 1 has no next link (a.fr-pagination__link--next)"
        )
    assert missing(db) == set()  # the offers of page 2 are not "missing"
    [notice] = csp.admin.json_bodies("/admin")
    assert notice["title"] == f"veille · source en panne · {CSP}"


def test_a_full_crawl_far_shorter_than_the_last_complete_one_closes_nothing_and_alerts_at_once(csp):
    csp("--full")
    csp.site.add(PAGE_1, listing_with_cards(5))
    result, db, run = csp("--full")
    assert result.returncode == 1
    assert (run["status"], run["complete"], run["listed"]) == ("failed", 0, 5)
    assert json.loads(run["errors"]) == {"incomplete_listing": 1}
    [sample] = json.loads(run["error_samples"])
    assert sample["message"] == "the listing showed 5 offers, the last complete crawl 26: not a complete crawl"
    [notice] = csp.admin.json_bodies("/admin")
    assert "la liste des offres est bien plus courte que d'habitude" in notice["message"]
    assert missing(db) == set()

    # The next full crawl finds the same short listing: the site did shrink. It is complete, and the
    # offers missing from it close once a second complete crawl misses them too.
    result, db, run = csp("--full")
    assert (result.returncode, run["status"], run["complete"]) == (0, "ok", 1)
    assert missing(db) == set()
    result, db, run = csp("--full")
    still_listed = set(re.findall(r"reference-([A-Za-z0-9_-]+?)/", listing_with_cards(5).decode()))
    assert len(still_listed) == 5
    open_before = db.execute("select source_id from offers where deadline is null or deadline >= '2026-06-15'")
    assert missing(db) == {ref for (ref,) in open_before if ref not in still_listed}
    assert PAGE_2_REFERENCES <= missing(db)


def test_a_listing_that_says_it_is_empty_is_no_shrinking(csp):
    csp("--full")
    csp.site.add(PAGE_1, "<!doctype html><html><body><main><p>Aucune offre ne correspond.</p></main></body></html>")
    result, db, run = csp("--full")
    assert (result.returncode, run["status"], run["complete"], run["listed"]) == (0, "ok", 1, 0)


# -- the Journal officiel -----------------------------------------------------------------------

INDEX = "/OPENDATA/JORFSIMPLE/"


def test_a_jo_archive_without_table_of_contents_is_a_layout_change_at_once(
    tmp_path, replay_site, webhook_sink, frozen_clock
):
    site = replay_site()
    texts = [(FIXTURES / "jorf" / "JORFTEXT000054246502-handmade.xml").read_bytes()]
    name = "JORFSIMPLE_20260612-120000.tar.gz"
    site.add(INDEX + name, handmade.build_archive("20260612-120000", [], texts), content_type="application/x-gzip")
    site.add(INDEX, f'<html><body><a href="{name}">{name}</a></body></html>')
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 0},
            "admin": {"urls": [f"json://{webhook_sink.url.removeprefix('http://')}/admin"]},
            "sources": {"jorf": {"index_url": site.url + INDEX}},
        },
    )
    result = run_veille("--config", str(config), "run", "jorf", "--full")
    assert result.returncode == 1
    db = open_db(tmp_path / "veille.db")
    run = db.execute_returning_dicts("select * from runs order by id desc limit 1")[0]
    assert json.loads(run["errors"]) == {"layout_changed": 1}
    [notice] = webhook_sink.json_bodies("/admin")
    assert "la page ne ressemble plus à ce que veille sait lire" in notice["message"]
    assert "no JORFCONT" in notice["message"]
