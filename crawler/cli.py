"""The ``veille`` command."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path

import click
from tabulate import tabulate

from crawler.config import Config, ConfigError, load_config

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


class State:
    def __init__(self, config_path: str | None, verbose: bool):
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def db(self):
        from storage import open_db

        return open_db(self.config.database_path)


pass_state = click.make_pass_decorator(State)


class VeilleGroup(click.Group):
    """Turns user mistakes (bad config, bad dates) into one line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            for line in str(error).splitlines():
                click.echo(f"veille: config error: {line}", err=True)
            ctx.exit(2)


@click.group(cls=VeilleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="veille.toml to use (default: $VEILLE_CONFIG, else ./veille.toml, else built-in defaults).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO) while crawling.")
@click.version_option(package_name="veille")
@click.pass_context
def cli(ctx, config_path, verbose):
    """veille watches official French job boards for public-sector transformation
    offers, stores them once in SQLite and shows what is new.

    \b
    Quick start, no network needed:  veille demo
    Crawl every source:              veille crawl
    Browse what was found:           veille offers --search "innovation"
    """
    ctx.obj = State(config_path, verbose)


def _iso_date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-24") from None


# -- crawl ----------------------------------------------------------------------------------


def available_sources(state: State | None = None) -> list[str]:
    """Every spider: the built-in sources and the [[sources.site]] of the configuration."""
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    if state is not None and state.config.source_path:
        settings.set("VEILLE_CONFIG", str(state.config.source_path), priority="cmdline")
    return sorted(get_spider_loader(settings).list())


def run_crawl(
    state: State, sources: list[str], *, full: bool = False, since: str | None = None, settings: dict | None = None
) -> list[dict]:
    """Crawl ``sources`` in this process, concurrently, and return their runs from the ledger.

    ``since`` (ISO date) reaches every spider as ``-a since=DATE``; a source that has no use for it ignores it."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from storage.runs import get_run

    config = state.config  # fail on a bad config before Scrapy starts
    project = get_project_settings()
    if config.source_path:
        project.set("VEILLE_CONFIG", str(config.source_path), priority="cmdline")
    project.set("LOG_LEVEL", "INFO" if state.verbose else "WARNING", priority="cmdline")
    project.set("VEILLE_PROGRESS_INTERVAL", 15 if sys.stderr.isatty() else 0, priority="cmdline")
    for name, value in (settings or {}).items():
        project.set(name, value, priority="cmdline")
    process = CrawlerProcess(project)
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(source)
        crawlers.append(crawler)
        spider_args = {"full": "1" if full else ""}
        if since:
            spider_args["since"] = since
        process.crawl(crawler, **spider_args)
    process.start()
    db = state.db()
    runs = []
    for source, crawler in zip(sources, crawlers):
        run_id = crawler.stats.get_value("veille/run_id") if crawler.stats else None
        runs.append(get_run(db, run_id) if run_id else {"source": source, "status": "failed", "reason": "did not start", "errors": {}})
    return runs


def _error_summary(errors: dict) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(errors.items())) or "-"


def print_runs(runs: list[dict]) -> None:
    rows = [
        [run["source"], run["status"], run.get("pages", 0), run.get("items", 0), run.get("new", 0), run.get("updated", 0), _error_summary(run["errors"])]
        for run in runs
    ]
    click.echo(tabulate(rows, headers=["source", "status", "pages", "offers", "new", "updated", "errors"]))


@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--full", is_flag=True, help="Ignore stop-at-known: re-read every listing page and offer.")
@click.option(
    "--since",
    metavar="DATE",
    callback=_iso_date,
    help="Read what was published since DATE (YYYY-MM-DD): for jorf, the archives delivered since then that are not processed yet.",
)
@pass_state
def crawl(state: State, sources, full, since):
    """Crawl the named sources (default: all) into the database.

    Listing pages are read until K offers in a row are already stored
    (stop_after_known in veille.toml); --full reads everything again. The jorf source
    reads only the archives not yet in its ledger (on its first run, those of the
    last first_run_days days, or since --since). Exit code 0 when every run
    succeeded, 1 when one failed (see `veille status`).
    """
    known = available_sources(state)
    unknown = [name for name in sources if name not in known]
    if unknown:
        raise click.UsageError(f"unknown source {', '.join(unknown)}; sources: {', '.join(known)}")
    runs = run_crawl(state, list(sources) or known, full=full, since=since)
    print_runs(runs)
    sys.exit(0 if all(run["status"] == "ok" for run in runs) else 1)


# -- offers ---------------------------------------------------------------------------------


def _place(offer: dict) -> str:
    if offer.get("department") and offer.get("location") and f"({offer['department']})" not in offer["location"]:
        return f"{offer['location']} ({offer['department']})"
    return offer.get("location") or offer.get("department") or ""


def _short(text: str | None, width: int) -> str:
    return textwrap.shorten(text or "", width=width, placeholder="…")


def print_offers(offers: list[dict]) -> None:
    rows = [
        [
            offer.get("published_on") or offer["first_seen"][:10],
            offer["source"],
            _short(offer["title"], 60),
            _short(offer.get("employer"), 36),
            _short(_place(offer), 28),
            offer.get("deadline") or "",
        ]
        for offer in offers
    ]
    click.echo(tabulate(rows, headers=["published", "source", "title", "employer", "place", "deadline"]))


@cli.command()
@click.option("--search", "-s", "query", metavar="Q", help="Full-text search in title, employer, missions, profile (accents optional).")
@click.option("--source", metavar="S", help="Only offers of this source.")
@click.option("--since", metavar="DATE", callback=_iso_date, help="Only offers published (or first seen) on or after DATE (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many offers.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, every field.")
@pass_state
def offers(state: State, query, source, since, limit, as_json):
    """List stored offers, newest first."""
    from storage.offers import search_offers

    found = list(search_offers(state.db(), query=query, source=source, since=since, limit=limit))
    if as_json:
        for offer in found:
            click.echo(json.dumps(offer, ensure_ascii=False))
        return
    if not found:
        click.echo("No offer matches." if (query or source or since) else "No offer stored yet: run `veille crawl` (or `veille demo`).")
        return
    print_offers(found)
    click.echo(f"\n{len(found)} offers")


# -- status ---------------------------------------------------------------------------------


def _duration(run: dict) -> str:
    if not run.get("finished_at"):
        return ""
    seconds = (dt.datetime.fromisoformat(run["finished_at"]) - dt.datetime.fromisoformat(run["started_at"])).total_seconds()
    return f"{seconds:.0f}s"


def print_archives(db, limit: int = 10) -> None:
    """The JORF archive ledger: the latest archives, what came out of them, and what failed."""
    from storage.archives import archive_counts, recent_archives

    archives = recent_archives(db, limit)
    if not archives:
        return
    counts = archive_counts(db)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    click.echo(f"\njorf archives ({summary}); latest {len(archives)}:")
    rows = [
        [
            archive["name"],
            archive["status"],
            f"{archive['size'] / 1024:,.0f} KB" if archive["size"] else "",
            archive["texts_seen"] if archive["texts_seen"] is not None else "",
            archive["notices_found"] if archive["notices_found"] is not None else "",
            (archive["processed_at"] or "").replace("T", " ")[:16],
            archive["attempts"],
            _short(archive["last_error"], 60),
        ]
        for archive in archives
    ]
    click.echo(tabulate(rows, headers=["archive", "status", "size", "texts", "notices", "processed (UTC)", "tries", "last error"]))


@cli.command()
@pass_state
def status(state: State):
    """Last run of every source: when, result, counts and errors; the JORF archive ledger."""
    from storage.runs import last_runs

    db = state.db()
    click.echo(f"database: {state.config.database_path}")
    stored = dict(db.execute("select source, count(*) from offers group by source").fetchall())
    runs = last_runs(db)
    if not runs:
        click.echo("No crawl yet: run `veille crawl`.")
        return
    rows = [
        [
            run["source"],
            run["started_at"].replace("T", " ")[:16],
            _duration(run),
            run["status"],
            run.get("pages") or 0,
            run.get("items") or 0,
            run.get("new") or 0,
            run.get("updated") or 0,
            stored.get(run["source"], 0),
            _error_summary(run["errors"]),
        ]
        for run in runs
    ]
    click.echo(tabulate(rows, headers=["source", "last run (UTC)", "took", "result", "pages", "offers", "new", "updated", "stored", "errors"]))
    for run in runs:
        for sample in run["error_samples"][:3]:
            click.echo(f"  {run['source']}: {sample['class']}: {sample['message']} {sample.get('url') or ''}".rstrip())
    print_archives(db)


# -- demo -----------------------------------------------------------------------------------


def _manifest(path: Path) -> dict:
    import tomllib

    with path.open("rb") as handle:
        return tomllib.load(handle)


def _demo_config(sites: dict[str, str], database: Path) -> str:
    """A veille.toml pointing every source with a recorded site at its loopback replay."""
    lines = [f"database = {json.dumps(str(database))}", 'contact = "demo (loopback only)"', "[http]", "delay = 0", "timeout = 20", "retries = 1"]
    for source, url in sites.items():
        demo_settings = _manifest(FIXTURES_DIR / source / "replay.toml").get("config", {})
        lines.append(f"[sources.{source}]")
        for key, value in demo_settings.items():
            value = json.loads(json.dumps(value).replace("{replay}", url))
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Keep the demo database in this directory.")
@pass_state
def demo(state: State, keep):
    """Crawl recorded pages of the real sites, served on 127.0.0.1, into a
    temporary database, and show what was found. Needs no network."""
    from crawler.replay import ReplaySite

    manifests = sorted(FIXTURES_DIR.glob("*/replay.toml"))
    if not manifests:
        raise click.ClickException(f"the recorded pages are not here ({FIXTURES_DIR}); run the demo from a source checkout (pip install -e .)")
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="veille-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sites = {}
    try:
        crawled = []
        for manifest in manifests:
            site = ReplaySite()
            site.load_manifest(manifest)
            sites[manifest.parent.name] = site.start()
            # A board without a spider (crawl = false) is served for the sources that link to it.
            if _manifest(manifest).get("crawl", True):
                crawled.append(manifest.parent.name)
        config_file = workdir / "veille.toml"
        config_file.write_text(_demo_config({name: site.url for name, site in sites.items()}, workdir / "demo.db"), encoding="utf-8")
        click.echo(f"Replaying recorded pages of {', '.join(sites)} on 127.0.0.1; crawling into {workdir / 'demo.db'}", err=True)
        demo_state = State(str(config_file), state.verbose)
        runs = run_crawl(demo_state, crawled, settings={"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "HTTPCACHE_ENABLED": False})
        click.echo()
        print_runs(runs)
        click.echo()
        from storage.offers import search_offers

        print_offers(list(search_offers(demo_state.db())))
        click.echo(f"\nTry: veille --config {config_file} offers --search recrutement")
    finally:
        for site in sites.values():
            site.stop()


def main() -> None:
    cli(prog_name="veille")
