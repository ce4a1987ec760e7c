"""The ``veille`` command group: options every command shares, and how user mistakes end.

Commands are in cli/commands/ and cli/demo/; what they print is in cli/output.py.

A user mistake (a bad configuration, a database path that is a directory, a job number that
cannot exist, a search that cannot be read) ends in one line on stderr and exit code 2, never
a traceback. Secrets in ``${ENV}`` are needed only by the commands that send: the others run
without them and say once which are unset.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import click

from crawler.config import Config, ConfigError, load_config
from storage import open_db

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

_SQLITE_HEADER = b"SQLite format 3\x00"


class UserError(click.ClickException):
    """A mistake of the user's, worded for them: one line, exit code 2."""

    exit_code = 2


class State:
    def __init__(self, config_path: str | None, verbose: bool):
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None
        self.secrets_required = False

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def sending_config(self, *sections: str) -> Config:
        """The configuration for a command that sends: every ${ENV} secret of ``sections`` (all
        when none is named) must be set."""
        self.secrets_required = True
        self.config.require_env(*sections)
        return self.config

    def db(self, *, must_exist: bool = False):
        """The database; ``must_exist``: a command that only reads says there is none rather than
        creating an empty one."""
        path = self.config.database_path
        check_database_path(path, self.config.database_origin, must_exist=must_exist)
        try:
            return open_db(path)
        except sqlite3.DatabaseError as error:
            raise UserError(f"{self.config.database_origin}: cannot open {path}: {error}") from None


def check_database_path(path: Path, origin: str, *, must_exist: bool = False) -> None:
    """A path that cannot be veille's database is a user mistake, said before SQLite trips on it."""
    if path.is_dir():
        raise UserError(f"{origin}: {path} is a directory, not a database file")
    if path.exists():
        try:
            with path.open("rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except OSError as error:
            raise UserError(f"{origin}: cannot read {path}: {error.strerror}") from None
        if header and header != _SQLITE_HEADER:
            raise UserError(f"{origin}: {path} is not a SQLite database")
    elif must_exist:
        raise UserError(f"{origin}: no database at {path} (run `veille crawl` first, or check the path)")
    elif not path.parent.exists() and path.parent.parent.is_file():
        raise UserError(f"{origin}: {path.parent} is not a directory")


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
        finally:
            state = ctx.obj
            if isinstance(state, State) and state._config is not None and not state.secrets_required:
                warning = state._config.unset_env_warning()
                if warning:
                    click.echo(f"veille: warning: {warning}", err=True)


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
