"""Crawling: ``veille crawl``, ``veille run`` (for cron) and ``veille schedule``.

Scrapy, the scheduler and the health checks are imported where they are used: ``veille run``
takes its lock before them, and the commands that do not crawl start without them.
"""

from __future__ import annotations

import sys
import zoneinfo

import click
from tabulate import tabulate

from cli.app import State, check_database_path, cli, iso_date, pass_state
from cli.output import print_dispatch, print_run_errors, print_runs
from crawler.locking import RunLock


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
    state.db()  # and on a database path that cannot be one
    project = get_project_settings()
    if config.source_path:
        project.set("VEILLE_CONFIG", str(config.source_path), priority="cmdline")
    # Without -v, Scrapy says nothing (its failed requests are tracebacks in cron logs): each run's
    # errors are in the run ledger, and print_run_errors says one line per error class.
    project.set("LOG_LEVEL", "INFO" if state.verbose else "CRITICAL", priority="cmdline")
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


def scrapy_settings(ctx, param, values) -> dict[str, str]:
    """``-s NAME=VALUE`` options as Scrapy settings (values as strings, as ``scrapy crawl -s`` gives them)."""
    settings = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name.strip() or not name.strip().replace("_", "").isalnum():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE (e.g. -s DOWNLOAD_DELAY=0)")
        settings[name.strip()] = _checked_setting(name.strip(), setting)
    return settings


_BOOLEANS = {"0", "1", "true", "false", "True", "False"}


def _checked_setting(name: str, value: str) -> str:
    """A value Scrapy would fail to read mid-crawl (``getint`` of "abc") is a usage error now; the
    expected type is that of veille's own default for the setting, when it has one."""
    from crawler import settings as defaults

    default = getattr(defaults, name, None)
    kind = type(default)
    try:
        if kind is bool:
            if value not in _BOOLEANS:
                raise ValueError
        elif kind in (int, float):
            kind(value)
    except ValueError:
        expected = {bool: "0 or 1", int: "a whole number", float: "a number"}[kind]
        raise click.BadParameter(f"{name}={value!r}: expected {expected}") from None
    return value


# Scrapy settings for one crawl, above veille.toml and crawler/settings.py (as `scrapy crawl -s`).
setting_option = click.option(
    "-s",
    "--set",
    "settings",
    metavar="NAME=VALUE",
    multiple=True,
    callback=scrapy_settings,
    help="Set a Scrapy setting for this crawl, above veille.toml (repeatable), as `scrapy crawl -s` does: e.g. "
    "-s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=0 to crawl a site of your own at full speed.",
)


def check_sources(state: State, sources) -> list[str]:
    """The named sources, or all of them; an unknown name is a usage error."""
    known = available_sources(state)
    unknown = [name for name in sources if name not in known]
    if unknown:
        raise click.UsageError(f"unknown source {', '.join(unknown)}; sources: {', '.join(known)}")
    return list(sources) or known


def after_runs(state: State, runs: list[dict], *, heartbeat: bool = False) -> tuple[bool, bool]:
    """Source health after crawling: tell the admin channel about breakages and recoveries.
    (Whether every notice was delivered (one that was not is made again by the next run), whether
    every source is healthy: a source can be unhealthy after an ok run, when a field's coverage
    collapsed.)"""
    from crawler.health import ping_heartbeat, report_health
    from storage.health import source_health

    db = state.db()
    delivered = healthy = True
    for run in runs:
        if run.get("id") is None:
            continue
        notice, accepted = report_health(db, run, state.config)
        healthy = healthy and source_health(db, run["source"])["state"] != "failing"
        if notice is None:
            continue
        if accepted:
            click.echo(f"veille: {notice.title} (admin told)", err=True)
        elif not state.config.admin.urls:
            click.echo(f"veille: {notice.title} (no [admin] urls to tell)", err=True)
        else:
            delivered = False
            click.echo(f"veille: {notice.title}: no admin channel took it; the next run tries again", err=True)
    if heartbeat and runs and healthy and all(run["status"] == "ok" for run in runs):
        ping_heartbeat(state.config.admin.heartbeat_url)
    return delivered, healthy


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
@setting_option
@pass_state
def crawl(state: State, sources, full, since, settings):
    """Crawl the named sources (default: all) into the database.

    Listing pages are read until K offers in a row are already stored
    (stop_after_known in veille.toml); --full reads everything again. The jorf source
    reads only the archives not yet in its ledger (on its first run, those of the
    last first_run_days days, or since --since). Exit code 0 when every run
    succeeded, 1 when one failed or left its source unhealthy (see `veille status`).
    """
    state.sending_config("admin", "sources")  # health notices, PISTE credentials
    runs = run_crawl(state, check_sources(state, sources), full=full, since=since, settings=settings)
    print_run_errors(runs)
    print_runs(runs)
    _, healthy = after_runs(state, runs)
    sys.exit(0 if healthy and all(run["status"] == "ok" for run in runs) else 1)


@cli.command("run")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--full",
    is_flag=True,
    help="Ignore stop-at-known: re-read every listing page and offer. A full run that reads the whole listing is what "
    "tells which offers are no longer listed (closed once missing from two): schedule one now and then.",
)
@setting_option
@pass_state
def run_command(state: State, sources, full, settings):
    """For cron: crawl all (or the named) sources, check their health, send the alerts.

    Exit code 0 when everything went well, 1 when a source or an alert channel
    failed or a source is unhealthy (a field's coverage collapsed; the alerts of
    the other sources are sent all the same), 2 on a bad configuration. While
    another run holds the database's lock, exit 0 at once: no double crawl, no
    double send.
    """
    # The lock first, before Scrapy is even imported: two runs started together must not both
    # get past this line.
    config = state.sending_config()
    check_database_path(config.database_path, config.database_origin)
    lock = RunLock(config.database_path)
    if not lock.acquire():
        click.echo(f"veille: another run is in progress ({lock.holder()}); nothing to do", err=True)
        sys.exit(0)
    with lock:
        sources = check_sources(state, sources)
        runs = run_crawl(state, sources, full=full, settings=settings)
        print_run_errors(runs)
        print_runs(runs)
        delivered, healthy = after_runs(state, runs, heartbeat=True)
        ok = delivered and healthy
        from storage.web_subscriptions import any_active

        if state.config.subscriptions or any_active(state.db()):
            from alerts.dispatch import dispatch
            from cli.commands.alerts import warn_unserved

            warn_unserved(state.db())
            # Every source's offers are matched, whichever crawl failed.
            click.echo()
            report = dispatch(state.db(), state.config)
            print_dispatch(report, state.config)
            ok = report.ok and ok
    sys.exit(0 if ok and all(run["status"] == "ok" for run in runs) else 1)


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

    import scheduler

    if not list_only:
        state.sending_config()  # its crawls send alerts and health notices
    jobs = scheduler.build_jobs(state.config, available_sources(state))
    if list_only:
        timezone = zoneinfo.ZoneInfo(state.config.schedule.timezone)
        rows = [
            [job.description, when.astimezone(timezone).strftime("%Y-%m-%d %H:%M %Z") if when else "never"]
            for job, when in scheduler.next_run_times(jobs)
        ]
        click.echo(tabulate(rows, headers=["job", "next run"]))
        for source in scheduler.unscheduled_sources(state.config, available_sources(state)):
            click.echo(
                f"veille: warning: {source} is never crawled by the scheduler ([schedule.sources] gives it no time)",
                err=True,
            )
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    sys.exit(scheduler.run_scheduler(state.config, available_sources(state)))
