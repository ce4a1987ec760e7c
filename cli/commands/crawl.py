"""Crawling: ``veille crawl``, ``veille run`` (for cron) and ``veille schedule``."""

from __future__ import annotations

import sys
import zoneinfo

import click
from tabulate import tabulate

import scheduler
from cli.app import State, cli, iso_date, pass_state
from cli.output import print_dispatch, print_runs
from crawler.health import assess, notify_admin, ping_heartbeat
from crawler.locking import RunLock
from storage.health import source_health
from storage.runs import get_run


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
        runs.append(
            get_run(db, run_id)
            if run_id
            else {"source": source, "status": "failed", "reason": "did not start", "errors": {}}
        )
    return runs


def check_sources(state: State, sources) -> list[str]:
    """The named sources, or all of them; an unknown name is a usage error."""
    known = available_sources(state)
    unknown = [name for name in sources if name not in known]
    if unknown:
        raise click.UsageError(f"unknown source {', '.join(unknown)}; sources: {', '.join(known)}")
    return list(sources) or known


def after_runs(state: State, runs: list[dict], *, heartbeat: bool = False) -> bool:
    """Source health after crawling: tell the admin channel about breakages and recoveries. False
    when a source is unhealthy, even after an ok run (a field's coverage collapsed)."""
    db = state.db()
    healthy = True
    for run in runs:
        if run.get("id") is None:
            continue
        notice = assess(db, run, state.config)
        if notice:
            click.echo(f"veille: {notice.title}", err=True)
            notify_admin(state.config, notice)
        healthy = healthy and source_health(db, run["source"])["state"] != "failing"
    if heartbeat and runs and healthy and all(run["status"] == "ok" for run in runs):
        ping_heartbeat(state.config.admin.heartbeat_url)
    return healthy


@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--full", is_flag=True, help="Ignore stop-at-known: re-read every listing page and offer.")
@click.option(
    "--since",
    metavar="DATE",
    callback=iso_date,
    help="Read what was published since DATE (YYYY-MM-DD): for jorf, the archives delivered since then that are not "
    "processed yet; for choisirleservicepublic, every offer published since then, even if stored already.",
)
@pass_state
def crawl(state: State, sources, full, since):
    """Crawl the named sources (default: all) into the database.

    Listing pages are read until K offers in a row are already stored
    (stop_after_known in veille.toml); --full reads everything again. The jorf source
    reads only the archives not yet in its ledger (on its first run, those of the
    last first_run_days days, or since --since). Exit code 0 when every run
    succeeded, 1 when one failed or left its source unhealthy (see `veille status`).
    """
    runs = run_crawl(state, check_sources(state, sources), full=full, since=since)
    print_runs(runs)
    healthy = after_runs(state, runs)
    sys.exit(0 if healthy and all(run["status"] == "ok" for run in runs) else 1)


@cli.command("run")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--full",
    is_flag=True,
    help="Ignore stop-at-known: re-read every listing page and offer. A full run that reads the whole listing is what "
    "tells which offers are no longer listed (closed once missing from two): schedule one now and then.",
)
@pass_state
def run_command(state: State, sources, full):
    """For cron: crawl all (or the named) sources, check their health, send the alerts.

    Exit code 0 when everything went well, 1 when a source or an alert channel
    failed or a source is unhealthy (a field's coverage collapsed; the alerts of
    the other sources are sent all the same), 2 on a bad configuration. While
    another run holds the database's lock, exit 0 at once: no double crawl, no
    double send.
    """
    sources = check_sources(state, sources)
    lock = RunLock(state.config.database_path)
    if not lock.acquire():
        click.echo(f"veille: another run is in progress ({lock.holder()}); nothing to do", err=True)
        sys.exit(0)
    with lock:
        runs = run_crawl(state, sources, full=full)
        print_runs(runs)
        healthy = after_runs(state, runs, heartbeat=True)
        alerts_ok = True
        if state.config.subscriptions:
            from alerts.dispatch import dispatch

            # Every source's offers are matched, whichever crawl failed.
            click.echo()
            report = dispatch(state.db(), state.config)
            print_dispatch(report, state.config)
            alerts_ok = report.ok
    sys.exit(0 if alerts_ok and healthy and all(run["status"] == "ok" for run in runs) else 1)


@cli.command()
@click.option("--list", "list_only", is_flag=True, help="Print the jobs and their next run times, and exit.")
@pass_state
def schedule(state: State, list_only):
    """Run the long-lived scheduler (stop it with Ctrl-C or SIGTERM).

    Crawls each source on its [schedule.sources] times, each in a subprocess with a
    time limit (`veille run SOURCE`: crawl, health check, alerts), and sends the
    digests of the subscriptions on their own times.
    """
    import logging

    jobs = scheduler.build_jobs(state.config, available_sources(state))
    if list_only:
        timezone = zoneinfo.ZoneInfo(state.config.schedule.timezone)
        rows = [
            [job.description, when.astimezone(timezone).strftime("%Y-%m-%d %H:%M %Z") if when else "never"]
            for job, when in scheduler.next_run_times(jobs)
        ]
        click.echo(tabulate(rows, headers=["job", "next run"]))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    sys.exit(scheduler.run_scheduler(state.config, available_sources(state)))
