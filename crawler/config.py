"""veille.toml: where it is found, ``${ENV_VAR}`` expansion, validation.

Every user mistake in the configuration becomes a :class:`ConfigError` whose
message is one line naming the key, so the CLI can print it and exit 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationError, field_validator, model_validator

DEFAULT_CONFIG_NAME = "veille.toml"
DEFAULT_DATABASE = "./veille.db"

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HttpUrlStr = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s/]+")]


class ConfigError(Exception):
    """A configuration mistake, worded for the user, one line per problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


# The searches a job seeker interested in public-sector transformation runs by
# hand on CSP. The site matches loosely, so a few broad phrases catch most of
# what the subscriptions later filter precisely.
DEFAULT_CSP_KEYWORDS = [
    "transformation publique",
    "innovation publique",
    "laboratoire d'innovation",
    "design de services",
    "transformation numérique",
    "modernisation",
    "chargé de mission transformation",
    "SGAR",
]


class ChoisirLeServicePublicSource(_Section):
    base_url: HttpUrlStr = "https://choisirleservicepublic.gouv.fr"
    keywords: list[NonEmptyStr] = Field(default_factory=lambda: list(DEFAULT_CSP_KEYWORDS), min_length=1)
    # The site's internal place ids (Paris=284, Île-de-France=208, ...), not département codes.
    localisations: list[Annotated[int, Field(gt=0)]] = Field(default_factory=list)
    # The site's category ids (A=1805, A+=4327/4328).
    categories: list[Annotated[int, Field(gt=0)]] = Field(default_factory=list)
    max_pages: int = Field(10, ge=1, le=500)
    stop_after_known: int = Field(5, ge=1)


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"not a regular expression: {error}") from None
    return value


def _css(value: str) -> str:
    from parsel.csstranslator import HTMLTranslator

    try:
        HTMLTranslator().css_to_xpath(value)
    except Exception as error:  # cssselect raises several unrelated classes
        raise ValueError(f"not a CSS selector: {error}") from None
    return value


Regex = Annotated[NonEmptyStr, AfterValidator(_regex)]
CssSelector = Annotated[NonEmptyStr, AfterValidator(_css)]
# A page of the site: an absolute URL, or a path resolved against the source's base_url.
PageRef = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(https?://[^\s/]+|/)\S*$")]

# What an official careers page says when it has no opening; anything else without offers is a broken page.
DEFAULT_NO_OFFER_TEXT = r"aucun(e)? (poste|offre|recrutement)s?|pas d.(offre|poste)s?|aucun r[ée]sultat|0 offre"


class ModernisationSource(_Section):
    """modernisation.gouv.fr, the DITP's site."""

    base_url: HttpUrlStr = "https://www.modernisation.gouv.fr"
    # Recruitment pages to read; empty: found from the home page's navigation links.
    start_urls: list[PageRef] = Field(default_factory=list)
    # Links in plain lists of a recruitment page that are offers (cards always are).
    offer_link_pattern: Regex = r"/(offres?|offres-d-?emploi|offres-emploi|postes?|emplois?|jobs?|recrutements?)/[^?#]*[^/?#]"
    no_offer_text: Regex = DEFAULT_NO_OFFER_TEXT
    max_pages: int = Field(10, ge=1, le=500)
    stop_after_known: int = Field(5, ge=1)


class DinumSource(_Section):
    """design.numerique.gouv.fr/recrutement/, the DINUM design team's openings."""

    base_url: HttpUrlStr = "https://design.numerique.gouv.fr"
    listing_path: PageRef = "/recrutement/"


class PasserellesSource(_Section):
    """passerelles.economie.gouv.fr, where offers linked from other sources are read."""

    base_url: HttpUrlStr = "https://www.passerelles.economie.gouv.fr"


class HelloWorkSource(_Section):
    """hellowork.com, where offers linked from other sources are read."""

    base_url: HttpUrlStr = "https://www.hellowork.com"


class SiteCss(_Section):
    """CSS hints for a configured site; each one wins over what veille finds on its own."""

    # Listing pages.
    offer_links: CssSelector | None = None
    next_page: CssSelector | None = None
    # Offer pages.
    title: CssSelector | None = None
    employer: CssSelector | None = None
    location: CssSelector | None = None
    contract: CssSelector | None = None
    published_on: CssSelector | None = None
    deadline: CssSelector | None = None
    missions: CssSelector | None = None
    profile: CssSelector | None = None


SITE_NAME = r"^[a-z][a-z0-9_-]*$"


class SiteSource(_Section):
    """An official careers page watched by configuration only (``[[sources.site]]``)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, pattern=SITE_NAME, max_length=60)]
    start_urls: list[HttpUrlStr] = Field(min_length=1)
    # Searched in each link's absolute URL on the listing pages.
    offer_link_pattern: Regex
    # The employer when an offer page does not name one.
    employer: NonEmptyStr | None = None
    no_offer_text: Regex = DEFAULT_NO_OFFER_TEXT
    max_pages: int = Field(10, ge=1, le=500)
    stop_after_known: int = Field(5, ge=1)
    css: SiteCss = Field(default_factory=SiteCss)


class PisteApi(_Section):
    """Légifrance's API on PISTE: used instead of the DILA archives only when both credentials are set."""

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    token_url: HttpUrlStr = "https://oauth.piste.gouv.fr/api/oauth/token"
    api_url: HttpUrlStr = "https://api.piste.gouv.fr/dila/legifrance/lf-engine-app"

    @model_validator(mode="after")
    def _both_or_neither(self):
        if bool(self.client_id.strip()) != bool(self.client_secret.get_secret_value().strip()):
            raise ValueError("set both client_id and client_secret, or neither")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.client_id.strip())


class JorfSource(_Section):
    # DILA's open-data directory of daily JORFSIMPLE archives (no key needed).
    index_url: HttpUrlStr = "https://echanges.dila.gouv.fr/OPENDATA/JORFSIMPLE/"
    # With an empty archive ledger, read only the archives of the last N days (--since wins).
    first_run_days: int = Field(30, ge=1, le=3660)
    # Also keep exam notices ("avis de concours", "examen professionnel") of the vacancy section.
    include_concours: bool = False
    piste: PisteApi = Field(default_factory=PisteApi)


class Sources(_Section):
    choisirleservicepublic: ChoisirLeServicePublicSource = Field(default_factory=ChoisirLeServicePublicSource)
    jorf: JorfSource = Field(default_factory=JorfSource)
    modernisation: ModernisationSource = Field(default_factory=ModernisationSource)
    dinum: DinumSource = Field(default_factory=DinumSource)
    passerelles: PasserellesSource = Field(default_factory=PasserellesSource)
    hellowork: HelloWorkSource = Field(default_factory=HelloWorkSource)
    site: list[SiteSource] = Field(default_factory=list)

    @field_validator("site")
    @classmethod
    def _site_names_are_free(cls, sites):
        seen = set()
        for site in sites:
            if site.name in cls.model_fields:
                raise ValueError(f"{site.name!r} is the name of a built-in source; choose another name")
            if site.name in seen:
                raise ValueError(f"{site.name!r} is configured twice")
            seen.add(site.name)
        return sites


class Http(_Section):
    # Seconds between requests to one site before AutoThrottle adapts it.
    delay: float = Field(1.0, ge=0)
    # CSP listing pages weigh ~4.5 MB; slow answers are normal.
    timeout: float = Field(180.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    # A Retry-After longer than this is treated as a block, not waited out.
    max_retry_after: float = Field(300.0, ge=0)
    cache: bool = False
    cache_dir: str = ".scrapy/httpcache"
    cache_expiration: int = Field(0, ge=0)


class Config(_Section):
    database: NonEmptyStr = DEFAULT_DATABASE
    contact: str = ""
    http: Http = Field(default_factory=Http)
    sources: Sources = Field(default_factory=Sources)

    # Not read from the file: where it came from, for relative paths and messages.
    source_path: Path | None = Field(default=None, exclude=True)

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


def _expand_env(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV_REFERENCE.sub(substitute, value)
    if isinstance(value, dict):
        return {key: _expand_env(item, f"{where}.{key}" if where else key) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_env(item, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], (dict, list)):
        message += f" (got {error['input']!r})"
    return f"{key}: {message}"


def parse_config(data: dict, source_path: Path | None = None) -> Config:
    label = str(source_path) if source_path else "config"
    try:
        expanded = _expand_env(data, "")
    except ConfigError as error:
        raise ConfigError(f"{label}: {error}") from None
    try:
        config = Config.model_validate(expanded)
    except ValidationError as error:
        lines = [f"{label}: {_describe(item)}" for item in error.errors()]
        raise ConfigError("\n".join(lines)) from None
    config.source_path = source_path
    return config


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
