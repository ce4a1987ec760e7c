"""What a subscription and the delivery of alerts may say: the ``[[subscriptions]]`` and
``[alerts]`` parts of veille.toml, validated (crawler.config composes them into the whole
file). Every mistake is one line naming the key, never a value that may hold a secret.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from alerts.channels import check_channel_url
from alerts.query import parse_query, parse_term
from alerts.schedule import parse_mode
from storage.french import fold, normalize_versant
from storage.grouping import Thresholds
from storage.places import DEPARTMENT_CODE, REGION_DEPARTMENTS, canonical_region

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
HttpUrlStr = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s/]+")]
DEFAULT_MAX_AGE_DAYS = 60


class Section(BaseModel):
    """A table of veille.toml: unknown keys are mistakes, defaults are validated too."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


def user_error(message: str) -> PydanticCustomError:
    # A custom error type keeps pydantic's "Value error, " prefix and the raw
    # input (a channel URL holds secrets) out of the one-line message.
    return PydanticCustomError("veille", message)


def checked(check):
    def validate(value):
        try:
            return check(value)
        except ValueError as error:
            raise user_error(str(error)) from None

    return validate


def _departement(value: Any) -> str:
    code = f"{value:02d}" if isinstance(value, int) and not isinstance(value, bool) else str(value).strip().upper()
    if not DEPARTMENT_CODE.match(code):
        raise user_error(f"unknown département {str(value)!r}")
    return code


def _region(value: str) -> str:
    region = canonical_region(value)
    if region is None:
        raise user_error(f"unknown région {value!r}; régions: {', '.join(REGION_DEPARTMENTS)}")
    return region


def _versant(value: str) -> str:
    versant = normalize_versant(value) or {"fpe": "État", "fpt": "Territoriale", "fph": "Hospitalière"}.get(
        fold(value).strip()
    )
    if versant is None:
        raise user_error(f"unknown versant {value!r}; versants: État, Territoriale, Hospitalière")
    return versant


def _category(value: Any) -> str:
    category = str(value).strip().upper()
    if category not in ("A+", "A", "B", "C"):
        raise user_error(f"unknown category {str(value)!r}; categories: A+, A, B, C")
    return category


def _term(value: str) -> str:
    checked(parse_term)(value)
    return value.strip()


def _query(value: str) -> str:
    checked(parse_query)(value)
    return value.strip()


def _mode(value: str) -> str:
    return str(checked(parse_mode)(value))


def _channel(value: str) -> str:
    # A URL that kept an ${ENV} reference (its variable is unset) is checked by the commands that
    # send, which refuse to run without it (crawler.config.Config.require_env).
    if "${" not in value:
        checked(check_channel_url)(value)
    return value.strip()


def _smtp_url(value: str) -> str:
    from alerts.email import parse_smtp_url

    checked(parse_smtp_url)(value)
    return value.strip()


KeywordStr = Annotated[NonEmptyStr, AfterValidator(_term)]
DepartementCode = Annotated[str, BeforeValidator(_departement)]
RegionName = Annotated[str, BeforeValidator(_region)]
VersantName = Annotated[str, BeforeValidator(_versant)]
CategoryName = Annotated[str, BeforeValidator(_category)]
ChannelUrl = Annotated[NonEmptyStr, AfterValidator(_channel)]


class Subscription(Section):
    """What a job seeker wants to hear about, and where to tell them (see alerts/)."""

    name: NonEmptyStr
    # Any of these phrases (accent/case/inflection-insensitive); "title:…" limits one to a field.
    keywords: list[KeywordStr] = Field(default_factory=list)
    # A full-text query (AND/OR/NOT, "phrases", field:word); an offer found by it or by a keyword matches.
    query: Annotated[NonEmptyStr, AfterValidator(_query)] | None = None
    exclude: list[KeywordStr] = Field(default_factory=list)
    departements: list[DepartementCode] = Field(default_factory=list)
    regions: list[RegionName] = Field(default_factory=list)
    categories: list[CategoryName] = Field(default_factory=list)
    versants: list[VersantName] = Field(default_factory=list)
    # Checked against the spiders and configured sites once the whole file is read.
    sources: list[NonEmptyStr] = Field(default_factory=list)
    employers: list[KeywordStr] = Field(default_factory=list)
    # Offers the relevance model scores at least min_relevance (alerts/relevance.py) are found too,
    # as by a keyword; min_relevance defaults to the model's own threshold (README, "Relevance").
    relevance: Literal["transformation"] | None = None
    min_relevance: float | None = Field(None, ge=0, le=1)
    # Apprise URLs: mailto://, slack://, ... (secrets as ${ENV}).
    channels: list[ChannelUrl] = Field(default_factory=list)
    mode: Annotated[str, AfterValidator(_mode)] = "immediate"
    # The order of the offers in a message: the newest first, or the soonest deadline first.
    sort: Literal["newest", "deadline"] = "newest"
    # An offer published longer ago than this is never sent as new (a re-crawled old posting).
    max_age_days: int = Field(DEFAULT_MAX_AGE_DAYS, ge=1, le=3660)

    @model_validator(mode="after")
    def _min_relevance_needs_a_model(self):
        if self.min_relevance is not None and self.relevance is None:
            raise user_error('min_relevance needs relevance = "transformation"')
        return self


# The digests a web subscriber may choose (« quotidien », « hebdomadaire »); the scheduler runs them.
WEB_DIGEST_MODES = ("daily 08:00", "weekly mon 08:00")

# What the web form's « profil transformation publique » is: the relevance model at its own threshold, as
# in veille.example.toml's default profile.
DEFAULT_PROFILE_RELEVANCE = "transformation"


class Web(Section):
    """``veille web``: the pages where job seekers subscribe, and the e-mail their alerts go out by.

    The key that signs every link comes from the environment (``VEILLE_SECRET_KEY``), never from the file.
    """

    host: NonEmptyStr = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # The public address of the pages, for the links in e-mails (behind a reverse proxy: its https URL).
    base_url: HttpUrlStr = "http://127.0.0.1:8000"
    # Proxies whose X-Forwarded-For / -Proto headers are believed (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: NonEmptyStr = "127.0.0.1"
    # How web subscribers' e-mails leave: smtp://[user:password@]host[:port] (STARTTLS when offered) or
    # smtps://… (TLS from the start). Secrets as ${SMTP_PASSWORD}.
    smtp_url: Annotated[str, AfterValidator(_smtp_url)] | None = None
    sender: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s<>]+@[^@\s<>]+$")] = (
        "veille@localhost"
    )
    sender_name: NonEmptyStr = "Veille emploi public"
    # A confirmation link works this long; an unconfirmed subscription is then erased.
    confirm_hours: int = Field(48, ge=1, le=24 * 30)
    # The links of an alert (manage, unsubscribe, feedback) work this long.
    link_days: int = Field(365, ge=1, le=3660)
    # Subscribe forms one IP may send an hour; confirmation mails one address may receive a day.
    subscribe_per_ip_per_hour: int = Field(20, ge=1)
    mails_per_address_per_day: int = Field(3, ge=1)


class Alerts(Section):
    # A channel that fails is retried on later dispatches after retry_base
    # seconds, doubling each time up to retry_max; after max_attempts the
    # alert is marked failed and `veille status` reports it.
    max_attempts: int = Field(8, ge=1, le=100)
    retry_base: float = Field(300.0, ge=0)
    retry_max: float = Field(6 * 3600.0, ge=0)


class GroupingSettings(Protocol):
    def thresholds(self) -> Thresholds: ...


class AlertsConfig(Protocol):
    """What a dispatch reads of the configuration (crawler.config.Config has it)."""

    subscriptions: list[Subscription]
    alerts: Alerts
    jobs: GroupingSettings
    web: Web

    def subscription(self, name: str) -> Subscription: ...
