"""Error classes of a crawl, and how a failure or a bad page is counted.

Every error is counted in the crawler stats under ``veille/errors/<class>``
with a few samples; the run ledger writes them to the ``runs`` table and any
error marks the run failed. A silent zero is the worst failure of a scraper,
so a page that no longer looks as expected is an error, never an empty result.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

BLOCKED = "blocked"  # 403, 429, a "Request Rejected" or captcha page
LAYOUT_CHANGED = "layout_changed"  # the page no longer has the markup we parse
# A crawl of the whole listing that saw far fewer offers than the last complete one: not complete.
INCOMPLETE_LISTING = "incomplete_listing"
TRUNCATED = "truncated"  # the page arrived cut short
GARBLED = "garbled"  # the page arrived with binary garbage in it (a broken proxy, cache or transfer)
TIMEOUT = "timeout"
CONNECTION = "connection"  # refused, reset, DNS
ROBOTS = "robots_disallowed"
INVALID_ITEM = "invalid_item"
SPIDER_EXCEPTION = "spider_exception"  # a bug in a parse callback
ITEM_ERROR = "item_error"  # a pipeline failed on an item (e.g. the database): the item is not stored
BAD_ARCHIVE = "bad_archive"  # a downloaded archive is unreadable (truncated gzip, bad XML, missing parts)

# How the admin notices (in French) name each error class.
ERROR_LABELS_FR = {
    BLOCKED: "blocage",
    LAYOUT_CHANGED: "page méconnaissable",
    INCOMPLETE_LISTING: "liste incomplète",
    TRUNCATED: "page tronquée",
    GARBLED: "page brouillée",
    TIMEOUT: "délai dépassé",
    CONNECTION: "connexion impossible",
    ROBOTS: "interdit par robots.txt",
    INVALID_ITEM: "offre invalide",
    SPIDER_EXCEPTION: "erreur de lecture",
    ITEM_ERROR: "erreur d'enregistrement",
    BAD_ARCHIVE: "archive illisible",
    "http_5xx": "erreur du serveur (5xx)",
    "http_404": "page introuvable (404)",
    "http_4xx": "requête refusée (4xx)",
}


def error_label_fr(error_class: str) -> str:
    return ERROR_LABELS_FR.get(error_class, error_class)


ERROR_STATS_PREFIX = "veille/errors/"
SAMPLES_KEY = "veille/error_samples"
SAMPLES_PER_CLASS = 5


class SiteBlocked(IgnoreRequest):
    """The site answered but refuses us (a block page, or a Retry-After too long to wait)."""


def http_error_class(status: int) -> str:
    if status in (403, 429):
        return BLOCKED
    if status >= 500:
        return "http_5xx"
    if status == 404:
        return "http_404"
    return "http_4xx"


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(error class, message) for a request's errback failure."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return http_error_class(status), f"HTTP {status}"
    if isinstance(error, SiteBlocked):
        return BLOCKED, str(error) or "blocked"
    if isinstance(error, IgnoreRequest) and "robots.txt" in str(error).lower():
        return ROBOTS, "forbidden by robots.txt"
    if isinstance(error, (DownloadTimeoutError, TimeoutError, TCPTimedOutError)):
        return TIMEOUT, "timed out"
    if isinstance(error, ResponseDataLossError):
        return TRUNCATED, "response cut short (data loss)"
    if isinstance(error, (DownloadConnectionRefusedError, CannotResolveHostError, DownloadFailedError)):
        return CONNECTION, f"{error.__class__.__name__}: {error}"[:200]
    if isinstance(error, (ResponseFailed, ResponseNeverReceived)):
        reasons = getattr(error, "reasons", [])
        text = " ".join(repr(reason.value) for reason in reasons) if reasons else repr(error)
        if "DataLoss" in text or "PotentialDataLoss" in text:
            return TRUNCATED, "response cut short (data loss)"
        return CONNECTION, text[:200]
    if isinstance(error, (DNSLookupError, ConnectionRefusedError, ConnectionLost, ConnectionDone)):
        return CONNECTION, error.__class__.__name__
    return error.__class__.__name__.lower(), str(error)[:200]


def count_error(stats, error_class: str, message: str, url: str | None = None) -> None:
    stats.inc_value(ERROR_STATS_PREFIX + error_class)
    samples = stats.get_value(SAMPLES_KEY) or []
    if sum(1 for sample in samples if sample["class"] == error_class) < SAMPLES_PER_CLASS:
        samples.append({"class": error_class, "url": url, "message": message})
        stats.set_value(SAMPLES_KEY, samples)


def errors_from_stats(stats: dict) -> dict[str, int]:
    return {key[len(ERROR_STATS_PREFIX) :]: value for key, value in stats.items() if key.startswith(ERROR_STATS_PREFIX)}
