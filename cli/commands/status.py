"""``veille status``: every source's last run and health, the JO archives, the alerts; ``--json``
for monitoring."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import click
from tabulate import tabulate

from cli.app import State, cli, pass_state
from cli.commands.crawl import available_sources
from cli.output import duration, error_summary, paris_time, print_alert_status, print_archives
from storage import outbox
from storage.archives import archive_counts
from storage.health import health_states
from storage.offers import offers_by_source
from storage.runs import last_runs
from storage.unread import GIVEN_UP, PENDING, unread_counts


def source_states(state: State, db) -> list[dict]:
    """Each source (spiders, configured sites, and sources that have run): its last run, stored
    offers, health and next scheduled run."""
    import scheduler

    stored = offers_by_source(db)
    runs = {run["source"]: run for run in last_runs(db)}
    health = health_states(db)
    sources = available_sources(state)
    next_runs = {
        job.id.removeprefix("crawl:"): when
        for job, when in scheduler.next_run_times(scheduler.build_jobs(state.config, sources))
        if job.id.startswith("crawl:")
    }
    found = []
    for source in sorted(set(sources) | set(runs)):
        run, source_health, when = runs.get(source), health.get(source), next_runs.get(source)
        found.append(
            {
                "source": source,
                "last_run": None
                if run is None
                else {
                    key: run.get(key)
                    for key in ("id", "started_at", "finished_at", "status", "reason", "pages", "items", "new")
                }
                | {
                    "updated": run.get("updated"),
                    "errors": run.get("errors") or {},
                    "complete": bool(run.get("complete")),
                },
                "stored": stored.get(source, 0),
                "health": None
                if source_health is None
                else {
                    "state": source_health["state"],
                    "problem": source_health["problem"],
                    "failing_since": source_health["failing_since"],
                    "consecutive_failures": source_health["consecutive_failures"],
                    "admin_told_at": source_health["alerted_at"],
                },
                "next_run": when.astimezone(dt.UTC).isoformat(timespec="seconds") if when else None,
                "_run": run,
                "_when": when,
            }
        )
    return found


@cli.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object for monitoring: each source's last run, health and next run, the JO archive counts, "
    "the alerts by subscription and channel (times in UTC).",
)
@pass_state
def status(state: State, as_json):
    """Every source: last run, result, counts, errors, health and next scheduled run;
    the JORF archive ledger; pending and failed alerts."""
    db = state.db(must_exist=True)
    sources = source_states(state, db)
    if as_json:
        report = {
            "database": str(state.config.database_path),
            "sources": [{key: value for key, value in item.items() if not key.startswith("_")} for item in sources],
            "jorf_archives": archive_counts(db),
            "alerts": outbox.summary(db),
            "interrupted_sends": len(outbox.interrupted_deliveries(db)),
            # By source: offer pages that failed, read again by the next runs (pending) or given up on.
            "offer_pages_to_read_again": unread_counts(db),
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"database: {state.config.database_path}")
    timezone = zoneinfo.ZoneInfo(state.config.schedule.timezone)
    runs = [item["_run"] for item in sources if item["_run"]]
    if not runs:
        click.echo("No crawl yet: run `veille crawl`.")
    rows = []
    for item in sources:
        run, source_health, when = item["_run"] or {}, item["health"], item["_when"]
        rows.append(
            [
                item["source"],
                paris_time(run["started_at"]) if run else "never",
                duration(run) if run else "",
                run.get("status", ""),
                run.get("items") or 0,
                run.get("new") or 0,
                run.get("updated") or 0,
                item["stored"],
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
                    "last run (Paris)",
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
    for run in runs:
        for sample in run["error_samples"][:3]:
            click.echo(f"  {run['source']}: {sample['class']}: {sample['message']} {sample.get('url') or ''}".rstrip())
    for source, counts in unread_counts(db).items():
        given_up = f", {counts[GIVEN_UP]} given up on" if counts[GIVEN_UP] else ""
        click.echo(f"  {source}: {counts[PENDING]} offer page(s) to read again next run{given_up}")
    for item in sources:
        source, source_health = item["source"], item["health"]
        if not source_health:
            continue
        if source_health["state"] == "failing" and source_health["problem"]:
            if source_health["admin_told_at"]:
                told = f"admin told {paris_time(source_health['admin_told_at'])}"
            elif state.config.admin.urls:
                told = "admin not told yet: retried on the next run"
            else:
                told = "no [admin] urls to tell"
            click.echo(
                f"  {source}: failing since {paris_time(source_health['failing_since'])}: {source_health['problem']} "
                f"({told})"
            )
        elif source_health["state"] == "ok" and source_health["admin_told_at"]:
            click.echo(f"  {source}: works again; the admin channel has not taken the notice yet (retried next run)")
    print_archives(db)
    print_alert_status(db)
