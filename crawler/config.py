"""veille.toml: where it is found, ``${ENV_VAR}`` expansion, validation.

Every user mistake in the configuration becomes a :class:`ConfigError` whose
message is one line naming the key, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from alerts.masking import mask_url
from alerts.settings import (
    Alerts,
    ChannelUrl,
    NonEmptyStr,
    Section,
    Subscription,
    Web,
)
from crawler.source_settings import Http, Sources
from crawler.triggers import EVERY, cron_trigger
from storage.grouping import Thresholds

DEFAULT_CONFIG_NAME = "veille.toml"
DEFAULT_DATABASE = "./veille.db"


# A heartbeat URL may hold a secret (healthchecks.io's check id): a whole ${ENV} reference is
# accepted until a command that pings needs it.
HeartbeatUrl = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(https?://[^\s/]+|\$\{)")]


class ConfigError(Exception):
    """A configuration mistake, worded for the user, one line per problem."""


def known_sources(config: Config) -> list[str]:
    """Source names a subscription may filter on: every ``[sources.x]`` table (the built-in
    spiders and the boards they read offers on) and every ``[[sources.site]]``."""
    names = set()
    for field_name in type(config.sources).model_fields:
        value = getattr(config.sources, field_name)
        if isinstance(value, list):
            names.update(item.name for item in value if getattr(item, "name", None))
        else:
            names.add(field_name)
    return sorted(names)


# -- running unattended ---------------------------------------------------------------------


def _check_trigger(spec: str) -> str:
    """A crontab line (5 fields, minute first) or "every N[s|m|h]"."""
    spec = " ".join(spec.split())
    if EVERY.match(spec):
        return spec
    try:
        cron_trigger(spec)
    except ValueError as error:
        raise ValueError(f"not a crontab line nor 'every N s|m|h': {error}") from None
    return spec


Trigger = Annotated[str, AfterValidator(_check_trigger)]


def _check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


# When each source is crawled, in the schedule's time zone (crontab: minute hour day month weekday).
DEFAULT_SOURCE_SCHEDULES = {
    "choisirleservicepublic": ["0 7-21 * * *"],  # hourly, 07:00-21:00
    "jorf": ["30 1 * * *", "30 23 * * *"],  # after DILA's two daily deliveries
    "modernisation": ["0 8 * * *", "0 17 * * *"],
    "dinum": ["15 8 * * *", "15 17 * * *"],
}

# Every [[sources.site]] not named in [schedule.sources]: twice a day, like the DITP's pages.
DEFAULT_SITE_SCHEDULE = ["30 8 * * *", "30 17 * * *"]

# Full runs (`veille run SOURCE --full`): the whole listing read again, which is what tells which offers
# are no longer listed (storage/lifecycle.py) and catches offers a listing did not show newest-first.
DEFAULT_FULL_SCHEDULES = {
    "choisirleservicepublic": ["45 3 * * 0"],  # Sundays 03:45
    "modernisation": ["30 4 * * 0"],  # Sundays 04:30
}


class Schedule(Section):
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "Europe/Paris"
    # A crawl running longer than this (seconds) is stopped: a hung crawl never blocks the others.
    crawl_timeout: float = Field(3600.0, gt=0)
    # A run that could not start on time (machine asleep, previous crawl still running) still
    # runs if it is late by at most this many seconds; several missed runs are run once.
    misfire_grace_time: int = Field(900, ge=1)
    # Per source, overriding DEFAULT_SOURCE_SCHEDULES; [] leaves a source unscheduled.
    sources: dict[str, list[Trigger]] = Field(default_factory=dict)
    # Per source, overriding DEFAULT_FULL_SCHEDULES: when to run it with --full; [] never.
    full_sources: dict[str, list[Trigger]] = Field(default_factory=dict)

    @field_validator("sources", "full_sources", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        if isinstance(value, dict):
            return {name: [specs] if isinstance(specs, str) else specs for name, specs in value.items()}
        return value

    def source_triggers(self, sites: list[str] = ()) -> dict[str, list[str]]:
        """When each source is crawled: ``[schedule.sources]``, else the built-in times, else (for
        the configured ``sites``) twice a day."""
        return {**DEFAULT_SOURCE_SCHEDULES, **{site: DEFAULT_SITE_SCHEDULE for site in sites}, **self.sources}

    def full_triggers(self) -> dict[str, list[str]]:
        """When each source is crawled in full; a source left unscheduled ([] in ``[schedule.sources]``)
        has no full crawl either, unless ``[schedule.full_sources]`` names it."""
        unscheduled = {source: [] for source, specs in self.sources.items() if not specs}
        return {**DEFAULT_FULL_SCHEDULES, **unscheduled, **self.full_sources}


class Admin(Section):
    # apprise URLs of whoever runs this veille: source health alerts go there.
    urls: list[ChannelUrl] = Field(default_factory=list)
    # Pinged (HTTP GET) after every successful run, for healthchecks.io-style dead man's switches.
    heartbeat_url: HeartbeatUrl | None = None
    # Alert after this many failed runs in a row (blocks and layout changes alert at once).
    failures_before_alert: int = Field(3, ge=1)
    # Alert when a field is filled in less than this share of its usual coverage.
    coverage_drop: float = Field(0.5, gt=0, lt=1)


class Jobs(Section):
    """When offers on several boards are one job: storage.grouping.Thresholds says what each
    threshold means and holds the defaults; here are only the bounds a user may set."""

    title_threshold: int = Field(Thresholds.title_threshold, ge=50, le=100)
    employer_threshold: int = Field(Thresholds.employer_threshold, ge=0, le=100)
    date_window_days: int = Field(Thresholds.date_window_days, ge=0, le=3660)
    repost_window_days: int = Field(Thresholds.repost_window_days, ge=0, le=3660)
    cited_title_threshold: int = Field(Thresholds.cited_title_threshold, ge=0, le=100)
    text_threshold: float = Field(Thresholds.text_threshold, gt=0, le=1)

    def thresholds(self) -> Thresholds:
        return Thresholds(**self.model_dump())


class Config(Section):
    database: NonEmptyStr = DEFAULT_DATABASE
    contact: str = ""
    http: Http = Field(default_factory=Http)
    sources: Sources = Field(default_factory=Sources)
    schedule: Schedule = Field(default_factory=Schedule)
    admin: Admin = Field(default_factory=Admin)
    alerts: Alerts = Field(default_factory=Alerts)
    jobs: Jobs = Field(default_factory=Jobs)
    subscriptions: list[Subscription] = Field(default_factory=list)
    web: Web = Field(default_factory=Web)

    def subscription(self, name: str) -> Subscription:
        """The subscription called ``name``; ConfigError listing the names otherwise."""
        for subscription in self.subscriptions:
            if subscription.name == name:
                return subscription
        names = ", ".join(repr(s.name) for s in self.subscriptions) or "none is configured"
        raise ConfigError(f"subscriptions: no subscription named {name!r} ({names})")

    # Not read from the file: where it came from, for relative paths and messages.
    source_path: Path | None = Field(default=None, exclude=True)
    # Secret-bearing keys whose ${ENV} variable is unset, as (key, variable): fine for commands that
    # only read, an error for those that send (require_env).
    unset_env: list[tuple[str, str]] = Field(default_factory=list, exclude=True)

    def require_env(self, *sections: str) -> None:
        """ConfigError (one line each) when a secret these top-level ``sections`` need is unset
        (every section when none is named)."""
        label = str(self.source_path) if self.source_path else "config"
        missing = [
            f"{label}: {key}: environment variable {name} is not set"
            for key, name in self.unset_env
            if not sections or re.split(r"[.\[]", key, maxsplit=1)[0] in sections
        ]
        if missing:
            raise ConfigError("\n".join(missing))

    def unset_env_warning(self) -> str | None:
        """One line saying which secrets are unset, for the commands that do not need them."""
        if not self.unset_env:
            return None
        names = ", ".join(dict.fromkeys(name for _, name in self.unset_env))
        keys = ", ".join(dict.fromkeys(key for key, _ in self.unset_env))
        return f"{names} not set ({keys}): fine for reading, needed to send"

    @property
    def database_origin(self) -> str:
        """Where the database path comes from, for messages: VEILLE_DB or the file's ``database``."""
        if os.environ.get("VEILLE_DB"):
            return "VEILLE_DB"
        return f"{self.source_path}: database" if self.source_path else "database"

    @property
    def database_path(self) -> Path:
        """The SQLite file: ``VEILLE_DB`` wins over the config file's ``database``."""
        env = os.environ.get("VEILLE_DB")
        if env:
            return Path(env).expanduser()
        path = Path(self.database).expanduser()
        if not path.is_absolute() and self.source_path is not None:
            path = self.source_path.parent / path
        return path


_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Keys holding what only sending (or crawling with PISTE) needs: their ${ENV} references may be
# unset for the commands that only read the database (Config.require_env).
_SECRET_KEYS = re.compile(
    r"^(subscriptions\[\d+\]\.channels\[\d+\]|admin\.urls\[\d+\]|admin\.heartbeat_url"
    r"|sources\.jorf\.piste\.client_id|sources\.jorf\.piste\.client_secret|web\.smtp_url)$"
)


def _expand_env(value: Any, where: str, unset: list[tuple[str, str]], from_env: dict[str, str]) -> Any:
    """``value`` with its ${ENV} references replaced. An unset variable is a ConfigError, except
    in a secret-bearing key, which then stays as written (no half-expanded secret) and is
    recorded in ``unset`` as (key, variable). ``from_env`` learns which keys (as :func:`_key_path`
    writes them) hold a value from the environment, and from which variables: an error never
    quotes them."""
    if isinstance(value, str):
        names = _ENV_REFERENCE.findall(value)
        missing = [name for name in names if name not in os.environ]
        if missing:
            if not _SECRET_KEYS.match(where):
                raise ConfigError(f"{where}: environment variable {missing[0]} is not set")
            unset.extend((where, name) for name in missing)
            return value
        if names:
            from_env[where] = ", ".join(f"${{{name}}}" for name in dict.fromkeys(names))
        return _ENV_REFERENCE.sub(lambda match: os.environ[match.group(1)], value)
    if isinstance(value, dict):
        return {
            key: _expand_env(item, f"{where}.{key}" if where else key, unset, from_env) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_expand_env(item, f"{where}[{index}]", unset, from_env) for index, item in enumerate(value)]
    return value


def has_unset_env(value: str) -> bool:
    """Whether a string kept an ${ENV} reference (its variable is unset: see Config.require_env)."""
    return bool(_ENV_REFERENCE.search(value))


def _key_path(loc) -> str:
    """("subscriptions", 0, "channels") -> "subscriptions[0].channels"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _describe(error: dict, from_env: dict[str, str]) -> str:
    key = _key_path(error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    message = error["msg"]
    if error["type"] == "veille":
        return f"{key}: {message}"
    message = message.removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], (dict, list)):
        # The value is quoted to help, but never one from the environment (a secret's place), and
        # never a URL's secrets.
        variables = next(
            (names for where, names in from_env.items() if key == where or key.startswith((f"{where}.", f"{where}["))),
            None,
        )
        value = error["input"]
        if variables:
            message += f" (from {variables}, not shown)"
        else:
            message += f" (got {mask_url(value) if isinstance(value, str) else value!r})"
    return f"{key}: {message}"


def parse_config(data: dict, source_path: Path | None = None) -> Config:
    label = str(source_path) if source_path else "config"
    unset: list[tuple[str, str]] = []
    from_env: dict[str, str] = {}
    try:
        expanded = _expand_env(data, "", unset, from_env)
    except ConfigError as error:
        raise ConfigError(f"{label}: {error}") from None
    try:
        config = Config.model_validate(expanded)
    except ValidationError as error:
        lines = [f"{label}: {_describe(item, from_env)}" for item in error.errors()]
        raise ConfigError("\n".join(lines)) from None
    _check_subscriptions(config, label)
    config.source_path = source_path
    config.unset_env = unset
    return config


def _check_subscriptions(config: Config, label: str) -> None:
    """What needs the whole file: keywords, a query or a relevance, known sources, distinct names and
    channels (they key the alert outbox: two of a kind would share one row)."""
    from alerts.channels import channel_key

    seen: dict[str, int] = {}
    for index, subscription in enumerate(config.subscriptions):
        if not subscription.keywords and not subscription.query and not subscription.relevance:
            raise ConfigError(
                f"{label}: subscriptions[{index}].keywords: no keyword, no query and no relevance: give at least one "
                "of them"
            )
        for position, source in enumerate(subscription.sources):
            if source not in (known := known_sources(config)):
                raise ConfigError(
                    f"{label}: subscriptions[{index}].sources[{position}]: unknown source {source!r}; sources: "
                    f"{', '.join(known)}"
                )
        if subscription.name.startswith("web:"):
            raise ConfigError(
                f"{label}: subscriptions[{index}].name: names starting with 'web:' are those of the subscriptions "
                "made on the web pages"
            )
        if subscription.name in seen:
            raise ConfigError(
                f"{label}: subscriptions[{index}].name: {subscription.name!r} is already the name of "
                f"subscriptions[{seen[subscription.name]}]"
            )
        seen[subscription.name] = index
        keys: dict[str, int] = {}
        for position, url in enumerate(subscription.channels):
            if has_unset_env(url):
                continue  # checked once its variables are set (Config.require_env)
            key = channel_key(url)
            if key in keys:
                raise ConfigError(
                    f"{label}: subscriptions[{index}].channels[{position}]: same destination as channels[{keys[key]}] "
                    f"({key})"
                )
            keys[key] = position


def find_config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """``--config`` wins, then ``VEILLE_CONFIG``, then ``./veille.toml`` if present."""
    for origin, candidate in (("--config", explicit), ("VEILLE_CONFIG", os.environ.get("VEILLE_CONFIG"))):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError(f"{origin}: config file not found: {path}")
            return path
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def load_config(explicit: str | os.PathLike | None = None) -> Config:
    """The configuration, or the built-in defaults when there is no file."""
    path = find_config_path(explicit)
    if path is None:
        return parse_config({})
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    return parse_config(data, path.resolve())
