"""A dispatch killed (SIGKILL) in the middle of sending: the rerun delivers every pending
alert, and the only possible duplicate is the one message that was in flight."""

import collections
import os
import signal
import subprocess
import sys

import pytest

from storage import open_db
from tests.alerts_support import offer, store
from tests.conftest import REPO, run_veille

# A few days after the offers' publication (2026-10-02): within a subscription's max_age_days.
NOW = "2026-10-05T10:00:00+00:00"

SUBSCRIPTIONS = ["s0", "s1", "s2", "s3"]


def write_config(path, server):
    lines = [f'database = "{path.parent / "veille.db"}"']
    for name in SUBSCRIPTIONS:
        lines += [
            "[[subscriptions]]",
            f'name = "{name}"',
            'keywords = ["transformation publique"]',
            f'channels = ["{server.url(to=f"{name}@example.org")}"]',
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def veille(config, *args):
    return run_veille("--config", str(config), *args, env={"VEILLE_DB": "", "VEILLE_NOW": NOW}, timeout=120)


@pytest.mark.parametrize(
    "stage, expected_duplicates",
    [
        # Killed after the SMTP server received the whole second message but before it said
        # "250 accepted": the message reached its recipient, veille could not know it.
        ("DATA", 1),
        # Killed while the second message's recipients were being given: nothing transferred.
        ("RCPT", 0),
    ],
)
def test_sigkill_mid_dispatch_then_rerun_delivers_everything_with_at_most_the_in_flight_duplicate(
    tmp_path, smtp_server, stage, expected_duplicates
):
    server = smtp_server()
    config = write_config(tmp_path / "veille.toml", server)
    assert veille(config, "alert").returncode == 0  # registers the subscriptions: they start now
    db = open_db(tmp_path / "veille.db")
    store(db, *[offer(f"n-{i}", f"Chef de projet transformation publique {i}") for i in range(3)])

    server.hold_after(1, stage)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "--config", str(config), "alert"],
        cwd=REPO,
        env={**os.environ, "VEILLE_DB": "", "VEILLE_NOW": NOW},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert server.holding.wait(60), "the dispatch never reached the second message"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        server.release()
    assert process.returncode == -signal.SIGKILL

    rerun = veille(config, "alert")
    assert rerun.returncode == 0, rerun.stderr
    assert "cut short" in rerun.stderr

    received = collections.Counter(str(message["To"]) for message in server.messages)
    assert set(received) == {f"{name}@example.org" for name in SUBSCRIPTIONS}  # nobody lost anything
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates == expected_duplicates
    if duplicates:
        assert received["s1@example.org"] == 2  # the one in flight, nobody else
    statuses = db.execute("select status, count(*) from alert_outbox group by status").fetchall()
    assert statuses == [("sent", len(SUBSCRIPTIONS) * 3)]
    # Every message listed all three offers; the operator is told about the cut.
    assert all(
        message["Subject"] == f"veille · 3 nouvelles offres · {message['To'].split('@')[0]}"
        for message in server.messages
    )
    status = veille(config, "status")
    assert "were being sent when veille was stopped" in status.stdout
