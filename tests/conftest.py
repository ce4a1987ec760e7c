"""Shared fixtures: a fresh database, recorded pages, a loopback replay site, real crawls."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, XmlResponse

from cli.demo import manifests
from cli.demo.replay import ReplaySite
from storage import open_db, upkeep
from storage.raw import RAW_JOIN, decode_raws

# Loopback SMTP server and webhook sink fixtures for the alert tests; `veille web` on loopback.
pytest_plugins = ["tests.alerts_support", "tests.web_support"]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"

# Fast and quiet crawls against 127.0.0.1: no politeness delays, short timeouts.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "VEILLE_RETRY_BASE_DELAY": "0.05",
    "LOG_LEVEL": "INFO",
    "HTTPCACHE_ENABLED": "0",
}


def pytest_collection_modifyitems(items):
    """Tests marked ``long`` first: with parallel workers (``-n auto``) the one-minute campaign then runs
    beside the others instead of alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def file_response(path: str | Path, url: str):
    """A recorded page as Scrapy hands it to a parser: ``path`` is under tests/fixtures unless
    absolute; an .xml file is an XmlResponse, anything else an HtmlResponse."""
    path = Path(path)
    if not path.is_absolute():
        path = FIXTURES / path
    kind = XmlResponse if path.suffix == ".xml" else HtmlResponse
    return kind(url=url, body=path.read_bytes())


# The moment frozen clocks show: tests never depend on the day they run.
FROZEN_NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen_clock(monkeypatch):
    """veille's one clock (storage.clock) stopped at ``FROZEN_NOW``, here and in the processes a
    test starts (``VEILLE_NOW``); call the fixture's value with another moment to move it."""

    def freeze(moment: dt.datetime = FROZEN_NOW) -> dt.datetime:
        monkeypatch.setenv("VEILLE_NOW", moment.isoformat())
        return moment

    freeze()
    return freeze


@pytest.fixture
def fresh_db(tmp_path):
    return open_db(tmp_path / "veille.db")


@pytest.fixture
def upkeep_interrupted(monkeypatch):
    """``upkeep_interrupted(n)``: the raw upkeep is stopped by Ctrl-C in its ``n``-th batch (batches of 20);
    returns the list of offer ids each batch started after, and ``restore()`` gives the upkeep back."""

    compress = upkeep._compress_raw
    monkeypatch.setattr(upkeep, "BATCH", 20)

    def interrupt_in(batch_number: int) -> list:
        calls = []

        def interrupted(db, through, batch):
            calls.append(through)
            if len(calls) == batch_number:
                raise KeyboardInterrupt
            return compress(db, through, batch)

        monkeypatch.setattr(upkeep, "_compress_raw", interrupted)
        return calls

    interrupt_in.restore = lambda: monkeypatch.setattr(upkeep, "_compress_raw", compress)
    return interrupt_in


@pytest.fixture
def fixture_path():
    def path(source: str, name: str) -> Path:
        return FIXTURES / source / name

    return path


@pytest.fixture
def replay_site():
    sites = []

    def start(source: str | None = None) -> ReplaySite:
        """A replay site on 127.0.0.1: empty, or serving ``source``'s recorded site (cli/demo/sites)."""
        site = ReplaySite()
        if source:
            site.load_manifest(manifests()[source])
        sites.append(site.start())
        return site

    yield start
    for site in sites:
        site.stop()


def toml_value(value) -> str:
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def write_config(path: Path, data: dict) -> Path:
    """A veille.toml from nested dicts (tables) and values."""
    lines = []

    def emit(table: dict, prefix: str) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        for key, value in scalars.items():
            lines.append(f"{key} = {toml_value(value)}")
        for key, value in table.items():
            if isinstance(value, dict):
                emit(value, f"{prefix}.{key}" if prefix else key)

    emit(data, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def scrapy_crawl(tmp_path):
    """Run the real ``scrapy crawl`` from the repository root, in a subprocess."""

    def crawl(
        spider: str, config: Path, *, args: dict | None = None, settings: dict | None = None, timeout: float = 120
    ):
        command = [sys.executable, "-m", "scrapy", "crawl", spider]
        for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
            command += ["-s", f"{name}={value}"]
        for name, value in (args or {}).items():
            command += ["-a", f"{name}={value}"]
        env = {**os.environ, "VEILLE_CONFIG": str(config)}
        env.pop("VEILLE_DB", None)
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)

    return crawl


def run_veille(*args, env: dict | None = None, cwd: Path | None = None, timeout: float = 120):
    """The installed ``veille`` command, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=cwd or REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def parse_table(output: str) -> list[dict]:
    """The rows of a table printed by tabulate (header, dashes, rows) as dicts."""
    lines = output.splitlines()
    dashes_at = next(i for i, line in enumerate(lines) if line.startswith("---"))
    spans, start = [], 0
    for part in lines[dashes_at].split("  "):
        if part:
            spans.append((start, start + len(part)))
        start += len(part) + 2
    header = lines[dashes_at - 1]
    names = [header[a:b].strip() for a, b in spans]
    rows = []
    for line in lines[dashes_at + 1 :]:
        if not line.strip():
            break
        rows.append({name: line[a:b].strip() for name, (a, b) in zip(names, spans)})
    return rows


def store_before_jobs(db, offers: list[dict], *, seen_at: str) -> None:
    """New offers written into a database older than jobs (migrations up to m004), as veille then wrote
    them: today's rows less the columns later migrations added (``salary``, m007)."""
    from storage.rows import LATER_CONTENT_FIELDS, to_row

    for offer in offers:
        row = to_row(offer)
        for name in LATER_CONTENT_FIELDS:
            row.pop(name)
        row.update(first_seen=seen_at, last_seen=seen_at, updated_at=seen_at)
        db["offers"].insert(row)


def everything_stored(path) -> str:
    """Every value of every table, as text (full-text indexes through their own tables), and every
    offer's raw decompressed (storage/raw.py): what a secret must never be in."""
    connection = sqlite3.connect(path)
    tables = [
        name
        for (name,) in connection.execute(
            "select name from sqlite_master where type = 'table' and sql not like 'CREATE VIRTUAL TABLE%'"
        )
    ]
    text = "\n".join(repr(row) for table in tables for row in connection.execute(f'select * from "{table}"'))
    connection.close()
    db = open_db(path)
    rows = db.execute_returning_dicts(f"select offers.*, offer_raw.raw as raw from offers {RAW_JOIN}")
    decode_raws(db, rows)
    return text + "\n" + "\n".join(json.dumps(row["raw"], ensure_ascii=False) for row in rows)
