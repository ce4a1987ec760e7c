"""Source health: one admin alert per breakage, one "recovered" when it works again."""

import pytest

from crawler.config import parse_config
from crawler.health import assess, told
from storage.health import health_states
from storage.runs import finish_run, get_run, start_run
from tests.conftest import run_veille, write_config

CONFIG = parse_config({"admin": {"failures_before_alert": 3}})
GOOD_COVERAGE = {"title": 1.0, "deadline": 0.9, "employer": 1.0, "missions": 1.0}


def record_run(db, status="ok", errors=None, items=20, coverage=None, source="choisirleservicepublic"):
    run_id = start_run(db, source)
    samples = [{"class": name, "url": "http://x/", "message": f"{name} sample"} for name in (errors or {})]
    finish_run(
        db,
        run_id,
        status=status,
        reason="finished",
        pages=3,
        items=items,
        new=0,
        updated=0,
        unchanged=items,
        dropped=0,
        errors=errors or {},
        error_samples=samples,
        field_coverage=GOOD_COVERAGE if coverage is None else coverage,
    )
    return get_run(db, run_id)


def assess_and_tell(db, run, config=CONFIG):
    """Assess a run; a notice is taken by the admin channel."""
    notice = assess(db, run, config)
    if notice:
        told(db, notice)
    return notice


def test_healthy_runs_say_nothing(fresh_db):
    assert assess_and_tell(fresh_db, record_run(fresh_db), CONFIG) is None
    assert health_states(fresh_db)["choisirleservicepublic"]["state"] == "ok"


def test_layout_change_alerts_at_once_then_never_again_until_it_recovers(fresh_db):
    notice = assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"layout_changed": 1}, items=0), CONFIG)
    assert notice.kind == "problem"
    assert notice.title == "veille · source en panne · choisirleservicepublic"
    assert "la page ne ressemble plus à ce que veille sait lire : layout_changed sample (http://x/)" in notice.body
    assert assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"layout_changed": 1}, items=0), CONFIG) is None
    assert assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"layout_changed": 1}, items=0), CONFIG) is None
    recovered = assess_and_tell(fresh_db, record_run(fresh_db), CONFIG)
    assert recovered.kind == "recovered"
    assert recovered.title == "veille · source rétablie · choisirleservicepublic"
    assert assess_and_tell(fresh_db, record_run(fresh_db), CONFIG) is None


def test_a_block_alerts_at_once(fresh_db):
    notice = assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"blocked": 1}, items=0), CONFIG)
    assert "le site bloque veille (403, 429 ou captcha)" in notice.body


def test_other_failures_alert_after_n_in_a_row(fresh_db):
    for _ in range(2):
        assert assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"timeout": 2}), CONFIG) is None
    state = health_states(fresh_db)["choisirleservicepublic"]
    assert (state["state"], state["consecutive_failures"], state["alerted_at"]) == ("failing", 2, None)
    notice = assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"timeout": 2}), CONFIG)
    assert "3 exécutions en échec d'affilée (délai dépassé × 2)" in notice.body


def test_failures_below_the_threshold_then_success_send_nothing(fresh_db):
    assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"http_5xx": 1}), CONFIG)
    assert assess_and_tell(fresh_db, record_run(fresh_db), CONFIG) is None
    assert health_states(fresh_db)["choisirleservicepublic"]["consecutive_failures"] == 0


def test_a_field_whose_coverage_collapses_is_a_problem_even_in_an_ok_run(fresh_db):
    for _ in range(3):
        assess_and_tell(fresh_db, record_run(fresh_db), CONFIG)
    broken = {**GOOD_COVERAGE, "deadline": 0.05}
    notice = assess_and_tell(fresh_db, record_run(fresh_db, coverage=broken), CONFIG)
    assert "le champ « deadline » n'est plus rempli que pour 5% des offres (d'habitude 90%)" in notice.body
    # The breakage persists: no repeat, and the baseline does not learn it.
    for _ in range(4):
        assert assess_and_tell(fresh_db, record_run(fresh_db, coverage=broken), CONFIG) is None
    assert health_states(fresh_db)["choisirleservicepublic"]["state"] == "failing"
    assert assess_and_tell(fresh_db, record_run(fresh_db), CONFIG).kind == "recovered"


def test_small_runs_do_not_judge_coverage(fresh_db):
    for _ in range(3):
        assess_and_tell(fresh_db, record_run(fresh_db), CONFIG)
    assert (
        assess_and_tell(fresh_db, record_run(fresh_db, items=2, coverage={**GOOD_COVERAGE, "deadline": 0.0}), CONFIG)
        is None
    )


def test_a_notice_no_channel_took_is_made_again_by_the_next_run(fresh_db):
    first = assess(fresh_db, record_run(fresh_db, "failed", {"layout_changed": 1}, items=0), CONFIG)
    assert first.kind == "problem"  # ... and every admin channel refused it: not told
    assert health_states(fresh_db)["choisirleservicepublic"]["alerted_at"] is None
    again = assess(fresh_db, record_run(fresh_db, "failed", {"layout_changed": 1}, items=0), CONFIG)
    assert (again.kind, again.title) == ("problem", first.title)
    told(fresh_db, again)
    assert assess(fresh_db, record_run(fresh_db, "failed", {"layout_changed": 1}, items=0), CONFIG) is None
    # The recovery too: until a channel takes it, the admin still believes the source broken.
    assert assess(fresh_db, record_run(fresh_db), CONFIG).kind == "recovered"
    recovered = assess(fresh_db, record_run(fresh_db), CONFIG)
    assert recovered.kind == "recovered"
    told(fresh_db, recovered)
    assert assess(fresh_db, record_run(fresh_db), CONFIG) is None


def test_notices_are_in_french_with_paris_times(fresh_db, frozen_clock):
    import datetime as dt

    frozen_clock(dt.datetime(2026, 1, 12, 23, 30, tzinfo=dt.UTC))  # 00:30 on the 13th in Paris
    notice = assess_and_tell(fresh_db, record_run(fresh_db, "failed", {"blocked": 1}, items=0))
    assert notice.lines[1:] == [
        "En échec depuis le 13 janvier 2026 à 00h30 (heure de Paris).",
        "Dernière exécution : n° 1, en échec, commencée le 13 janvier 2026 à 00h30.",
    ]
    frozen_clock(dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC))
    recovered = assess_and_tell(fresh_db, record_run(fresh_db))
    assert recovered.lines == [
        "choisirleservicepublic fonctionne de nouveau (exécution n° 2, commencée le 1er juillet 2026 à 08h00, heure "
        "de Paris).",
        "Problème signalé : le site bloque veille (403, 429 ou captcha) : blocked sample (http://x/).",
    ]


@pytest.fixture
def broken_then_fixed(tmp_path, replay_site, webhook_sink):
    """CSP on loopback with an admin channel (apprise json:// to a loopback sink) and a heartbeat
    (GET /ping there too)."""
    site = replay_site("choisirleservicepublic")
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 0},
            "admin": {
                "urls": [f"json://{webhook_sink.url.removeprefix('http://')}/admin"],
                "heartbeat_url": f"{webhook_sink.url}/ping",
            },
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
        },
    )
    return site, webhook_sink, config


def test_broken_layout_alerts_the_admin_channel_once_and_recovery_once(broken_then_fixed):
    site, sink, config = broken_then_fixed
    listing = "/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/"
    good_listing = site.routes[listing]
    site.add(listing, "<!doctype html><html><body><main><section class='results-v2'></section></main></body></html>")

    first = run_veille("--config", str(config), "run", "choisirleservicepublic")
    assert first.returncode == 1
    [alert] = sink.json_bodies("/admin")
    assert alert["title"] == "veille · source en panne · choisirleservicepublic"
    assert "la page ne ressemble plus à ce que veille sait lire" in alert["message"]
    assert [r for r in sink.requests if r["path"] == "/ping"] == []  # no heartbeat after a failed run

    second = run_veille("--config", str(config), "run", "choisirleservicepublic")
    assert second.returncode == 1
    assert len(sink.json_bodies("/admin")) == 1  # not repeated

    site.routes[listing] = good_listing
    third = run_veille("--config", str(config), "run", "choisirleservicepublic")
    assert third.returncode == 0, third.stderr
    assert [body["title"] for body in sink.json_bodies("/admin")] == [
        "veille · source en panne · choisirleservicepublic",
        "veille · source rétablie · choisirleservicepublic",
    ]
    assert [(r["method"], r["path"]) for r in sink.requests if r["path"] == "/ping"] == [("GET", "/ping")]

    status = run_veille("--config", str(config), "status")
    assert "health" in status.stdout


def test_status_shows_a_failing_source_and_its_problem(broken_then_fixed):
    site, sink, config = broken_then_fixed
    site.add("/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/", "<html><body>maintenance</body></html>")
    run_veille("--config", str(config), "run", "choisirleservicepublic")
    status = run_veille("--config", str(config), "status")
    assert "choisirleservicepublic: failing since" in status.stdout
    assert "(admin told " in status.stdout


def test_a_notice_the_admin_channel_refused_is_sent_again_by_the_next_run(broken_then_fixed):
    site, sink, config = broken_then_fixed
    site.add("/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/", "<html><body>maintenance</body></html>")
    sink.statuses = [500]  # the admin channel is down for the first run
    first = run_veille("--config", str(config), "run", "choisirleservicepublic")
    assert first.returncode == 1
    assert "no admin channel took it; the next run tries again" in first.stderr
    status = run_veille("--config", str(config), "status")
    assert "admin told" not in status.stdout
    assert "(admin not told yet: retried on the next run)" in status.stdout

    second = run_veille("--config", str(config), "run", "choisirleservicepublic")
    assert second.returncode == 1
    assert [request["status"] for request in sink.requests if request["path"] == "/admin"] == [500, 200]
    assert sink.json_bodies("/admin")[1]["title"] == "veille · source en panne · choisirleservicepublic"
    assert "(admin told " in run_veille("--config", str(config), "status").stdout
    run_veille("--config", str(config), "run", "choisirleservicepublic")
    assert len(sink.json_bodies("/admin")) == 2  # told once: not repeated
