"""Browsing what was stored: ``veille offers`` and ``veille jobs`` (show, split, merge)."""

from __future__ import annotations

import csv
import json

import click
from tabulate import tabulate

from alerts.query import parse_query
from alerts.relevance import load_model, refresh_scores
from alerts.search import search
from alerts.units import board_label
from cli.app import State, UserError, cli, iso_date, pass_state
from cli.output import paris_time, place, print_offers, short
from storage.clock import paris_day
from storage.job_edits import UnknownOffer, merge_jobs, parse_offer_reference, resolve_job, split_offer
from storage.job_views import annotate_offers, get_job, job_offers, list_jobs
from storage.lifecycle import refresh_status
from storage.offers import get_offer, offers_by_source, search_offers, versions_of


@cli.group(invoke_without_command=True)
@click.option(
    "--search",
    "-s",
    "query",
    metavar="Q",
    help="What to look for, in the subscriptions' query language: words side by side are ANDed; OR, NOT or -word, "
    '"a phrase", (parentheses), field:word (title, employer, organisation, domain, missions, profile, location, '
    "contract); case, accents and plurals do not matter.",
)
@click.option("--source", metavar="S", help="Only offers of this source.")
@click.option(
    "--since",
    metavar="DATE",
    callback=iso_date,
    help="Only offers published (or first seen) on or after DATE (YYYY-MM-DD).",
)
@click.option(
    "--open", "only_open", is_flag=True, help="Only open offers (deadline not passed, still listed, not cancelled)."
)
@click.option(
    "--min-relevance",
    type=click.FloatRange(0, 1),
    default=None,
    metavar="X",
    help="Only offers whose relevance (0 to 1: how much it is a transformation role) is at least X; most relevant "
    "first.",
)
@click.option(
    "--sort",
    type=click.Choice(["date", "relevance"]),
    default=None,
    help="Newest first (date, the default) or most relevant first (relevance, the default with --min-relevance).",
)
@click.option(
    "--why",
    is_flag=True,
    help="Say why each offer has its relevance: the words that raised it (below the default threshold: that "
    "lowered it), and where.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many offers.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per line, every field, with status, job_id, also_on and relevance (and why).",
)
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header line (for a spreadsheet): the main fields.")
@click.pass_context
def offers(ctx, query, source, since, only_open, min_relevance, sort, why, limit, as_json, as_csv):
    """List stored offers, newest first, with their status (open, or closed and why), their
    relevance and their job: its number and the other boards it is also published on.

    \b
    veille offers show SOURCE:SOURCE_ID   one offer, every field, and its version history
    """
    if ctx.invoked_subcommand:
        return
    state = ctx.find_object(State)

    db = state.db(must_exist=True)
    if source:
        from cli.commands.crawl import available_sources

        known = sorted(set(available_sources(state)) | set(offers_by_source(db)))
        if source not in known:
            raise click.UsageError(f"unknown source {source}; sources: {', '.join(known)}")

    def stored(limit=None):
        if not query:
            return search_offers(db, source=source, since=since, limit=limit)
        try:
            parse_query(query)
        except ValueError as error:
            raise UserError(f"--search: {error}") from None
        return search(db, query, source=source, since=since, limit=limit)

    refresh_scores(db)  # scores a new model or a changed offer made stale
    sort = sort or ("relevance" if min_relevance is not None else "date")
    if only_open or min_relevance is not None or sort == "relevance":
        found = [
            offer
            for offer in annotate_offers(db, list(stored()))
            if (not only_open or offer["closed_reason"] is None)
            and (min_relevance is None or (offer["relevance"] or 0) >= min_relevance)
        ]
        if sort == "relevance":
            found.sort(key=lambda offer: -(offer["relevance"] or 0))
        found = found[:limit] if limit else found
    else:
        found = annotate_offers(db, list(stored(limit)))
    if why:
        # What raised a relevant offer's score; what lowered the others'.
        model = load_model()
        for offer in found:
            offer["why"] = model.explain(offer, lowering=(offer["relevance"] or 0) < model.threshold)
    if as_json:
        for offer in found:
            click.echo(json.dumps(offer, ensure_ascii=False))
        return
    if as_csv:
        writer = csv.writer(click.get_text_stream("stdout"))
        writer.writerow(CSV_COLUMNS)
        for offer in found:
            values = {**offer, "also_on": ", ".join(offer.get("also_on") or [])}
            writer.writerow(["" if values.get(name) is None else values[name] for name in CSV_COLUMNS])
        return
    if not found:
        click.echo(
            "No offer matches."
            if (query or source or since or only_open or min_relevance is not None)
            else "No offer stored yet: run `veille crawl` (or `veille demo`)."
        )
        return
    print_offers(found)
    click.echo(f"\n{len(found)} offers")


CSV_COLUMNS = (
    "source",
    "source_id",
    "title",
    "employer",
    "organisation",
    "location",
    "department",
    "region",
    "category",
    "versant",
    "contract",
    "published_on",
    "deadline",
    "closed_reason",
    "job_id",
    "also_on",
    "relevance",
    "url",
    "apply_url",
    "first_seen",
    "last_seen",
)

SHOWN_FIELDS = (
    "title",
    "employer",
    "organisation",
    "versant",
    "category",
    "contract",
    "location",
    "department",
    "region",
    "remote",
    "published_on",
    "deadline",
    "vacancy_date",
    "domain",
    "url",
    "apply_url",
)


@offers.command("show")
@click.argument("offer", metavar="SOURCE:SOURCE_ID")
@pass_state
def offers_show(state: State, offer):
    """One offer: every field, its status and job, and each version veille stored (what changed, when)."""
    db = state.db(must_exist=True)
    try:
        source, source_id = parse_offer_reference(offer)
    except ValueError as error:
        raise UserError(str(error)) from None
    stored = get_offer(db, source, source_id)
    if stored is None:
        raise UserError(f"no stored offer {source}:{source_id}")
    [stored] = annotate_offers(db, [stored])
    also = f" (also on {', '.join(stored['also_on'])})" if stored["also_on"] else ""
    click.echo(f"{source}:{source_id} · {stored['status']} · job {stored['job_id']}{also}")
    for name in SHOWN_FIELDS:
        if stored.get(name):
            click.echo(f"  {name + ':':14}{stored[name]}")
    for name in ("missions", "profile"):
        if stored.get(name):
            click.echo(f"  {name + ':':14}{short(stored[name], 100)}")
    click.echo(
        f"  {'seen:':14}first {paris_time(stored['first_seen'])}, last {paris_time(stored['last_seen'])} (Paris)"
    )
    versions = versions_of(db, source, source_id)
    click.echo(f"\n{len(versions)} change{'s' if len(versions) != 1 else ''} since first seen")
    for version in versions:
        run = f" (run {version['run_id']})" if version["run_id"] else ""
        click.echo(f"  {paris_time(version['seen_at'])}{run}:")
        for name, (old, new) in version["changes"].items():
            if name == "raw":
                click.echo("    raw: the page's details changed")
                continue
            before, after = (short(str(value), 60) if value is not None else "—" for value in (old, new))
            click.echo(f"    {name}: {before} → {after}")


def _job_error(error: Exception) -> click.ClickException:
    # The message as raised: str() of a LookupError with one argument is that argument, but
    # stripping quotes off str() would eat the closing quote of a message that starts with one.
    return UserError(str(error.args[0]) if len(error.args) == 1 else str(error))


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

    state = ctx.find_object(State)
    found = list_jobs(state.db(must_exist=True), include_closed=include_closed, limit=limit)
    if as_json:
        for job in found:
            click.echo(json.dumps(job, ensure_ascii=False))
        return
    if not found:
        click.echo(
            "No open job." if not include_closed else "No offer stored yet: run `veille crawl` (or `veille demo`)."
        )
        return
    rows = []
    for job in found:
        first = next((offer for offer in job["offers"] if offer["closed_reason"] is None), job["offers"][0])
        boards = list(
            dict.fromkeys(
                board_label({"source": offer["source"], "raw": {"board": offer["board"]}}) for offer in job["offers"]
            )
        )
        deadlines = [offer["deadline"] for offer in job["offers"] if offer["deadline"]]
        rows.append(
            [
                job["id"],
                job["published_on"],
                "open" if job["open"] else "closed",
                short(first["title"], 50),
                short(first["employer"], 30),
                short(place(first), 22),
                max(deadlines) if deadlines else "",
                len(job["offers"]),
                short(", ".join(boards), 50),
            ]
        )
    click.echo(
        tabulate(
            rows,
            headers=["job", "published", "status", "title", "employer", "place", "deadline", "offers", "published on"],
        )
    )
    noun = "job" if len(found) == 1 else "jobs"
    click.echo(f"\n{len(found)} {noun if include_closed else 'open ' + noun}")


@jobs.command("show")
@click.argument("job")
@pass_state
def jobs_show(state: State, job):
    """A job (by number, or by one of its offers as SOURCE:SOURCE_ID): its offers on each
    board, their status and links, and why each is in the job."""

    db = state.db(must_exist=True)
    try:
        job_id = resolve_job(db, job)
    except (UnknownOffer, ValueError) as error:
        raise _job_error(error) from None
    info = get_job(db, job_id)
    offers = job_offers(db, job_id)
    status = "open" if any(offer["closed_reason"] is None for offer in offers) else "closed"
    click.echo(
        f"job {job_id} · {status} · {len(offers)} offer{'s' if len(offers) != 1 else ''} · first seen "
        f"{paris_day(info['created_at']).isoformat()}"
    )
    if info["reposted_from"]:
        click.echo(f"re-posts job {info['reposted_from']} (the same post, published again after it closed)")
    if info["reposts"]:
        click.echo(f"re-posted as job {', '.join(map(str, info['reposts']))}")
    for offer in offers:
        click.echo()
        click.echo(f"{offer['source']}:{offer['source_id']}  ({board_label(offer)})  {offer['status']}")
        click.echo(f"  {offer['title']}")
        details = [
            part
            for part in (
                offer.get("employer"),
                place(offer),
                offer.get("published_on") and f"published {offer['published_on']}",
                offer.get("deadline") and f"deadline {offer['deadline']}",
            )
            if part
        ]
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

    db = state.db(must_exist=True)
    try:
        old, new = split_offer(db, *parse_offer_reference(offer))
    except (UnknownOffer, ValueError) as error:
        raise _job_error(error) from None
    refresh_status(db)
    click.echo(f"{offer} left job {old}: it is job {new} now, kept apart from job {old}'s offers.")


@jobs.command("merge")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@pass_state
def jobs_merge(state: State, first, second):
    """A missed merge: B's job joins A's job (each a job number or an offer as
    SOURCE:SOURCE_ID). Alerts already sent for either job count for both."""

    db = state.db(must_exist=True)
    try:
        keep, other = resolve_job(db, first), resolve_job(db, second)
        if keep == other:
            raise ValueError(f"{first} and {second} are already the same job ({keep})")
        merge_jobs(db, keep, other)
    except (UnknownOffer, ValueError) as error:
        raise _job_error(error) from None
    refresh_status(db)
    click.echo(f"job {other} merged into job {keep}.")
