"""The PISTE client's plain parts (Légifrance API): what to send, and how to read what comes back.

OAuth client credentials give a bearer token; then ``consult/lastNJo`` lists the
latest issues, ``consult/jorfCont`` gives an issue's table of contents
(:func:`crawler.jorf.toc.issue_from_piste`) and ``consult/jorf`` a text
(:func:`crawler.jorf.texts.notice_from_piste`). The spider issues the requests;
:class:`Token` holds the token and the calls waiting for one. Quota answers (429
with Retry-After) are waited out by ``crawler.middlewares``' retry, as for any site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from storage.clock import UTC
from storage.french import parse_date

LAST_ISSUES, ISSUE, TEXT = "/consult/lastNJo", "/consult/jorfCont", "/consult/jorf"


def api_date(value) -> str | None:
    """A Légifrance API date: epoch milliseconds (midnight, Paris or UTC) or an ISO string."""
    if isinstance(value, (int, float)):
        # Noon of the instant's day whichever midnight it meant: Paris midnight is 22:00 or 23:00 UTC
        # the day before.
        return dt.datetime.fromtimestamp(value / 1000 + 12 * 3600, tz=UTC).date().isoformat()
    return parse_date(str(value)) if value else None


# -- the token ------------------------------------------------------------------------------


def token_form(client_id: str, client_secret: str) -> dict[str, str]:
    """The form of an OAuth client-credentials token request."""
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": "openid",
    }


class Token:
    """A run's bearer token, and the calls waiting for one: a single token request is in flight
    however many calls wait. Times are ``time.monotonic()`` seconds."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.expires = 0.0
        self.waiting: list[Callable] | None = None

    @property
    def header(self) -> str:
        return f"Bearer {self.value}"

    def usable(self, now: float) -> bool:
        return bool(self.value) and now < self.expires

    def wait(self, call: Callable) -> bool:
        """Keep ``call`` until a token comes; True when no token request is in flight yet."""
        self.value = None
        first = self.waiting is None
        self.waiting = [*(self.waiting or []), call]
        return first

    def received(self, answer, now: float) -> list[Callable] | None:
        """A token answer (parsed JSON) taken: the calls that waited for it, None when it has no token."""
        value = answer.get("access_token") if isinstance(answer, dict) else None
        if not value:
            return None
        self.value = value
        # Renew a little early (a minute, or half the lifetime of a short-lived token)
        # rather than have a request refused mid-run.
        lifetime = float(answer.get("expires_in") or 3600)
        self.expires = now + max(lifetime - 60, lifetime / 2)
        waiting, self.waiting = self.waiting, None
        return waiting or []

    def refused(self, authorization: str) -> bool:
        """A call sent with ``authorization`` was refused: the token is dropped if it is still the
        one that call sent (else another call already renewed it). True when it was."""
        if authorization != self.header:
            return False
        self.value = None
        return True


# -- the API calls --------------------------------------------------------------------------


def api_url(base: str, path: str) -> str:
    return base.rstrip("/") + path


def last_issues_body(start: dt.date, today: dt.date) -> dict:
    """How many of the latest issues to ask for to reach back to ``start``."""
    # One issue a day at most, plus a margin for special issues; the API caps it below 2500.
    return {"nbElement": min(2499, max(1, (today - start).days + 7))}


def issue_body(container_id: str) -> dict:
    return {"id": container_id, "pageNumber": 1, "pageSize": 10}


def text_body(text_id: str) -> dict:
    return {"textCid": text_id}


# -- the answers ----------------------------------------------------------------------------


def listed_issues(answer) -> list[dict] | None:
    """The containers (issues) of a ``consult/lastNJo`` answer; None when it lists none."""
    try:
        return answer.get("containers") or None
    except AttributeError:
        return None


def issues_to_read(containers: list[dict], start: str, settled: set[str]) -> list[tuple[str, str]]:
    """(date, container id) of the listed issues published since ``start`` and not settled, oldest first."""
    issues = []
    for container in containers:
        date = parse_date(container.get("titre")) or api_date(container.get("datePubli"))
        if container.get("id") and date and date >= start and container["id"] not in settled:
            issues.append((date, container["id"]))
    return sorted(issues)


def issue_container(answer) -> dict | None:
    """The ``joCont`` of a ``consult/jorfCont`` answer; None when it has none."""
    try:
        items = answer.get("items") or []
        return items[0].get("joCont") if items else None
    except AttributeError:
        return None
