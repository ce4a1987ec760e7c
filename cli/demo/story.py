"""What ``veille demo`` shows after the crawl: offers grouped into jobs, the most relevant open jobs and
why, and the alert the default profile receives."""

from __future__ import annotations

import re
import textwrap

import click
from tabulate import tabulate

from alerts.matching import describe_relevance
from alerts.relevance import load_model
from alerts.units import JobUnits, board_label
from cli.demo.mailbox import Received
from cli.output import clip, short
from storage import clock
from storage.job_views import list_jobs

# Lines of the alert's text part printed; the rest is in the saved message.
ALERT_LINES = 40


def print_jobs(db) -> None:
    """How many offers became how many jobs, and the jobs published on more than one board."""
    jobs = list_jobs(db, include_closed=True)
    offers = sum(len(job["offers"]) for job in jobs)
    shared = [job for job in jobs if len(job["offers"]) > 1]
    click.echo(
        f"Jobs: {offers} offers are {len(jobs)} jobs, {sum(job['open'] for job in jobs)} of them open "
        f"({len(shared)} published more than once, on several boards or as a re-post):"
    )
    rows = []
    for job in shared:
        # Offers in a set order: concurrent crawls store them in any order, and the README shows this table.
        offers_of_job = sorted(job["offers"], key=lambda offer: (offer["source"], offer["source_id"]))
        boards = sorted(
            {board_label({"source": offer["source"], "raw": {"board": offer["board"]}}) for offer in offers_of_job}
        )
        rows.append(
            [
                job["id"],
                "open" if job["open"] else "closed",
                short(offers_of_job[0]["title"], 50),
                len(job["offers"]),
                short("; ".join(boards), 80),
            ]
        )
    if rows:
        click.echo(tabulate(rows, headers=["job", "status", "title", "offers", "published on"]))
    click.echo("`veille jobs show JOB` says why offers are one job.")


def print_relevant_jobs(db, *, threshold: float, limit: int = 10) -> None:
    """The open jobs the relevance model scores highest, newest first among equals, and why."""
    units = JobUnits()
    today = clock.paris_today()
    open_units = units.between(db, 0, units.high_water(db), today=today)
    ranked = sorted(
        open_units, key=lambda unit: (unit.document["relevance_score"], unit.published_on or ""), reverse=True
    )
    relevant = [unit for unit in ranked if unit.document["relevance_score"] >= threshold]
    shown = ranked[:limit]
    views = units.views(db, [unit.key for unit in shown], today=today)
    model = load_model()
    click.echo(
        f"The most relevant open jobs: {len(relevant)} of {len(open_units)} open jobs score at least "
        f"{threshold:.2f}, the relevance model's threshold (`veille offers --why` for every offer):"
    )
    rows = []
    for unit in shown:
        view = views[unit.key]
        terms = model.explain(unit.document["relevance_offer"])
        reason = {"relevance": unit.document["relevance_score"], "terms": terms}
        rows.append(
            [
                unit.key.removeprefix("job:"),
                view.published_on or "",
                view.deadline or "",
                short(view.title, 48),
                clip(view.employer, 30),
                textwrap.shorten(describe_relevance(reason, french=True), 90, placeholder="…"),
            ]
        )
    click.echo(tabulate(rows, headers=["job", "published", "deadline", "title", "employer", "pourquoi"]))


def print_alert(received: list[Received], *, subscription: str, kept: bool) -> None:
    """The alert as it arrived: where it was saved, its subject and the start of its text part."""
    if not received:
        click.echo(f"The subscription {subscription!r} had nothing to send.")
        return
    first = received[0]
    saved = f"{first.eml}" + (f" and {first.html}" if first.html else "")
    click.echo(
        f"The alert of the default profile {subscription!r}, delivered by e-mail to the demo's SMTP server on "
        f"127.0.0.1 and saved as {saved}"
        + ("" if kept else " (removed with the demo's directory: `veille demo --keep DIR` keeps it to open)")
        + ":"
    )
    click.echo()
    click.echo(f"Subject: {first.subject}")
    # The text part as apprise writes it from the HTML, without its runs of blank lines.
    lines = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", first.text().strip()).splitlines()
    for line in lines[:ALERT_LINES]:
        click.echo(f"  {line}".rstrip())
    if len(lines) > ALERT_LINES:
        click.echo(f"  … ({len(lines) - ALERT_LINES} more lines in the message)")
