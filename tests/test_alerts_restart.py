"""Restarted with the same pid (issue 13, item 3): veille as a container's entrypoint is PID 1 on every
start. A dispatch killed mid-send by SIGKILL and started again as PID 1 must know its predecessor is
dead, at once, not an hour later; and each kill makes at most one message arrive once more.

The pid is injected (``os.getpid`` answers 1 in the dispatching process), or, where the machine allows
it, veille really runs as PID 1 of a new PID namespace (``unshare --pid``).
"""

import collections
import os
import shutil
import signal
import subprocess
import sys

import pytest

from storage import open_db
from tests.alerts_support import offer, store
from tests.conftest import REPO

SUBSCRIPTIONS = ["s0", "s1", "s2", "s3"]
# `veille` in a process whose pid is 1, as in a container.
AS_PID_1 = "import os, sys; os.getpid = lambda: 1; from cli import main; main()"


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


def unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--map-root-user", sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0 and probe.stdout.strip() == "1"


def command(how: str, config, *args) -> list[str]:
    if how == "injected":
        return [sys.executable, "-c", AS_PID_1, "--config", str(config), *args]
    return ["unshare", "--pid", "--fork", "--kill-child", "--map-root-user", sys.executable, "-m", "cli"] + [
        "--config",
        str(config),
        *args,
    ]


def veille(how, config, *args):
    env = {**os.environ, "VEILLE_DB": ""}
    return subprocess.run(command(how, config, *args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def killed_mid_send(how, config, server, *, after: int) -> None:
    """Start a dispatch, hold the SMTP server once it received message number ``after + 1`` in full,
    and SIGKILL the dispatch there (before the server's "250 accepted")."""
    server.hold_after(after, "DATA")
    process = subprocess.Popen(
        command(how, config, "alert"),
        cwd=REPO,
        env={**os.environ, "VEILLE_DB": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert server.holding.wait(60), "the dispatch never reached the message to hold"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        server.release()


@pytest.fixture(params=["injected", "namespace"])
def as_pid_1(request):
    if request.param == "namespace" and not unshare_works():
        pytest.skip("no user and PID namespaces here (unshare --pid --map-root-user)")
    return request.param


@pytest.fixture
def queued(tmp_path, smtp_server, frozen_clock, as_pid_1):
    """Four subscriptions on one SMTP server, three new offers matching each, nothing sent yet. The
    clock is frozen: a delivery cut short is never "an hour old", so only knowing its process is dead
    can free it."""
    server = smtp_server()
    config = write_config(tmp_path / "veille.toml", server)
    assert veille(as_pid_1, config, "alert").returncode == 0  # registers the subscriptions: they start now
    store(
        open_db(tmp_path / "veille.db"),
        *[offer(f"n-{i}", f"Chef de projet transformation publique {i}") for i in range(3)],
    )
    return server, config, as_pid_1


def received(server) -> collections.Counter:
    return collections.Counter(str(message["To"]) for message in server.messages)


def test_a_dispatch_killed_as_pid_1_is_taken_over_by_the_next_pid_1_at_once(queued, tmp_path):
    server, config, how = queued
    killed_mid_send(how, config, server, after=1)
    rerun = veille(how, config, "alert")
    assert rerun.returncode == 0, rerun.stderr
    assert "cut short" in rerun.stderr
    counts = received(server)
    assert set(counts) == {f"{name}@example.org" for name in SUBSCRIPTIONS}  # nothing waits an hour
    assert counts["s1@example.org"] == 2 and sum(counts.values()) == len(SUBSCRIPTIONS) + 1
    db = open_db(tmp_path / "veille.db")
    assert db.execute("select status, count(*) from alert_outbox group by status").fetchall() == [("sent", 12)]
    owners = db.execute("select owner from alert_deliveries where status = 'interrupted'").fetchall()
    assert len(owners) == 1 and "pid 1 " in owners[0][0]


def test_each_kill_repeats_at_most_one_message(queued, tmp_path):
    server, config, how = queued
    killed_mid_send(how, config, server, after=1)  # s1's message arrived, unacknowledged
    killed_mid_send(how, config, server, after=2)  # the same message, sent again, cut short again
    rerun = veille(how, config, "alert")
    assert rerun.returncode == 0, rerun.stderr
    counts = received(server)
    kills = 2
    assert set(counts) == {f"{name}@example.org" for name in SUBSCRIPTIONS}
    assert counts["s1@example.org"] == 1 + kills  # caught by both kills
    assert sum(counts.values()) - len(SUBSCRIPTIONS) <= kills
