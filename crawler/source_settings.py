"""The ``[sources.*]`` and ``[http]`` tables of veille.toml: which sites are read and how politely.

Kept apart from :mod:`crawler.config` (loading, ``${ENV}`` expansion, the other tables) so each reads
in one sitting.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, field_validator, model_validator

from alerts.settings import HttpUrlStr, NonEmptyStr, Section

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


class ChoisirLeServicePublicSource(Section):
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


class ModernisationSource(Section):
    """modernisation.gouv.fr, the DITP's site."""

    base_url: HttpUrlStr = "https://www.modernisation.gouv.fr"
    # Recruitment pages to read; empty: found from the home page's navigation links.
    start_urls: list[PageRef] = Field(default_factory=list)
    # Links in plain lists of a recruitment page that are offers (cards always are).
    offer_link_pattern: Regex = (
        r"/(offres?|offres-d-?emploi|offres-emploi|postes?|emplois?|jobs?|recrutements?)/[^?#]*[^/?#]"
    )
    no_offer_text: Regex = DEFAULT_NO_OFFER_TEXT
    max_pages: int = Field(10, ge=1, le=500)
    stop_after_known: int = Field(5, ge=1)


class DinumSource(Section):
    """design.numerique.gouv.fr/recrutement/, the DINUM design team's openings."""

    base_url: HttpUrlStr = "https://design.numerique.gouv.fr"
    listing_path: PageRef = "/recrutement/"


class PasserellesSource(Section):
    """passerelles.economie.gouv.fr, where offers linked from other sources are read."""

    base_url: HttpUrlStr = "https://www.passerelles.economie.gouv.fr"


class HelloWorkSource(Section):
    """hellowork.com, where offers linked from other sources are read."""

    base_url: HttpUrlStr = "https://www.hellowork.com"


class SiteCss(Section):
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


class SiteSource(Section):
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


class PisteApi(Section):
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


class JorfSource(Section):
    # DILA's open-data directory of daily JORFSIMPLE archives (no key needed).
    index_url: HttpUrlStr = "https://echanges.dila.gouv.fr/OPENDATA/JORFSIMPLE/"
    # With an empty archive ledger, read only the archives of the last N days (--since wins).
    first_run_days: int = Field(30, ge=1, le=3660)
    # Also keep exam notices ("avis de concours", "examen professionnel") of the vacancy section.
    include_concours: bool = False
    piste: PisteApi = Field(default_factory=PisteApi)


class Sources(Section):
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


class Http(Section):
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
