"""The ``veille`` command."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import textwrap
import zoneinfo
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


def check_sources(state: State, sources) -> list[str]:
    """The named sources, or all of them; an unknown name is a usage error."""
    known = available_sources(state)
    unknown = [name for name in sources if name not in known]
    if unknown:
        raise click.UsageError(f"unknown source {', '.join(unknown)}; sources: {', '.join(known)}")
    return list(sources) or known


def after_runs(state: State, runs: list[dict], *, heartbeat: bool = False) -> None:
    """Source health after crawling: tell the admin channel about breakages and recoveries."""
    from crawler.health import assess, notify_admin, ping_heartbeat

    db = state.db()
    for run in runs:
        if run.get("id") is None:
            continue
        notice = assess(db, run, state.config)
        if notice:
            click.echo(f"veille: {notice.title}", err=True)
            notify_admin(state.config, notice)
    if heartbeat and runs and all(run["status"] == "ok" for run in runs):
        ping_heartbeat(state.config.admin.heartbeat_url)


@cli.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--full", is_flag=True, help="Ignore stop-at-known: re-read every listing page and offer.")
@click.option(
    "--since",
    metavar="DATE",
    callback=_iso_date,
    help="Read what was published since DATE (YYYY-MM-DD): for jorf, the archives delivered since then that are not processed yet; for choisirleservicepublic, every offer published since then, even if stored already.",
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
    runs = run_crawl(state, check_sources(state, sources), full=full, since=since)
    print_runs(runs)
    after_runs(state, runs)
    sys.exit(0 if all(run["status"] == "ok" for run in runs) else 1)


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
    failed (the alerts of the other sources are sent all the same), 2 on a bad
    configuration. While another run holds the database's lock, exit 0 at once:
    no double crawl, no double send.
    """
    from crawler.locking import RunLock

    sources = check_sources(state, sources)
    lock = RunLock(state.config.database_path)
    if not lock.acquire():
        click.echo(f"veille: another run is in progress ({lock.holder()}); nothing to do", err=True)
        sys.exit(0)
    with lock:
        runs = run_crawl(state, sources, full=full)
        print_runs(runs)
        after_runs(state, runs, heartbeat=True)
        alerts_ok = True
        if state.config.subscriptions:
            from alerts.dispatch import dispatch

            # Every source's offers are matched, whichever crawl failed.
            click.echo()
            report = dispatch(state.db(), state.config)
            print_dispatch(report, state.config)
            alerts_ok = report.ok
    sys.exit(0 if alerts_ok and all(run["status"] == "ok" for run in runs) else 1)


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

    jobs = scheduler.build_jobs(state.config, available_sources(state))
    if list_only:
        timezone = zoneinfo.ZoneInfo(state.config.schedule.timezone)
        rows = [[job.description, when.astimezone(timezone).strftime("%Y-%m-%d %H:%M %Z") if when else "never"] for job, when in scheduler.next_run_times(jobs)]
        click.echo(tabulate(rows, headers=["job", "next run"]))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    sys.exit(scheduler.run_scheduler(state.config, available_sources(state)))


# -- offers ---------------------------------------------------------------------------------


def _place(offer: dict) -> str:
    if offer.get("department") and offer.get("location") and f"({offer['department']})" not in offer["location"]:
        return f"{offer['location']} ({offer['department']})"
    return offer.get("location") or offer.get("department") or ""


def _short(text: str | None, width: int) -> str:
    return textwrap.shorten(text or "", width=width, placeholder="…")


def print_offers(offers: list[dict]) -> None:
    """Offers as a table; with their status and job when annotated (storage.jobs.annotate_offers)."""
    annotated = bool(offers) and "status" in offers[0]
    rows = []
    for offer in offers:
        row = [
            offer.get("published_on") or offer["first_seen"][:10],
            offer["source"],
            _short(offer["title"], 56),
            _short(offer.get("employer"), 32),
            _short(_place(offer), 24),
            offer.get("deadline") or "",
        ]
        if annotated:
            row.append("open" if offer["closed_reason"] is None else f"closed ({offer['closed_reason']})")
            also = f" (also on {', '.join(offer['also_on'])})" if offer["also_on"] else ""
            row.append(_short(f"{offer['job_id']}{also}", 44) if offer["job_id"] else "")
        rows.append(row)
    headers = ["published", "source", "title", "employer", "place", "deadline"] + (["status", "job"] if annotated else [])
    click.echo(tabulate(rows, headers=headers))


@cli.command()
@click.option("--search", "-s", "query", metavar="Q", help="Full-text search in title, employer, missions, profile (accents optional).")
@click.option("--source", metavar="S", help="Only offers of this source.")
@click.option("--since", metavar="DATE", callback=_iso_date, help="Only offers published (or first seen) on or after DATE (YYYY-MM-DD).")
@click.option("--open", "only_open", is_flag=True, help="Only open offers (deadline not passed, still listed, not cancelled).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many offers.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, every field, with status, job_id and also_on.")
@pass_state
def offers(state: State, query, source, since, only_open, limit, as_json):
    """List stored offers, newest first, with their status (open, or closed and why) and
    their job: its number and the other boards it is also published on."""
    from storage.job_views import annotate_offers
    from storage.offers import search_offers

    db = state.db()
    if only_open:
        found = [offer for offer in annotate_offers(db, list(search_offers(db, query=query, source=source, since=since))) if offer["closed_reason"] is None]
        found = found[:limit] if limit else found
    else:
        found = annotate_offers(db, list(search_offers(db, query=query, source=source, since=since, limit=limit)))
    if as_json:
        for offer in found:
            click.echo(json.dumps(offer, ensure_ascii=False))
        return
    if not found:
        click.echo("No offer matches." if (query or source or since or only_open) else "No offer stored yet: run `veille crawl` (or `veille demo`).")
        return
    print_offers(found)
    click.echo(f"\n{len(found)} offers")


# -- jobs -----------------------------------------------------------------------------------


def _job_error(error: Exception) -> click.ClickException:
    # The message as raised: str() of a LookupError with one argument is that argument, but
    # stripping quotes off str() would eat the closing quote of a message that starts with one.
    return click.ClickException(str(error.args[0]) if len(error.args) == 1 else str(error))


@cli.group(invoke_without_command=True)
@click.option("--all", "include_closed", is_flag=True, help="Closed jobs too (all their offers closed).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many jobs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: the job and its offers.")
@click.pass_context
def jobs(ctx, include_closed, limit, as_json):
    """Jobs: one post, however many boards publish it. Without a subcommand, list the
    open jobs, newest first, with the boards each is published on.

    \b
    veille jobs show 12                  a job, its offers, links, and why they are grouped
    veille jobs show modernisation:2024-17971    the job of an offer (SOURCE:SOURCE_ID)
    veille jobs split SOURCE:SOURCE_ID   a wrong merge: the offer gets a job of its own
    veille jobs merge 12 15              a missed merge: job 15's offers join job 12
    """
    if ctx.invoked_subcommand:
        return
    from alerts.units import board_label
    from storage.job_views import list_jobs

    state = ctx.find_object(State)
    found = list_jobs(state.db(), include_closed=include_closed, limit=limit)
    if as_json:
        for job in found:
            click.echo(json.dumps(job, ensure_ascii=False))
        return
    if not found:
        click.echo("No open job." if not include_closed else "No offer stored yet: run `veille crawl` (or `veille demo`).")
        return
    rows = []
    for job in found:
        first = next((offer for offer in job["offers"] if offer["closed_reason"] is None), job["offers"][0])
        boards = list(dict.fromkeys(board_label({"source": offer["source"], "raw": {"board": offer["board"]}}) for offer in job["offers"]))
        deadlines = [offer["deadline"] for offer in job["offers"] if offer["deadline"]]
        rows.append(
            [job["id"], job["published_on"], "open" if job["open"] else "closed", _short(first["title"], 50), _short(first["employer"], 30),
             _short(_place(first), 22), max(deadlines) if deadlines else "", len(job["offers"]), _short(", ".join(boards), 50)]
        )  # fmt: skip
    click.echo(tabulate(rows, headers=["job", "published", "status", "title", "employer", "place", "deadline", "offers", "published on"]))
    noun = "job" if len(found) == 1 else "jobs"
    click.echo(f"\n{len(found)} {noun if include_closed else 'open ' + noun}")


@jobs.command("show")
@click.argument("job")
@pass_state
def jobs_show(state: State, job):
    """A job (by number, or by one of its offers as SOURCE:SOURCE_ID): its offers on each
    board, their status and links, and why each is in the job."""
    from alerts.units import board_label
    from storage.job_edits import resolve_job
    from storage.job_views import get_job, job_offers
    from storage.jobs import UnknownOffer

    db = state.db()
    try:
        job_id = resolve_job(db, job)
    except (UnknownOffer, ValueError) as error:
        raise _job_error(error) from None
    info = get_job(db, job_id)
    offers = job_offers(db, job_id)
    status = "open" if any(offer["closed_reason"] is None for offer in offers) else "closed"
    click.echo(f"job {job_id} · {status} · {len(offers)} offer{'s' if len(offers) != 1 else ''} · first seen {info['created_at'][:10]}")
    if info["reposted_from"]:
        click.echo(f"re-posts job {info['reposted_from']} (the same post, published again after it closed)")
    if info["reposts"]:
        click.echo(f"re-posted as job {', '.join(map(str, info['reposts']))}")
    for offer in offers:
        click.echo()
        click.echo(f"{offer['source']}:{offer['source_id']}  ({board_label(offer)})  {offer['status']}")
        click.echo(f"  {offer['title']}")
        details = [part for part in (offer.get("employer"), _place(offer), offer.get("published_on") and f"published {offer['published_on']}",
                                     offer.get("deadline") and f"deadline {offer['deadline']}") if part]  # fmt: skip
        if details:
            click.echo(f"  {' · '.join(details)}")
        click.echo(f"  {offer['url']}")
        if offer.get("apply_url") and offer["apply_url"] != offer["url"]:
            click.echo(f"  apply: {offer['apply_url']}")
        click.echo(f"  in this job: {offer['reason']}")


@jobs.command("split")
@click.argument("offer", metavar="SOURCE:SOURCE_ID")
@pass_state
def jobs_split(state: State, offer):
    """Undo a wrong merge: the offer leaves its job for a job of its own. The decision is
    kept: automatic grouping never puts it with those offers again."""
    from storage.job_edits import parse_offer_reference, split_offer
    from storage.jobs import UnknownOffer

    db = state.db()
    try:
        old, new = split_offer(db, *parse_offer_reference(offer))
    except (UnknownOffer, ValueError) as error:
        raise _job_error(error) from None
    click.echo(f"{offer} left job {old}: it is job {new} now, kept apart from job {old}'s offers.")


@jobs.command("merge")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@pass_state
def jobs_merge(state: State, first, second):
    """A missed merge: B's job joins A's job (each a job number or an offer as
    SOURCE:SOURCE_ID). Alerts already sent for either job count for both."""
    from storage.job_edits import merge_jobs, resolve_job
    from storage.jobs import UnknownOffer

    db = state.db()
    try:
        keep, other = resolve_job(db, first), resolve_job(db, second)
        if keep == other:
            raise ValueError(f"{first} and {second} are already the same job ({keep})")
        merge_jobs(db, keep, other)
    except (UnknownOffer, ValueError) as error:
        raise _job_error(error) from None
    click.echo(f"job {other} merged into job {keep}.")


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
    """Every source: last run, result, counts, errors, health and next scheduled run;
    the JORF archive ledger; pending and failed alerts."""
    import scheduler
    from crawler.health import health_states
    from storage.runs import last_runs

    db = state.db()
    click.echo(f"database: {state.config.database_path}")
    stored = dict(db.execute("select source, count(*) from offers group by source").fetchall())
    runs = {run["source"]: run for run in last_runs(db)}
    health = health_states(db)
    sources = available_sources(state)
    next_runs = {job.id.removeprefix("crawl:"): when for job, when in scheduler.next_run_times(scheduler.build_jobs(state.config, sources))}
    timezone = zoneinfo.ZoneInfo(state.config.schedule.timezone)
    if not runs:
        click.echo("No crawl yet: run `veille crawl`.")
    rows = []
    for source in sorted(set(sources) | set(runs)):
        run = runs.get(source, {})
        when = next_runs.get(source)
        source_health = health.get(source)
        rows.append(
            [
                source,
                run["started_at"].replace("T", " ")[:16] if run else "never",
                _duration(run) if run else "",
                run.get("status", ""),
                run.get("items") or 0,
                run.get("new") or 0,
                run.get("updated") or 0,
                stored.get(source, 0),
                _error_summary(run.get("errors") or {}),
                source_health["state"] if source_health else "",
                when.astimezone(timezone).strftime("%m-%d %H:%M") if when else "",
            ]
        )
    if runs:
        click.echo(tabulate(rows, headers=["source", "last run (UTC)", "took", "result", "offers", "new", "updated", "stored", "errors", "health", f"next run ({timezone.key})"]))
    for run in runs.values():
        for sample in run["error_samples"][:3]:
            click.echo(f"  {run['source']}: {sample['class']}: {sample['message']} {sample.get('url') or ''}".rstrip())
    for source, source_health in sorted(health.items()):
        if source_health["state"] == "failing" and source_health["problem"]:
            told = "admin told" if source_health["alerted_at"] else "not yet reported"
            click.echo(f"  {source}: failing since {source_health['failing_since']}: {source_health['problem']} ({told})")
    print_archives(db)
    print_alert_status(db)


# -- alerts ---------------------------------------------------------------------------------


def _paris(moment) -> str:
    """A UTC datetime or ISO string as Paris wall-clock time, to the minute."""
    from storage.clock import PARIS

    if not moment:
        return "-"
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def print_alert_status(db) -> None:
    """Pending and failed alerts by subscription and channel, and sends cut short by a crash."""
    from storage import outbox

    rows = outbox.summary(db)
    if not rows:
        return
    click.echo("\nalerts (times in Europe/Paris):")
    table = [
        [row["subscription"], _short(row["channel"], 48), row["pending"], row["failed"], row["sent"], _paris(row["next_attempt_at"]) if row["pending"] else "-", _short(row["last_error"], 60) if row["last_error"] else ""]
        for row in rows
    ]
    click.echo(tabulate(table, headers=["subscription", "channel", "pending", "failed", "sent", "next try", "last error"]))
    failed = outbox.failed_alerts(db, limit=5)
    if failed:
        click.echo("Failed alerts, given up on (`veille alert --retry-failed` queues them again):")
        for row in failed:
            click.echo(f"  {row['subscription']}: {row['unit']} -> {row['channel']} after {row['attempts']} attempts: {row['last_error']}")
    interrupted = outbox.interrupted_deliveries(db)
    if interrupted:
        click.echo(f"{len(interrupted)} message(s) were being sent when veille was stopped; their alerts were sent again, so each may have arrived twice.")


def print_dispatch(report, config) -> None:
    """What a dispatch sent, by subscription; failed channels and interrupted sends on stderr."""

    def result(sub) -> str:
        if not config.subscription(sub.name).channels:
            return "no channel"
        return "failed" if sub.failures else ("sent" if sub.messages else ("waiting" if not sub.due else "-"))

    rows = [[sub.name, sub.mode, sub.matched, sub.sent, sub.messages, sub.pending, result(sub), _paris(sub.next_due)] for sub in report.subscriptions]
    click.echo(tabulate(rows, headers=["subscription", "mode", "new", "alerts sent", "messages", "pending", "result", "next due"]))
    for sub in report.subscriptions:
        for failure in sub.failures:
            click.echo(f"  {sub.name}: {failure.channel}: {failure.alerts} alert(s) not sent: {failure.error}; next try {_paris(failure.next_attempt_at)}", err=True)
    if report.interrupted:
        click.echo(f"{report.interrupted} earlier send(s) had been cut short by a stop; their alerts were sent again.", err=True)


def _describe_subscription(subscription) -> str:
    parts = []
    if subscription.keywords:
        parts.append(f"{len(subscription.keywords)} keywords")
    if subscription.query:
        parts.append("query")
    if subscription.exclude:
        parts.append(f"{len(subscription.exclude)} exclusions")
    for name in ("departements", "regions", "categories", "versants", "sources", "employers"):
        values = getattr(subscription, name)
        if values:
            parts.append(f"{name}: {', '.join(values)}")
    return "; ".join(parts)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would be queued and sent; write and send nothing.")
@click.option("--backfill", is_flag=True, help="Match every stored open offer, not only those new since the last dispatch (an offer already alerted is never sent again).")
@click.option("--subscription", "-s", "names", multiple=True, metavar="NAME", help="Only this subscription (repeatable).")
@click.option("--retry-failed", is_flag=True, help="Queue alerts marked failed again, their attempts reset (after fixing a channel).")
@pass_state
def alert(state: State, dry_run, backfill, names, retry_failed):
    """Match the offers stored since the last dispatch against every subscription
    and send what is due: one message per subscription and channel.

    A new subscription starts from now: it does not receive the offers already
    stored unless --backfill. Digest subscriptions ("daily 08:00") send when
    their time has come. An alert is marked sent only once its channel accepted
    it; a failed channel is retried on later runs with growing delays. Exit code
    0 when everything due was sent, 1 when a channel failed (see `veille status`).
    """
    from alerts.dispatch import dispatch
    from storage import outbox
    from storage.clock import now as utcnow

    config = state.config
    if not config.subscriptions:
        click.echo("No subscription configured: add a [[subscriptions]] table to veille.toml (see veille.example.toml).")
        return
    for name in names:
        config.subscription(name)  # unknown name: one-line error, exit 2
    db = state.db()
    if retry_failed and not dry_run:
        count = outbox.retry_failed(db, utcnow(), list(names) or None)
        click.echo(f"{count} failed alert(s) queued again.")
    report = dispatch(db, config, dry_run=dry_run, backfill=backfill, only=list(names) or None)
    if dry_run:
        from alerts.units import JobUnits

        for sub in report.subscriptions:
            click.echo(f"{sub.name}: {len(sub.would_send)} new matching job(s) would be queued")
            views = JobUnits().views(db, sub.would_send[:50])
            for key in sub.would_send[:50]:
                view = views.get(key)
                click.echo(f"  {_short(view.title if view else key, 70)}  ({', '.join(view.sources) if view else '?'})")
        return

    print_dispatch(report, config)
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.option("--test", "test_name", metavar="NAME", help="Show which stored jobs this subscription matches, and why.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="With --test: at most this many jobs.")
@pass_state
def subscriptions(state: State, test_name, limit):
    """List the subscriptions of veille.toml with their alert counts, or try one on the stored jobs
    (open and closed: closed ones are never alerted)."""
    from alerts.dispatch import next_due
    from alerts.matching import OfferIndex, Rule, describe_reasons, match
    from alerts.units import JobUnits
    from storage import outbox
    from storage.clock import paris_today as today

    config = state.config
    if test_name:
        subscription = config.subscription(test_name)
        db = state.db()
        stored = JobUnits().documents(db, today=today())
        index = OfferIndex(unit.document for unit, _ in stored)
        rule = Rule.from_subscription(subscription)
        found = match([rule], index)[rule.name]
        rows = [
            [unit.key.removeprefix("job:"), view.published_on or "", ", ".join(view.sources), _short(view.title, 55), _short(view.employer, 30), view.deadline or "", _short(describe_reasons(rule.reasons(index, position)), 70)]
            for position in found[:limit]
            for unit, view in [stored[position]]
        ]
        if rows:
            click.echo(tabulate(rows, headers=["job", "published", "published on", "title", "employer", "deadline", "why"]))
        click.echo(f"\n{len(found)} of {len(stored)} stored jobs match {subscription.name!r}" + (f" (first {limit} shown)" if len(found) > limit else ""))
        return
    if not config.subscriptions:
        click.echo("No subscription configured: add a [[subscriptions]] table to veille.toml (see veille.example.toml).")
        return
    db = state.db()
    counts = {}
    for row in outbox.summary(db):
        total = counts.setdefault(row["subscription"], [0, 0, 0])
        total[0] += row["pending"]
        total[1] += row["failed"]
        total[2] += row["sent"]
    due = next_due(db, config)
    from alerts.channels import channel_key

    rows = [
        [sub.name, sub.mode, _short(_describe_subscription(sub), 50), "\n".join(_short(channel_key(url), 45) for url in sub.channels) or "(none)", *counts.get(sub.name, [0, 0, 0]), _paris(due.get(sub.name))]
        for sub in config.subscriptions
    ]
    click.echo(tabulate(rows, headers=["name", "mode", "searches", "channels", "pending", "failed", "sent", "next due"]))


@cli.command("notify-test")
@click.argument("name")
@pass_state
def notify_test(state: State, name):
    """Send a test message on every channel of subscription NAME (nothing is recorded)."""
    from alerts.channels import channel_key, send
    from alerts.render import render_test

    subscription = state.config.subscription(name)
    if not subscription.channels:
        raise click.ClickException(f"subscription {name!r} has no channels: add apprise URLs to its `channels`")
    message = render_test(subscription.name)
    failed = 0
    for url in subscription.channels:
        result = send(url, message.title, message.bodies())
        if result.ok:
            click.echo(f"ok      {channel_key(url)}")
        else:
            failed += 1
            click.echo(f"FAILED  {channel_key(url)}: {result.error}")
    sys.exit(1 if failed else 0)


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
