"""Channels are apprise URLs (``mailto://``, ``slack://``, anything apprise knows).

A channel is known in the outbox by its *key*: the URL as :func:`alerts.masking.mask_url`
shows it (passwords, keys and tokens masked), without its options. It holds no secret,
reads well in ``veille status``, and stays the same when a password changes, so a rotated
secret never re-sends alerts nor orphans pending ones. What a failed send says is
scrubbed of the URL's secrets before anyone stores or prints it.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from alerts.masking import mask_url, scrub

_APPRISE_LOGGER = "apprise"


@dataclass
class SendResult:
    ok: bool
    error: str | None = None
    # What the service asked for before the next try: a 429's or 503's Retry-After, as it wrote it
    # (seconds, or an HTTP date the dispatch reads against its own clock).
    retry_after: str | None = None


class _Collect(logging.Handler):
    """Apprise says why a notification failed only in its log: keep the useful lines."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        # Debug lines can hold full URLs with tokens; only the exception detail is kept.
        if record.levelno >= logging.WARNING or message.startswith(("Socket Exception", "Response Details")):
            self.lines.append(" ".join(message.split()))


class _quiet_apprise:
    """Route apprise's log to a collector instead of stderr, for the duration of a call."""

    def __enter__(self) -> _Collect:
        self.logger = logging.getLogger(_APPRISE_LOGGER)
        self.handler = _Collect()
        self.saved = (self.logger.level, self.logger.propagate)
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False
        return self.handler

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]


@contextmanager
def _http_answers():
    """The HTTP answers apprise's web plugins get during a send, as (status, Retry-After): apprise
    reports a failure as False and a log line, and keeps the answer's headers to itself. Its
    plugins call requests, whose every request goes through ``Session.send``."""
    import requests

    answers: list[tuple[int, str | None]] = []
    original = requests.Session.send

    def send(session, request, **kwargs):
        response = original(session, request, **kwargs)
        answers.append((response.status_code, response.headers.get("Retry-After")))
        return response

    requests.Session.send = send
    try:
        yield answers
    finally:
        requests.Session.send = original


def _asked_to_wait(answers: list[tuple[int, str | None]]) -> str | None:
    """The Retry-After of the last 429 or 503 answer."""
    return next((value for status, value in reversed(answers) if status in (429, 503) and value), None)


@lru_cache(maxsize=1)
def _asset():
    import apprise

    # Names the sender: the e-mail's X-Application header, Slack's footer.
    return apprise.AppriseAsset(app_id="veille", app_desc="veille : offres d'emploi public")


def _instantiate(url: str):
    import apprise

    with _quiet_apprise():
        return apprise.Apprise.instantiate(url.strip(), asset=_asset(), suppress_exceptions=True)


def _scheme(url: str) -> str:
    return url.strip().split("://", 1)[0] if "://" in url else url.strip()[:12]


def check_channel_url(url: str) -> str:
    """The URL if apprise can use it; a ValueError that shows no secret otherwise."""
    if "://" not in url:
        raise ValueError(
            f"not an apprise URL (expected scheme://…, e.g. mailto://… or slack://…; got {_scheme(url)!r}…)"
        )
    plugin = _instantiate(url)
    if plugin is None:
        raise ValueError(
            f"apprise cannot use this {_scheme(url)}:// URL (unknown scheme or missing parts; see "
            "https://github.com/caronc/apprise/wiki)"
        )
    if len(plugin) > 1:
        # Apprise sends one message per target; if one fails, retrying the channel
        # would send the others twice. One target a channel keeps "exactly once".
        raise ValueError(
            f"this {_scheme(url)}:// URL has {len(plugin)} destinations: give each its own channel so that each is "
            "sent exactly once"
        )
    return url


@lru_cache(maxsize=1024)
def channel_key(url: str) -> str:
    """The channel as the outbox knows it: the masked URL (alerts.masking.mask_url) without its options."""
    if _instantiate(url) is None:
        return f"{_scheme(url)}://?"
    return mask_url(url).split("?", 1)[0]


def legacy_channel_key(url: str) -> str:
    """The key databases written before tokens in paths were masked hold: apprise's privacy URL
    without its options (alerts.dispatch re-keys their rows)."""
    plugin = _instantiate(url)
    return plugin.url(privacy=True).split("?", 1)[0] if plugin is not None else f"{_scheme(url)}://?"


def channel_format(url: str) -> str:
    """ "html", "markdown" or "text": what the channel renders."""
    plugin = _instantiate(url)
    return str(plugin.resolve_format(None).value) if plugin is not None else "text"


def channel_body_limit(url: str) -> int:
    """The longest body the channel's service takes: Discord 2,000, Telegram 4,096...

    Apprise's generic default (32,768, what e-mail and webhooks inherit) is not a
    limit of the service, so it does not count.
    """
    from apprise.plugins.base import NotifyBase

    plugin = _instantiate(url)
    limit = getattr(plugin, "body_maxlen", 0) or 0
    if not limit or limit >= NotifyBase.body_maxlen:
        return 10**9
    # A margin for the title, which some services count in the same limit.
    return max(limit - (getattr(plugin, "title_maxlen", 0) or 0), 500)


def send(url: str, title: str, bodies: dict[str, str]) -> SendResult:
    """Send one message through apprise, in the format the channel renders
    (``bodies`` has "html", "markdown" and "text"). ``ok`` only when apprise
    reports that the service accepted it."""
    import apprise

    with _quiet_apprise() as log, _http_answers() as answers:
        try:
            plugin = apprise.Apprise.instantiate(url.strip(), asset=_asset(), suppress_exceptions=True)
            if plugin is None:
                return SendResult(False, f"apprise cannot use this {_scheme(url)}:// URL")
            body_format = plugin.resolve_format(None)
            notifier = apprise.Apprise(asset=_asset())
            notifier.add(plugin)
            ok = notifier.notify(body=bodies[str(body_format.value)], title=title, body_format=body_format)
        except Exception as error:  # a plugin bug must not stop the other channels
            return SendResult(False, scrub(f"{type(error).__name__}: {error}", url))
    if ok:
        return SendResult(True)
    # Apprise's lines quote the URL it called, tokens and all: scrubbed before they go anywhere.
    said = scrub("; ".join(dict.fromkeys(log.lines)), url)
    return SendResult(False, said[-500:] if said else "apprise reported a failure", _asked_to_wait(answers))
