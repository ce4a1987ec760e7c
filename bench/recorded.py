"""Bytes per offer of the demo's crawl of the recorded sites: what a database of real offers weighs.

Runs the unmodified ``veille demo --keep DIR`` (the recorded pages of the real sites served on 127.0.0.1,
crawled by the real Scrapy engine, grouped into jobs, scored, alerted; no network) at a fixed moment
(``VEILLE_NOW``, default 2026-12-04T08:00:00+00:00: the dates the demo moves, hence the stored text, are
the same every run), then measures its database once its WAL is checkpointed:

- bytes per offer in all (the file's size / the offers stored);
- bytes per offer beyond an empty database (the file's size less an empty database's, made by the same
  code: what grows with offers). The target (<= 5 KB per offer) is judged on this figure: a database of
  some 150 offers is mostly the one page each table and index of an empty database has;
- by table and index (SQLite's ``dbstat``): bytes per offer beyond the empty database's, and unused bytes.

The sources are crawled at once, so offers are stored in a different order from run to run, and B-tree
pages split differently: a table may end with a page more or less (8 KB, some 50 bytes per offer). The demo
runs three times (``--runs``); the median run is reported, with the range.

Baseline, measured in the same run: the same offers as ``veille offers --json`` prints them (every field,
raw included, one JSON object a line). Ratio = DB bytes per offer beyond an empty database / JSON bytes
per offer (1.0: the database costs what the offers' own text costs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before bench/, whose storage.py is not the storage package

from storage import open_db  # noqa: E402

TARGET_BYTES = 5 * 1024
NOW = "2026-12-04T08:00:00+00:00"


def veille_command() -> list[str]:
    script = Path(sys.executable).with_name("veille")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def pages_by_name(path: Path) -> dict[str, tuple[int, int]]:
    """(pages, unused bytes) of each table and index of the database at ``path``."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("select name, count(*), sum(unused) from dbstat group by name").fetchall()
    finally:
        conn.close()
    return {name: (pages, unused) for name, pages, unused in rows}


def checkpointed(path: Path) -> tuple[int, dict[str, int], int, int]:
    """(bytes of the file once its WAL is checkpointed, offers by source, page size, free pages)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("pragma wal_checkpoint(truncate)")
        by_source = dict(conn.execute("select source, count(*) from offers group by source order by 2 desc"))
        page_size = conn.execute("pragma page_size").fetchone()[0]
        free = conn.execute("pragma freelist_count").fetchone()[0]
    finally:
        conn.close()
    return path.stat().st_size, by_source, page_size, free


def run_demo(directory: Path, now: str, log: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("VEILLE_DB", "VEILLE_CONFIG")}
    env["VEILLE_NOW"] = now
    with log.open("wb") as output:
        status = subprocess.run(
            [*veille_command(), "demo", "--keep", str(directory)], stdout=output, stderr=subprocess.STDOUT, env=env
        ).returncode
    if status != 0:
        raise SystemExit(f"veille demo failed (exit {status}):\n{log.read_text(errors='replace')[-3000:]}")


def offers_as_json(directory: Path) -> bytes:
    return subprocess.run(
        [*veille_command(), "--config", str(directory / "veille.toml"), "offers", "--json"],
        capture_output=True,
        check=True,
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--now", default=NOW, help=f"the moment the demo runs at (VEILLE_NOW, default {NOW})")
    parser.add_argument("--runs", type=int, default=3, help="how many times the demo runs (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="keep the median run's directory (database, veille.toml) in DIR")
    parser.add_argument("--tables", type=int, default=12, help="how many tables and indexes to list (default 12)")
    arguments = parser.parse_args()
    if arguments.keep and Path(arguments.keep).exists():
        raise SystemExit(f"{arguments.keep} exists: give a directory to create")

    with tempfile.TemporaryDirectory() as temporary:
        empty_path = Path(temporary) / "empty.db"
        open_db(empty_path).conn.close()
        empty_size, _, empty_page_size, empty_free = checkpointed(empty_path)
        empty_tables = pages_by_name(empty_path)

        runs = []
        for number in range(arguments.runs):
            directory = Path(temporary) / f"demo-{number}"
            run_demo(directory, arguments.now, Path(temporary) / f"demo-{number}.log")
            size, by_source, page_size, free = checkpointed(directory / "demo.db")
            runs.append((size - free * page_size, number, by_source, page_size, directory, size))
        runs.sort()
        used, _, by_source, page_size, directory, size = runs[len(runs) // 2]
        tables = pages_by_name(directory / "demo.db")
        listed = offers_as_json(directory)
        if arguments.keep:
            shutil.copytree(directory, arguments.keep)

    offers = sum(by_source.values())
    # Pages in use: a new database has some free already (what its migrations dropped), used by the first offers.
    empty_used = empty_size - empty_free * empty_page_size
    beyond = used - empty_used
    print(
        f"the demo's crawl of the recorded sites at {arguments.now}: {offers} offers "
        f"({', '.join(f'{count} {source}' for source, count in by_source.items())})"
    )
    print(
        f"database: {size:,} bytes ({page_size:,}-byte pages, {used:,} in use); an empty one: {empty_size:,} "
        f"({empty_used:,} in use)"
    )
    sizes = [run[0] for run in runs]
    print(
        f"bytes per offer in all: {size / offers:,.0f}; beyond an empty database (pages in use): "
        f"{beyond / offers:,.0f} "
        f"(median of {len(runs)} runs: {', '.join(f'{(run_used - empty_used) / offers:,.0f}' for run_used in sizes)})"
    )
    print(f"the same offers as `veille offers --json`: {len(listed) / offers:,.0f} bytes per offer")
    print("beyond an empty database, by table and index (bytes per offer; unused bytes of their pages):")
    grown = sorted(
        (
            (pages - empty_tables.get(name, (0, 0))[0], unused, name)
            for name, (pages, unused) in tables.items()
            if pages > empty_tables.get(name, (0, 0))[0]
        ),
        reverse=True,
    )
    for pages, unused, name in grown[: arguments.tables]:
        print(f"  {pages * page_size / offers:7,.0f}  unused {unused / offers:5,.0f}  {name}")
    if len(grown) > arguments.tables:
        rest = sum(pages for pages, _, _ in grown[arguments.tables :])
        print(f"  {rest * page_size / offers:7,.0f}  the {len(grown) - arguments.tables} others that grew")
    spread = (max(sizes) - min(sizes)) / offers
    print(
        f"recorded_bytes ratio: {beyond / len(listed):.2f} (DB bytes per offer beyond an empty database / JSON bytes "
        f"per offer; target: <= {TARGET_BYTES:,} bytes per offer beyond an empty database, measured "
        f"{beyond / offers:,.0f}, ±{spread / 2:,.0f} from run to run)"
    )


if __name__ == "__main__":
    main()
