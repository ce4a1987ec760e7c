"""The ``veille`` command group: options every command shares, and how user mistakes end.

Commands are in cli/commands/ and cli/demo/; what they print is in cli/output.py.
"""

from __future__ import annotations

import datetime as dt
import os

import click

from crawler.config import Config, ConfigError, load_config
from storage import open_db

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


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


def iso_date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-24") from None
