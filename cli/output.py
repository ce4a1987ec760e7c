"""What the ``veille`` command prints: tables of runs, offers, archives and alerts."""

from __future__ import annotations

import datetime as dt
import textwrap

import click
from tabulate import tabulate

from storage import outbox
from storage.archives import archive_counts, recent_archives
from storage.clock import PARIS, paris_day


def error_summary(errors: dict) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(errors.items())) or "-"


def print_runs(runs: list[dict]) -> None:
    rows = [
        [
            run["source"],
            run["status"],
            run.get("pages", 0),
            run.get("items", 0),
            run.get("new", 0),
            run.get("updated", 0),
            error_summary(run["errors"]),
        ]
        for run in runs
    ]
    click.echo(tabulate(rows, headers=["source", "status", "pages", "offers", "new", "updated", "errors"]))


def print_run_errors(runs: list[dict]) -> None:
    """On stderr, one line per source and error class: how many, and the first sample (the others
    are in the run ledger: `veille status`)."""
    for run in runs:
        samples = run.get("error_samples") or []
        for name, count in sorted((run.get("errors") or {}).items()):
            sample = next((item for item in samples if item.get("class") == name), None)
            detail = f": {sample['message']} ({sample.get('url') or '-'})" if sample else ""
            click.echo(f"veille: {run['source']}: {name} × {count}{detail}", err=True)
        if run.get("status") == "failed" and not run.get("errors") and run.get("reason"):
            click.echo(f"veille: {run['source']}: failed ({run['reason']})", err=True)


def place(offer: dict) -> str:
    if offer.get("department") and offer.get("location") and f"({offer['department']})" not in offer["location"]:
        return f"{offer['location']} ({offer['department']})"
    return offer.get("location") or offer.get("department") or ""


def short(text: str | None, width: int) -> str:
    return textwrap.shorten(text or "", width=width, placeholder="…")


def describe_terms(terms: list[dict]) -> str:
    """``"design de services" (title), "usagers" (missions)``: what raised an offer's relevance, or
    ``against: "développeur" (title)`` what lowered it (alerts.relevance.Model.explain)."""
    text = ", ".join(f'"{term["term"]}" ({term["field"]})' for term in terms)
    return f"against: {text}" if terms and terms[0].get("weight", 0) < 0 else text


def clip(text: str | None, width: int) -> str:
    """A text without spaces (a URL) cut at ``width``: its start, the scheme and host, stays."""
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def channel_label(url: str) -> str:
    """A channel as tables show it: masked by alerts.channels (scheme, host, no secret); a URL that
    kept an unset ${ENV} reference is shown as written, which holds no secret."""
    from alerts.channels import channel_key
    from crawler.config import has_unset_env

    return url.strip() if has_unset_env(url) else channel_key(url)


def print_offers(offers: list[dict]) -> None:
    """Offers as a table; with their status and job when annotated (storage.jobs.annotate_offers), their
    relevance when scored (alerts.relevance) and why when explained."""
    annotated = bool(offers) and "also_on" in offers[0]
    scored = bool(offers) and "relevance" in offers[0]
    explained = bool(offers) and "why" in offers[0]
    rows = []
    for offer in offers:
        row = [
            offer.get("published_on") or paris_day(offer["first_seen"]).isoformat(),
            offer["source"],
            short(offer["title"], 56),
            short(offer.get("employer"), 32),
            short(place(offer), 24),
            offer.get("deadline") or "",
        ]
        if annotated:
            row.append("open" if offer["closed_reason"] is None else f"closed ({offer['closed_reason']})")
            also = f" (also on {', '.join(offer['also_on'])})" if offer["also_on"] else ""
            row.append(short(f"{offer['job_id']}{also}", 44) if offer["job_id"] else "")
        if scored:
            row.append(offer["relevance"] if offer["relevance"] is not None else "")
        if explained:
            row.append(short(describe_terms(offer["why"]), 80))
        rows.append(row)
    headers = (
        ["published", "source", "title", "employer", "place", "deadline"]
        + (["status", "job"] if annotated else [])
        + (["relevance"] if scored else [])
        + (["why"] if explained else [])
    )
    click.echo(tabulate(rows, headers=headers, floatfmt=".2f"))


def duration(run: dict) -> str:
    if not run.get("finished_at"):
        return ""
    seconds = (
        dt.datetime.fromisoformat(run["finished_at"]) - dt.datetime.fromisoformat(run["started_at"])
    ).total_seconds()
    return f"{seconds:.0f}s"


def print_archives(db, limit: int = 10) -> None:
    """The JORF archive ledger: the latest archives, what came out of them, and what failed."""
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
            short(archive["last_error"], 60),
        ]
        for archive in archives
    ]
    click.echo(
        tabulate(
            rows, headers=["archive", "status", "size", "texts", "notices", "processed (UTC)", "tries", "last error"]
        )
    )


def paris_time(moment) -> str:
    """A UTC datetime or ISO string as Paris wall-clock time, to the minute."""
    if not moment:
        return "-"
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def print_alert_status(db) -> None:
    """Pending and failed alerts by subscription and channel, and sends cut short by a crash."""
    rows = outbox.summary(db)
    if not rows:
        return
    click.echo("\nalerts (times in Europe/Paris):")
    table = [
        [
            row["subscription"],
            clip(row["channel"], 60),
            row["pending"],
            row["failed"],
            row["sent"],
            paris_time(row["next_attempt_at"]) if row["pending"] else "-",
            short(row["last_error"], 60) if row["last_error"] else "",
        ]
        for row in rows
    ]
    click.echo(
        tabulate(table, headers=["subscription", "channel", "pending", "failed", "sent", "next try", "last error"])
    )
    failed = outbox.failed_alerts(db, limit=5)
    if failed:
        click.echo("Failed alerts, given up on (`veille alert --retry-failed` queues them again):")
        for row in failed:
            click.echo(
                f"  {row['subscription']}: {row['unit']} -> {row['channel']} after {row['attempts']} attempts: "
                f"{row['last_error']}"
            )
    interrupted = outbox.interrupted_deliveries(db)
    if interrupted:
        click.echo(
            f"{len(interrupted)} message(s) were being sent when veille was stopped; their alerts were sent again, so "
            "each may have arrived twice."
        )


def print_dispatch(report, config) -> None:
    """What a dispatch sent, by subscription; failed channels and interrupted sends on stderr."""

    def result(sub) -> str:
        if not sub.name.startswith("web:") and not config.subscription(sub.name).channels:
            return "no channel"
        return "failed" if sub.failures else ("sent" if sub.messages else ("waiting" if not sub.due else "-"))

    rows = [
        [sub.name, sub.mode, sub.matched, sub.sent, sub.messages, sub.pending, result(sub), paris_time(sub.next_due)]
        for sub in report.subscriptions
    ]
    click.echo(
        tabulate(
            rows, headers=["subscription", "mode", "new", "alerts sent", "messages", "pending", "result", "next due"]
        )
    )
    for sub in report.subscriptions:
        for failure in sub.failures:
            click.echo(
                f"  {sub.name}: {failure.channel}: {failure.alerts} alert(s) not sent: {failure.error}; next try "
                f"{paris_time(failure.next_attempt_at)}",
                err=True,
            )
    if report.interrupted:
        click.echo(
            f"{report.interrupted} earlier send(s) had been cut short by a stop; their alerts were sent again.",
            err=True,
        )


def describe_subscription(subscription) -> str:
    parts = []
    if subscription.relevance:
        minimum = f" >= {subscription.min_relevance:.2f}" if subscription.min_relevance is not None else ""
        parts.append(f"relevance {subscription.relevance}{minimum}")
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
