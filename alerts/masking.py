"""Secrets out of sight: :func:`mask_url` is veille's one way to show a URL that may hold secrets, and
:func:`scrub` its one way to clean a text (an error, a log line) of them.

Channel URLs carry secrets: passwords (``mailtos://user:password@host``), tokens in the host or
the path (``slack://T…/B…/token``, ``json://host/hooks/<token>``), keys in the query or in the
user name. Whatever veille shows, stores or logs of a URL goes through :func:`mask_url`: the
outbox's channel key (``alerts.channels.channel_key``), ``veille status`` and the other
tables, configuration errors, the heartbeat and admin channel's failures. Every error text a
send produces is scrubbed (:func:`scrub`) before it is stored or printed: apprise's own
messages quote the URL it called, tokens and all.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

MASK = "****"
# A query option whose value is a secret by its name alone; apprise's "-Header" and "+Header"
# options set HTTP headers, where services expect their keys.
_SECRET_OPTION = re.compile(r"^[-+]|token|key|secret|pass|pwd|auth|sig|credential|session|code", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[A-Za-z]{2,}$")
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]{},;]+")
# Secrets shorter than this are not searched for in texts: they would mask ordinary words.
_SHORTEST_SCRUBBED = 4


def looks_secret(part: str) -> bool:
    """Whether a piece of a URL (a user name, a host without dots, a path segment, a query value)
    looks like a key or a token rather than a word, a number or an address: a run of more than 16
    letters and digits, one of 6 or more mixing letters and digits or lower and upper case, or one
    of 8 or more capitals. "hooks", "services", "2024", "#offres", "alice@example.org" are words;
    "T0VEILLE1", "xoxb-7731-Qm9nZXJTZWNyZXQ", a UUID are tokens."""
    part = unquote(part)
    if not part or part == MASK or "..." in part or _EMAIL.match(part):
        return False  # empty, masked already (apprise writes "a...x"), or an address
    for run in re.findall(r"[A-Za-z0-9]+", part):
        letters, digits = any(c.isalpha() for c in run), any(c.isdigit() for c in run)
        mixed_case = any(c.islower() for c in run) and any(c.isupper() for c in run[1:])
        if (
            len(run) > 16
            or (len(run) >= 6 and ((letters and digits) or mixed_case))
            or (len(run) >= 8 and run.isupper())
        ):
            return True
    return False


def _host_looks_secret(host: str) -> bool:
    """A host is a name (with dots), an address or "localhost", unless it is a service's token."""
    if not host or "." in host or ":" in host or host.lower() == "localhost":
        return False
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        return looks_secret(host)


@lru_cache(maxsize=1024)
def _privacy_url(url: str) -> str | None:
    """Apprise's own masked form of a URL it knows (it knows where each service keeps its secrets)."""
    import apprise

    logger = logging.getLogger("apprise")
    quiet, logger.disabled = logger.disabled, True
    try:
        plugin = apprise.Apprise.instantiate(url.strip(), suppress_exceptions=True)
        return plugin.url(privacy=True) if plugin is not None else None
    except Exception:  # an apprise bug must not show the URL instead
        return None
    finally:
        logger.disabled = quiet


def _masked_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and value and (_SECRET_OPTION.search(name) or looks_secret(value)):
            value = MASK
        pairs.append(f"{name}{sep}{value}" if sep else (MASK if looks_secret(name) else name))
    return "&".join(pairs)


def _masked_netloc(parts) -> str:
    userinfo, _, hostport = parts.netloc.rpartition("@")
    netloc = hostport
    host, colon, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    if _host_looks_secret(unquote(host)):
        netloc = MASK + (colon + port if port.isdigit() else "")
    if userinfo:
        user, colon, password = userinfo.partition(":")
        user = MASK if looks_secret(user) else user
        netloc = f"{user}{':' + MASK if colon and password else ''}@{netloc}"
    return netloc


def mask_url(url: str) -> str:
    """``url`` with its secrets replaced by ``****``, and what says where messages go left readable:
    the scheme, host and port, plain path words, e-mail addresses, option names.

    Masked: the password; the user name, a host without dots, a path segment or a query value that
    looks like a key or a token (:func:`looks_secret`); any query value whose option names a secret
    (``token=``, ``key=``, ``-X-Api-Key=``…). A URL apprise knows is first put in apprise's privacy
    form, which masks each service's secrets where that service keeps them (Slack's
    ``slack://T...1/B...2/a...x``). Anything that is no URL is returned as it is; this never
    raises, so it can be used on any value about to be shown."""
    if "://" not in url:
        return url
    original = url.strip()
    try:
        base = urlsplit(_privacy_url(original) or original)
        query = urlsplit(original).query
        path = "/".join(MASK if looks_secret(segment) else segment for segment in base.path.split("/"))
        fragment = MASK if looks_secret(base.fragment) else base.fragment
        masked = f"{base.scheme}://{_masked_netloc(base)}{path}"
        if query:
            masked += "?" + _masked_query(query)
        if fragment:
            masked += "#" + fragment
        return masked
    except ValueError:
        return f"{original.split('://', 1)[0]}://{MASK}"


def _secrets_of(url: str) -> set[str]:
    """The pieces of ``url`` that :func:`mask_url` hides, as written and percent-decoded."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return set()
    found = set()
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if password:
        found.add(password)
    if looks_secret(user):
        found.add(user)
    host = hostport.rsplit(":", 1)[0]
    if _host_looks_secret(unquote(host)):
        found.add(host)
    found.update(segment for segment in parts.path.split("/") if looks_secret(segment))
    if looks_secret(parts.fragment):
        found.add(parts.fragment)
    for pair in parts.query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and value and (_SECRET_OPTION.search(name) or looks_secret(value)):
            found.add(value)
    return {variant for secret in found for variant in (secret, unquote(secret), quote(unquote(secret), safe=""))}


def scrub(text: str | None, *urls: str) -> str | None:
    """``text`` without the secrets of ``urls`` (wherever they appear: apprise quotes the path it
    called, the host it could not reach…), and with every URL it holds masked."""
    if not text:
        return text
    secrets = {secret for url in urls for secret in _secrets_of(url) if len(secret) >= _SHORTEST_SCRUBBED}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _URL_IN_TEXT.sub(lambda match: mask_url(match.group(0)), text)
