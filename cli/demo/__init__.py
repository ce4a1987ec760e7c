"""``veille demo``: the whole pipeline on recorded pages of the real sites, offline.

The recorded sites ship with the package (``cli/demo/sites/<source>/``): each has a
``replay.toml`` listing the pages and the paths they are served at, and what the
demo puts in that source's ``[sources.<source>]`` table (``{replay}`` is the replay
server's URL). The pages are the test suite's recorded pages (links to
``tests/fixtures`` in a checkout, copied into the wheel), so the demo crawls what
the tests check. A board with ``crawl = false`` (Passerelles, HelloWork) is served
for the sources that link to it but has no crawl of its own.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import tomllib
from pathlib import Path

import click

from alerts.relevance import refresh_scores
from cli.app import State, cli, pass_state
from cli.commands.crawl import run_crawl
from cli.demo.replay import ReplaySite
from cli.output import print_offers, print_runs
from storage.offers import search_offers

SITES_DIR = Path(__file__).resolve().parent / "sites"


def read_manifest(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def manifests() -> dict[str, Path]:
    """Each recorded site's replay.toml, by source."""
    return {path.parent.name: path for path in sorted(SITES_DIR.glob("*/replay.toml"))}


def demo_config(sites: dict[str, str], database: Path) -> str:
    """A veille.toml pointing every source with a recorded site at its loopback replay."""
    lines = [
        f"database = {json.dumps(str(database))}",
        'contact = "demo (loopback only)"',
        "[http]",
        "delay = 0",
        "timeout = 20",
        "retries = 1",
    ]
    for source, url in sites.items():
        demo_settings = read_manifest(SITES_DIR / source / "replay.toml").get("config", {})
        lines.append(f"[sources.{source}]")
        for key, value in demo_settings.items():
            value = json.loads(json.dumps(value).replace("{replay}", url))
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


@cli.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo database and its veille.toml in this directory (by default they are removed).",
)
@pass_state
def demo(state: State, keep):
    """Crawl recorded pages of the real sites, served on 127.0.0.1, into a
    temporary database, and show what was found. Needs no network."""
    found = manifests()
    if not found:
        raise click.ClickException(f"the recorded pages are missing from this installation ({SITES_DIR})")
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="veille-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sites = {}
    try:
        crawled = []
        for source, manifest in found.items():
            site = ReplaySite()
            site.load_manifest(manifest)
            sites[source] = site.start()
            if read_manifest(manifest).get("crawl", True):
                crawled.append(source)
        config_file = workdir / "veille.toml"
        urls = {name: site.url for name, site in sites.items()}
        config_file.write_text(demo_config(urls, workdir / "demo.db"), encoding="utf-8")
        click.echo(
            f"Replaying recorded pages of {', '.join(sites)} on 127.0.0.1; crawling into {workdir / 'demo.db'}",
            err=True,
        )
        demo_state = State(str(config_file), state.verbose)
        quick = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "HTTPCACHE_ENABLED": False}
        runs = run_crawl(demo_state, crawled, settings=quick)
        click.echo()
        print_runs(runs)
        click.echo()
        db = demo_state.db()
        refresh_scores(db)  # each offer's relevance, shown in the table
        print_offers(list(search_offers(db)))
        if keep:
            click.echo(f"\nTry: veille --config {config_file} offers --search recrutement")
        else:
            click.echo("\nThe demo database is removed now; `veille demo --keep DIR` keeps it to browse.")
    finally:
        for site in sites.values():
            site.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
