"""``veille status``: every source's last run and health, the JO archives, the alerts."""

from __future__ import annotations

import zoneinfo

import click
from tabulate import tabulate

import scheduler
from cli.app import State, cli, pass_state
from cli.commands.crawl import available_sources
from cli.output import duration, error_summary, print_alert_status, print_archives
from storage.health import health_states
from storage.offers import offers_by_source
from storage.runs import last_runs
from storage.unread import GIVEN_UP, PENDING, unread_counts


@cli.command()
@pass_state
def status(state: State):
    """Every source: last run, result, counts, errors, health and next scheduled run;
    the JORF archive ledger; pending and failed alerts."""
    db = state.db()
    click.echo(f"database: {state.config.database_path}")
    stored = offers_by_source(db)
    runs = {run["source"]: run for run in last_runs(db)}
    health = health_states(db)
    sources = available_sources(state)
    next_runs = {
        job.id.removeprefix("crawl:"): when
        for job, when in scheduler.next_run_times(scheduler.build_jobs(state.config, sources))
    }
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
                duration(run) if run else "",
                run.get("status", ""),
                run.get("items") or 0,
                run.get("new") or 0,
                run.get("updated") or 0,
                stored.get(source, 0),
                error_summary(run.get("errors") or {}),
                source_health["state"] if source_health else "",
                when.astimezone(timezone).strftime("%m-%d %H:%M") if when else "",
            ]
        )
    if runs:
        click.echo(
            tabulate(
                rows,
                headers=[
                    "source",
                    "last run (UTC)",
                    "took",
                    "result",
                    "offers",
                    "new",
                    "updated",
                    "stored",
                    "errors",
                    "health",
                    f"next run ({timezone.key})",
                ],
            )
        )
    for run in runs.values():
        for sample in run["error_samples"][:3]:
            click.echo(f"  {run['source']}: {sample['class']}: {sample['message']} {sample.get('url') or ''}".rstrip())
    for source, counts in unread_counts(db).items():
        given_up = f", {counts[GIVEN_UP]} given up on" if counts[GIVEN_UP] else ""
        click.echo(f"  {source}: {counts[PENDING]} offer page(s) to read again next run{given_up}")
    for source, source_health in sorted(health.items()):
        if source_health["state"] == "failing" and source_health["problem"]:
            told = "admin told" if source_health["alerted_at"] else "not yet reported"
            click.echo(
                f"  {source}: failing since {source_health['failing_since']}: {source_health['problem']} ({told})"
            )
    print_archives(db)
    print_alert_status(db)
