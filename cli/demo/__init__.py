"""``veille demo``: the whole pipeline on recorded pages of the real sites, offline.

The recorded sites ship with the package (``cli/demo/sites/<source>/``): each has a
``replay.toml`` listing the pages and the paths they are served at, and what the
demo puts in that source's ``[sources.<source>]`` table (``{replay}`` is the replay
server's URL). The pages are the test suite's recorded pages (links to
``tests/fixtures`` in a checkout, copied into the wheel), so the demo crawls what
the tests check. A board with ``crawl = false`` (Passerelles, HelloWork) is served
for the sources that link to it but has no crawl of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import tempfile
import textwrap
import tomllib
from pathlib import Path

import click

from alerts.relevance import load_model, refresh_scores
from cli.app import State, UserError, cli, pass_state
from cli.commands.crawl import run_crawl
from cli.demo.mailbox import Mailbox
from cli.demo.replay import ReplaySite
from cli.demo.story import print_alert, print_jobs, print_relevant_jobs
from cli.demo.timeshift import DateShift
from cli.output import print_offers, print_runs
from storage import clock
from storage.offers import search_offers

SITES_DIR = Path(__file__).resolve().parent / "sites"
# The default profile of veille.example.toml, its e-mail going to the demo's mailbox.
PROFILE = "transformation publique"
RECIPIENT, SENDER = "vous@example.org", "veille@example.org"


def read_manifest(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def manifests() -> dict[str, Path]:
    """Each recorded site's replay.toml, by source."""
    return {path.parent.name: path for path in sorted(SITES_DIR.glob("*/replay.toml"))}


def date_shift(manifest: dict, today) -> DateShift | None:
    """How far the site's dates move: its newest recorded offer ([dates] newest) to a few days before today."""
    newest = manifest.get("dates", {}).get("newest")
    return DateShift.to_recent(newest, today) if newest else None


def demo_config(sites: dict[str, str], database: Path, *, mailto: str = "", web_port: int = 8000) -> str:
    """A veille.toml pointing every source with a recorded site at its loopback replay, with the default
    profile's subscription sending to ``mailto``."""
    lines = [
        f"database = {json.dumps(str(database))}",
        'contact = "demo (loopback only)"',
        "[http]",
        "delay = 0",
        "timeout = 20",
        "retries = 1",
    ]
    for source, url in sites.items():
        demo_settings = read_manifest(SITES_DIR / source / "replay.toml").get("config", {})
        lines.append(f"[sources.{source}]")
        for key, value in demo_settings.items():
            value = json.loads(json.dumps(value).replace("{replay}", url))
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    lines += [
        "[web]",
        f"port = {web_port}",
        f'base_url = "http://127.0.0.1:{web_port}"',
        f'sender = "{SENDER}"',
    ]
    if mailto:
        smtp_port = mailto.split("//", 1)[1].split("?", 1)[0].rsplit(":", 1)[1]
        lines += [
            f'smtp_url = "smtp://127.0.0.1:{smtp_port}"',
            "[[subscriptions]]",
            f"name = {json.dumps(PROFILE)}",
            'relevance = "transformation"',
            f"channels = [{json.dumps(mailto)}]",
        ]
    return "\n".join(lines) + "\n"


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@cli.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's database, veille.toml and alert (.eml, .html) in this directory (by default they are "
    "removed).",
)
@click.option("--web", is_flag=True, help="Then serve the web pages (`veille web`) on the demo database until Ctrl-C.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="With --web: the port to listen on."
)
@pass_state
def demo(state: State, keep, web, port):
    """The whole pipeline on recorded pages of the real sites, served on 127.0.0.1: crawl them into a
    temporary database, group the offers into jobs, score their relevance, and send the default
    profile's alert to an SMTP server of the demo's own. Needs no network.

    The pages' dates are moved so that each site's newest recorded offer was published a few days
    ago: the demo looks the same whatever the day it runs.
    """
    found = manifests()
    if not found:
        raise click.ClickException(f"the recorded pages are missing from this installation ({SITES_DIR})")
    if web and not _port_is_free(port):
        raise UserError(f"port {port} of 127.0.0.1 is in use: choose another with --port")
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="veille-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    today = clock.paris_today()
    sites, moved = {}, {}
    mailbox = Mailbox(workdir)
    try:
        mailbox.start()
        crawled = []
        for source, manifest in found.items():
            data = read_manifest(manifest)
            shift = date_shift(data, today)
            site = ReplaySite()
            site.load_manifest(manifest, shift)
            sites[source] = site.start()
            if shift:
                moved.setdefault(shift.days, []).append(source)
            if data.get("crawl", True):
                crawled.append(source)
        config_file = workdir / "veille.toml"
        urls = {name: site.url for name, site in sites.items()}
        mailto = mailbox.url(to=RECIPIENT, sender=SENDER)
        config_file.write_text(demo_config(urls, workdir / "demo.db", mailto=mailto, web_port=port), encoding="utf-8")
        click.echo(
            f"Replaying recorded pages of {', '.join(sites)} on 127.0.0.1; crawling into {workdir / 'demo.db'}",
            err=True,
        )
        amounts = "; ".join(f"{', '.join(sources)} {days:+d} days" for days, sources in moved.items())
        said = (
            f"Dates moved: every date of the recorded pages is moved so that each site's newest offer was published "
            f"a few days before today ({today.isoformat()}), the recorded files unchanged: {amounts}."
        )
        click.echo(textwrap.fill(said, width=110))
        demo_state = State(str(config_file), state.verbose)
        quick = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "HTTPCACHE_ENABLED": False}
        runs = run_crawl(demo_state, crawled, settings=quick)
        click.echo()
        print_runs(runs)
        click.echo()
        db = demo_state.db()
        refresh_scores(db)  # each offer's relevance, shown in the table
        print_offers(list(search_offers(db)))
        click.echo()
        print_jobs(db)
        click.echo()
        print_relevant_jobs(db, threshold=load_model().threshold)
        click.echo()
        if web and not os.environ.get("VEILLE_SECRET_KEY"):
            # The alert's « pertinente / pas pertinente » links and the pages' own are signed with it.
            os.environ["VEILLE_SECRET_KEY"] = secrets.token_urlsafe(32)
        from alerts.dispatch import dispatch

        dispatch(db, demo_state.config, backfill=True)  # the profile existed before the crawl
        print_alert(mailbox.received, subscription=PROFILE, kept=bool(keep))
        click.echo()
        if web:
            _serve(demo_state, port)
        if keep:
            click.echo(f"Try: veille --config {config_file} jobs   (or offers --why, status, web)")
        else:
            click.echo(
                "The demo's directory is removed now; `veille demo --keep DIR` keeps its database and alert, "
                "`veille demo --web` serves the web pages on it."
            )
    finally:
        for site in sites.values():
            site.stop()
        mailbox.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _serve(demo_state: State, port: int) -> None:
    """`veille web` on the demo's database until Ctrl-C; its mails go to the demo's mailbox too."""
    import uvicorn

    from web.app import create_app, server_options

    config = demo_state.config
    click.echo(f"veille web: http://127.0.0.1:{port}/ on the demo's database; Ctrl-C stops it.")
    uvicorn.run(create_app(config.web, config.database_path), **server_options(config.web))
    click.echo()
