"""Alerts: ``veille alert``, ``veille subscriptions`` and ``veille notify-test``."""

from __future__ import annotations

import sys

import click
from tabulate import tabulate

from alerts.channels import channel_key, send
from alerts.dispatch import dispatch, next_due
from alerts.matching import OfferIndex, Rule, describe_reasons, match
from alerts.relevance import refresh_scores
from alerts.render import render_test
from alerts.targets import signer_or_none, subscription_of
from alerts.units import JobUnits
from cli.app import State, cli, pass_state
from cli.output import channel_label, clip, describe_subscription, paris_time, print_dispatch, short
from storage import clock, outbox, web_limits, web_subscriptions
from storage.lifecycle import refresh_status


@cli.command()
@click.option("--dry-run", is_flag=True, help="Show what would be queued and sent; write and send nothing.")
@click.option(
    "--backfill",
    is_flag=True,
    help="Match every stored open offer, not only those new since the last dispatch (an offer already alerted is "
    "never sent again).",
)
@click.option(
    "--subscription", "-s", "names", multiple=True, metavar="NAME", help="Only this subscription (repeatable)."
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Queue alerts marked failed again, their attempts reset (after fixing a channel).",
)
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

    config = state.sending_config("subscriptions", "web")
    db = state.db()
    if not config.subscriptions and not web_subscriptions.any_active(db):
        click.echo(
            "No subscription configured: add a [[subscriptions]] table to veille.toml (see veille.example.toml), "
            "or let people subscribe on the web pages (veille web)."
        )
        return
    for name in names:
        if web_subscriptions.parse_name(name) is None:
            config.subscription(name)  # unknown name: one-line error, exit 2
        elif web_subscriptions.get(db, web_subscriptions.parse_name(name)) is None:
            raise click.UsageError(f"no web subscription {name!r}")
    if not dry_run:
        refresh_status(db)  # deadlines passed since the last crawl close offers and jobs
    if retry_failed and not dry_run:
        count = outbox.retry_failed(db, clock.now(), list(names) or None)
        click.echo(f"{count} failed alert(s) queued again.")
    warn_unserved(db)
    report = dispatch(db, config, dry_run=dry_run, backfill=backfill, only=list(names) or None)
    if dry_run:
        for sub in report.subscriptions:
            click.echo(f"{sub.name}: {len(sub.would_send)} new matching job(s) would be queued")
            views = JobUnits().views(db, sub.would_send[:50])
            for key in sub.would_send[:50]:
                view = views.get(key)
                click.echo(f"  {short(view.title if view else key, 70)}  ({', '.join(view.sources) if view else '?'})")
        return

    print_dispatch(report, config)
    sys.exit(0 if report.ok else 1)


@cli.group(invoke_without_command=True)
@click.option("--test", "test_name", metavar="NAME", help="Show which stored jobs this subscription matches, and why.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="With --test: at most this many jobs."
)
@pass_state
@click.pass_context
def subscriptions(ctx, state: State, test_name, limit):
    """List the subscriptions (veille.toml's and those made on the web pages, `web:ID`) with their
    alert counts, or try one on the stored jobs (open and closed: closed ones are never alerted).

    \b
    veille subscriptions disable web:12   stop sending a web subscription (its owner cannot resume it)
    veille subscriptions remove web:12    erase it: the address, its alerts, its feedback
    """
    if ctx.invoked_subcommand:
        return
    config = state.config
    if test_name:
        _try_subscription(state, test_name, limit)
        return
    db = state.db(must_exist=True)
    web_rows = web_subscriptions.listed(db)
    if not config.subscriptions and not web_rows:
        click.echo(
            "No subscription configured: add a [[subscriptions]] table to veille.toml (see veille.example.toml), "
            "or let people subscribe on the web pages (veille web)."
        )
        return
    counts = {}
    for row in outbox.summary(db):
        total = counts.setdefault(row["subscription"], [0, 0, 0])
        total[0] += row["pending"]
        total[1] += row["failed"]
        total[2] += row["sent"]
    feedback = web_limits.feedback_counts(db)
    due = next_due(db, config)

    def feedback_cell(name: str) -> str:
        said = feedback.get(name)
        return f"+{said['relevant']} / -{said['not_relevant']}" if said else ""

    rows = [
        [
            sub.name,
            "on",
            sub.mode,
            short(describe_subscription(sub), 50),
            "\n".join(clip(channel_label(url), 60) for url in sub.channels) or "(none)",
            *counts.get(sub.name, [0, 0, 0]),
            feedback_cell(sub.name),
            paris_time(due.get(sub.name)),
        ]
        for sub in config.subscriptions
    ]
    for row in web_rows:
        sub = subscription_of(row)
        rows.append(
            [
                row["name"],
                row["status"],
                sub.mode,
                short(describe_subscription(sub), 50),
                f"e-mail ({mask_address(row['email'])})",
                *counts.get(row["name"], [0, 0, 0]),
                feedback_cell(row["name"]),
                paris_time(due.get(row["name"])),
            ]
        )
    click.echo(
        tabulate(
            rows,
            headers=[
                "name",
                "state",
                "mode",
                "searches",
                "channels",
                "pending",
                "failed",
                "sent",
                "feedback",
                "next due",
            ],
        )
    )


def warn_unserved(db) -> None:
    """Web subscriptions wait (unmatched, nothing lost) while the key that signs their links is missing."""
    if web_subscriptions.any_active(db) and signer_or_none() is None:
        click.echo(
            "veille: web subscriptions are not served: VEILLE_SECRET_KEY is not set (they catch up once it is)",
            err=True,
        )


def mask_address(address: str) -> str:
    """An address as the operator's tables show it: enough to recognise, not to copy."""
    user, _, domain = address.partition("@")
    return f"{user[:2]}…@{domain}"


def _web_id(name: str) -> int:
    subscription_id = web_subscriptions.parse_name(name)
    if subscription_id is None:
        raise click.UsageError(
            f"{name!r} is not a web subscription (web:ID); a veille.toml subscription is changed in veille.toml"
        )
    return subscription_id


@subscriptions.command("disable")
@click.argument("name", metavar="web:ID")
@pass_state
def disable_subscription(state: State, name):
    """Stop sending a web subscription; it stays listed, and its owner cannot resume it."""
    subscription_id = _web_id(name)
    if not web_subscriptions.set_status(state.db(), subscription_id, web_subscriptions.DISABLED, clock.now()):
        raise click.UsageError(f"no web subscription {name!r}")
    click.echo(f"{name} disabled.")


@subscriptions.command("remove")
@click.argument("name", metavar="web:ID")
@pass_state
def remove_subscription(state: State, name):
    """Erase a web subscription: its address, its alerts (sent and queued), its feedback."""
    subscription_id = _web_id(name)
    if not web_subscriptions.erase(state.db(), subscription_id):
        raise click.UsageError(f"no web subscription {name!r}")
    click.echo(f"{name} removed: its address and history are erased.")


def _try_subscription(state: State, test_name: str, limit: int) -> None:
    config = state.config
    subscription = config.subscription(test_name)
    db = state.db(must_exist=True)
    refresh_scores(db)  # scores a new model or a changed offer made stale
    stored = JobUnits().documents(db, today=clock.paris_today())
    index = OfferIndex(unit.document for unit, _ in stored)
    rule = Rule.from_subscription(subscription)
    found = match([rule], index)[rule.name]
    rows = [
        [
            unit.key.removeprefix("job:"),
            view.published_on or "",
            ", ".join(view.sources),
            short(view.title, 55),
            short(view.employer, 30),
            view.deadline or "",
            short(describe_reasons(rule.reasons(index, position)), 70),
        ]
        for position in found[:limit]
        for unit, view in [stored[position]]
    ]
    if rows:
        click.echo(tabulate(rows, headers=["job", "published", "published on", "title", "employer", "deadline", "why"]))
    click.echo(
        f"\n{len(found)} of {len(stored)} stored jobs match {subscription.name!r}"
        + (f" (first {limit} shown)" if len(found) > limit else "")
    )


@cli.command("notify-test")
@click.argument("name")
@pass_state
def notify_test(state: State, name):
    """Send a test message on every channel of subscription NAME (nothing is recorded)."""

    subscription = state.sending_config("subscriptions").subscription(name)
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
