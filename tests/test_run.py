"""`veille run` for cron, end to end: crawl, health, alerts; its lock; the scheduler's dispatch."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from crawler.locking import RunLock
from storage import open_db
from tests.conftest import REPO, run_veille, write_config
from tests.test_scheduler import finished_runs, only_csp, start_scheduler, wait_for

LISTING = "/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/"


# The day these runs happen on (veille's clock, in this process and in the ones it starts): some of
# the recorded offers' deadlines (September to November 2026) have passed, some have not.
RUN_DAY = dt.datetime(2026, 10, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def watched(tmp_path, replay_site, smtp_server, frozen_clock):
    """CSP replayed on loopback, a subscription mailing a real SMTP server, and the
    subscription registered before the first crawl (a new subscription does not get
    the back catalogue, so without this the first crawl would send nothing)."""
    frozen_clock(RUN_DAY)
    site = replay_site("choisirleservicepublic")
    smtp = smtp_server()

    def config(**extra):
        data = {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 0, "timeout": 30},
            "sources": {"choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]}},
            # These tests are about runs, not about the offers' age: the recorded offers (published in
            # autumn 2026) are all "new" to this subscription whatever the day.
            "subscriptions": [
                {
                    "name": "recrutement",
                    "keywords": ["chargé de recrutement"],
                    "channels": [smtp.url()],
                    "max_age_days": 3660,
                }
            ],
        }
        for key, value in extra.items():
            data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
        path = write_config(tmp_path / "veille.toml", data)
        return path

    path = config()
    assert run_veille("--config", str(path), "alert").returncode == 0
    return site, smtp, config, tmp_path / "veille.db"


def test_two_runs_at_once_crawl_and_send_once(watched):
    site, smtp, config, db_path = watched
    site.routes[LISTING][0].delay = 5  # keep the first run busy while the second starts
    command = [sys.executable, "-m", "cli", "--config", str(config()), "run", "choisirleservicepublic"]
    first = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The second starts once the first holds the lock (RunLock writes its pid once it has it).
    lock_file = db_path.parent / f".{db_path.name}.lock"
    assert wait_for(lambda: lock_file.exists() and lock_file.read_text().split()[:1] == [str(first.pid)])
    second = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    first_out, first_err = first.communicate(timeout=120)
    assert second.returncode == 0 and "veille: another run is in progress (pid" in second.stderr
    assert first.returncode == 0, first_err
    assert len(finished_runs(db_path)) == 1
    smtp.wait_for(1)
    [message] = smtp.messages
    assert message["Subject"].startswith("veille · ") and "recrutement" in message["Subject"]
    # Running again: nothing new, nothing sent again.
    assert run_veille("--config", str(config()), "run", "choisirleservicepublic").returncode == 0
    time.sleep(0.5)
    assert len(smtp.messages) == 1


def test_a_run_finding_the_lock_taken_leaves_before_importing_scrapy(tmp_path):
    """The lock is the first thing `veille run` does: a run started while another holds it
    neither imports Scrapy nor reads the spiders (which takes seconds on a loaded machine)."""
    config = write_config(tmp_path / "veille.toml", {"database": str(tmp_path / "veille.db")})
    lock = RunLock(tmp_path / "veille.db")
    assert lock.acquire()
    with lock:
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "cli", "--config", str(config), "run"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0
    assert f"veille: another run is in progress (pid {os.getpid()} since" in result.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")
    }
    assert "cli" in imported and "scrapy" not in imported


def test_a_source_that_fails_does_not_hold_back_the_others_alerts(watched):
    site, smtp, config, db_path = watched
    # DINUM points at a closed port: its crawl fails, CSP's offers are still sent.
    path = config(
        sources={
            "choisirleservicepublic": {"base_url": site.url, "keywords": ["chargé de recrutement"]},
            "dinum": {"base_url": "http://127.0.0.1:9"},
        }
    )
    result = run_veille("--config", str(path), "run", "choisirleservicepublic", "dinum")
    assert result.returncode == 1
    runs = {run["source"]: run["status"] for run in finished_runs(db_path)}
    assert runs == {"choisirleservicepublic": "ok", "dinum": "failed"}
    smtp.wait_for(1)
    [message] = smtp.messages
    assert "CHARGE DE RECRUTEMENT ET DE LA MOBILITE" in message.get_body(("plain",)).get_content()


def test_scheduler_crawls_twice_and_dispatches_once(watched):
    site, smtp, config, db_path = watched
    path = config(schedule=only_csp(["every 2s"]))
    scheduler = start_scheduler(path)
    try:
        assert wait_for(lambda: len(finished_runs(db_path)) >= 2)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        output = scheduler.communicate(timeout=90)[0]
    assert scheduler.returncode == 0, output
    smtp.wait_for(1)
    time.sleep(0.5)
    # The first crawl's new open offers in one message; the second crawl found nothing new.
    # One alert per job whose title names the subscription's words and whose deadline had not passed on RUN_DAY.
    db = open_db(db_path)
    offers = db.execute("select source_id, title, deadline from offers").fetchall()
    expected = {
        source_id
        for source_id, title, deadline in offers
        if "recrutement" in title.lower() and (deadline is None or deadline >= RUN_DAY.date().isoformat())
    }
    sent = {
        source_id
        for (source_id,) in db.execute(
            "select m.source_id from alert_outbox a join job_offers m on a.unit = 'job:' || m.job_id "
            "where a.status = 'sent'"
        )
    }
    assert len(smtp.messages) == 1
    assert sent == expected and len(expected) >= 1


def test_digest_subscriptions_get_their_own_scheduler_job(tmp_path):
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "v.db"),
            "subscriptions": [
                {"name": "matin", "keywords": ["design"], "mode": "daily 08:00"},
                {"name": "hebdo", "keywords": ["innovation"], "mode": "weekly mon 09:30"},
                {"name": "aussi le matin", "keywords": ["numérique"], "mode": "daily 08:00"},
            ],
        },
    )
    result = run_veille("--config", str(config), "schedule", "--list")
    assert result.returncode == 0, result.stderr
    assert "digests (daily 08:00, Europe/Paris)" in result.stdout
    assert "digests (weekly mon 09:30, Europe/Paris)" in result.stdout
    assert result.stdout.count("digests (") == 2


def test_a_full_run_reads_the_whole_listing_and_counts_as_complete(watched):
    site, smtp, config, db_path = watched
    assert run_veille("--config", str(config()), "run", "choisirleservicepublic").returncode == 0
    result = run_veille("--config", str(config()), "run", "choisirleservicepublic", "--full")
    assert result.returncode == 0, result.stderr
    first, full = finished_runs(db_path)
    # Only the full run read the whole listing: it is what tells which offers are no longer listed.
    assert (first["complete"], full["complete"]) == (0, 1)
    assert '"full": true' in full["options"]


def test_unreachable_sources_leave_one_line_per_error_class_and_no_traceback(tmp_path, replay_site):
    """What cron mails for a run whose sites cannot be reached: no Scrapy traceback, one line per
    source and error class, the table; the details are in the run ledger."""
    hanging = replay_site()
    hanging.add("/recrutement/", "<html></html>", delay=5)  # accepts, never answers in time
    config = write_config(
        tmp_path / "veille.toml",
        {
            "database": str(tmp_path / "veille.db"),
            "http": {"delay": 0, "retries": 1, "timeout": 1},
            "sources": {
                "dinum": {"base_url": "http://127.0.0.1:9"},  # connection refused
                "modernisation": {"base_url": hanging.url, "start_urls": ["/recrutement/"]},
            },
        },
    )
    result = run_veille("--config", str(config), "run", "dinum", "modernisation")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "veille: dinum: connection × 1: DownloadConnectionRefusedError: Connection was refused by other side: 111: "
        "Connection refused. (http://127.0.0.1:9/recrutement/)",
        f"veille: modernisation: timeout × 1: timed out ({hanging.url}/recrutement/)",
    ]
    assert [line.split()[:2] for line in result.stdout.splitlines()[2:]] == [
        ["dinum", "failed"],
        ["modernisation", "failed"],
    ]
    samples = {run["source"]: run["error_samples"] for run in finished_runs(tmp_path / "veille.db")}
    assert '"class": "timeout"' in samples["modernisation"] and '"class": "connection"' in samples["dinum"]
