"""Unattended running: the scheduler process, `veille run` for cron and its lock."""

import signal
import subprocess
import sys
import time

import pytest

from crawler.config import ConfigError, parse_config
from scheduler import build_jobs, next_run_times
from storage import open_db
from tests.conftest import REPO, parse_table, run_veille, write_config

LISTING = "/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/"
OTHER_SOURCES = ["modernisation", "dinum"]


def only_csp(times) -> dict:
    """A [schedule] that crawls only CSP, at ``times``: the other sources' default times (their
    full runs too) must not fire during a test."""
    return {
        "sources": {**{name: [] for name in OTHER_SOURCES}, "choisirleservicepublic": times},
        "full_sources": {name: [] for name in OTHER_SOURCES},
    }


def test_default_schedule_follows_the_sources_rhythms():
    import datetime as dt
    import zoneinfo

    jobs = {
        job.id: job
        for job in build_jobs(parse_config({}), ["choisirleservicepublic", "jorf", "dinum", "modernisation"])
    }
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    monday_noon = dt.datetime(2026, 11, 23, 12, 5, tzinfo=paris)
    times = {
        job_id: when.astimezone(paris)
        for (job, when) in next_run_times(list(jobs.values()), monday_noon)
        for job_id in [job.id]
    }
    assert times["crawl:choisirleservicepublic"] == dt.datetime(2026, 11, 23, 13, 0, tzinfo=paris)
    assert times["crawl:jorf"] == dt.datetime(2026, 11, 23, 23, 30, tzinfo=paris)
    late_evening = dt.datetime(2026, 11, 23, 21, 30, tzinfo=paris)
    assert next_run_times([jobs["crawl:choisirleservicepublic"]], late_evening)[0][1].astimezone(paris) == dt.datetime(
        2026, 11, 24, 7, 0, tzinfo=paris
    )
    assert next_run_times([jobs["crawl:jorf"]], dt.datetime(2026, 11, 24, 0, 0, tzinfo=paris))[0][1].astimezone(
        paris
    ) == dt.datetime(2026, 11, 24, 1, 30, tzinfo=paris)
    assert jobs["crawl:choisirleservicepublic"].command[-2:] == ["run", "choisirleservicepublic"]
    # A weekly full run reads the whole listing: what tells which offers are no longer listed.
    assert times["full:choisirleservicepublic"] == dt.datetime(2026, 11, 29, 3, 45, tzinfo=paris)
    assert jobs["full:choisirleservicepublic"].command[-3:] == ["run", "choisirleservicepublic", "--full"]
    assert times["full:modernisation"] == dt.datetime(2026, 11, 29, 4, 30, tzinfo=paris)
    # DINUM's single page is read in full on every run; the JO's archives are deltas: no full runs.
    assert {job_id for job_id in jobs if job_id.startswith("full:")} == {
        "full:choisirleservicepublic",
        "full:modernisation",
    }


def test_full_runs_can_be_rescheduled_or_turned_off():
    sources = ["choisirleservicepublic", "modernisation"]
    jobs = {
        job.id: job
        for job in build_jobs(
            parse_config({"schedule": {"full_sources": {"choisirleservicepublic": [], "modernisation": "0 4 * * 6"}}}),
            sources,
        )
    }
    assert "full:choisirleservicepublic" not in jobs
    assert jobs["full:modernisation"].command[-3:] == ["run", "modernisation", "--full"]
    with pytest.raises(ConfigError, match=r"schedule.full_sources.csp: unknown source"):
        build_jobs(parse_config({"schedule": {"full_sources": {"csp": "0 4 * * 6"}}}), sources)


def test_schedule_config_mistakes_name_the_key():
    with pytest.raises(ConfigError, match=r"schedule.sources.choisirleservicepublic\[0\]: not a crontab line"):
        parse_config({"schedule": {"sources": {"choisirleservicepublic": "every day"}}})
    with pytest.raises(ConfigError, match="schedule.timezone: unknown time zone 'Paris'"):
        parse_config({"schedule": {"timezone": "Paris"}})
    with pytest.raises(ConfigError, match=r"schedule.sources.csp: unknown source \(sources: choisirleservicepublic\)"):
        build_jobs(parse_config({"schedule": {"sources": {"csp": "0 8 * * *"}}}), ["choisirleservicepublic"])


def test_schedule_list_prints_next_run_times(tmp_path):
    config = write_config(
        tmp_path / "veille.toml",
        {"database": str(tmp_path / "v.db"), "schedule": {"sources": {"choisirleservicepublic": "0 9 * * 1"}}},
    )
    result = run_veille("--config", str(config), "schedule", "--list")
    assert result.returncode == 0, result.stderr
    rows = {row["job"]: row["next run"] for row in parse_table(result.stdout) if "choisirleservicepublic" in row["job"]}
    assert set(rows) == {"crawl choisirleservicepublic (0 9 * * 1)", "full crawl choisirleservicepublic (45 3 * * 0)"}
    assert rows["crawl choisirleservicepublic (0 9 * * 1)"].endswith(("09:00 CET", "09:00 CEST"))
    assert rows["full crawl choisirleservicepublic (45 3 * * 0)"].endswith(("03:45 CET", "03:45 CEST"))


@pytest.fixture
def site_and_config(tmp_path, replay_site):
    site = replay_site("choisirleservicepublic")

    def config(schedule: str, **extra):
        return write_config(
            tmp_path / "veille.toml",
            {
                "database": str(tmp_path / "veille.db"),
                "http": {"delay": 0, "retries": 0, "timeout": 30},
                "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
                "schedule": {**only_csp(schedule), **extra},
            },
        )

    return site, config, tmp_path / "veille.db"


def start_scheduler(config):
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "--config", str(config), "schedule"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def finished_runs(db_path):
    if not db_path.exists():
        return []
    return open_db(db_path).execute_returning_dicts("select * from runs where finished_at is not null order by id")


def test_scheduler_runs_crawls_then_stops_cleanly_on_sigterm(site_and_config):
    site, config, db_path = site_and_config
    scheduler = start_scheduler(config("every 2s"))
    try:
        assert wait_for(lambda: len(finished_runs(db_path)) >= 2), "two crawls did not happen"
    finally:
        scheduler.send_signal(signal.SIGTERM)
        output = scheduler.communicate(timeout=90)[0]
    assert scheduler.returncode == 0, output
    runs = finished_runs(db_path)
    assert [run["status"] for run in runs[:2]] == ["ok", "ok"]
    assert (runs[0]["new"], runs[1]["new"]) == (26, 0)
    assert open_db(db_path).execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
    assert "received SIGTERM: stopping" in output and output.rstrip().endswith("stopped")


def test_a_crawl_slower_than_its_interval_is_not_started_twice(site_and_config):
    site, config, db_path = site_and_config
    page = site.routes[LISTING][0]
    page.delay = 4  # each crawl takes > 4 s, the trigger fires every second
    scheduler = start_scheduler(config("every 1s"))
    try:
        assert wait_for(lambda: len(finished_runs(db_path)) >= 2)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        output = scheduler.communicate(timeout=90)[0]
    runs = open_db(db_path).execute_returning_dicts("select * from runs order by id")
    for earlier, later in zip(runs, runs[1:]):
        assert earlier["finished_at"] <= later["started_at"], "two crawls overlapped"
    assert "maximum number of running instances reached" in output


def test_sigterm_during_a_crawl_stops_it_cleanly(site_and_config):
    site, config, db_path = site_and_config
    site.routes[LISTING][0].delay = 8  # the crawl is busy on its listing page when SIGTERM comes
    scheduler = start_scheduler(config("every 2s"))
    try:
        assert wait_for(lambda: LISTING in site.requested())
        time.sleep(1)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        output = scheduler.communicate(timeout=120)[0]
    assert scheduler.returncode == 0, output
    [run] = open_db(db_path).execute_returning_dicts("select * from runs")
    assert run["status"] == "interrupted" and run["finished_at"], output
    assert open_db(db_path).execute("pragma integrity_check").fetchone()[0] == "ok"


SITE = {"name": "ademe", "start_urls": ["https://www.ademe.fr/offres/"], "offer_link_pattern": "/offres/[^/]+/$"}


def test_configured_sites_are_crawled_twice_a_day_by_default():
    import datetime as dt
    import zoneinfo

    config = parse_config({"sources": {"site": [SITE]}})
    jobs = {job.id: job for job in build_jobs(config, ["choisirleservicepublic", "ademe"])}
    assert jobs["crawl:ademe"].command[-2:] == ["run", "ademe"]
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    when = dt.datetime(2026, 11, 23, 12, 0, tzinfo=paris)
    fires = []
    for _ in range(3):
        when = jobs["crawl:ademe"].trigger.get_next_fire_time(None, when + dt.timedelta(minutes=1))
        fires.append(when.astimezone(paris).strftime("%d %H:%M"))
    assert fires == ["23 17:30", "24 08:30", "24 17:30"]
    assert "full:ademe" not in jobs  # a site's listing pages are read whole on every run


def test_an_unscheduled_source_has_no_full_crawl_either():
    sources = ["choisirleservicepublic", "modernisation"]
    jobs = {job.id for job in build_jobs(parse_config({"schedule": {"sources": {"modernisation": []}}}), sources)}
    assert "crawl:modernisation" not in jobs and "full:modernisation" not in jobs
    assert "full:choisirleservicepublic" in jobs
    # Unless its full crawls are asked for by name.
    config = parse_config(
        {"schedule": {"sources": {"modernisation": []}, "full_sources": {"modernisation": "0 4 * * 6"}}}
    )
    assert "full:modernisation" in {job.id for job in build_jobs(config, sources)}


def test_schedule_list_warns_about_a_source_never_crawled(tmp_path):
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "sources": {"site": [SITE]},
            "schedule": {"sources": {"ademe": []}},
        },
    )
    result = run_veille("--config", str(config), "schedule", "--list")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "veille: warning: ademe is never crawled by the scheduler ([schedule.sources] gives it no time)"
    ]
    assert "ademe" not in result.stdout
