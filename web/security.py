"""What keeps a public form that sends e-mail from being abused: security headers on every answer,
bounded request bodies, CSRF tokens on every form, rate limits kept in SQLite.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request

from alerts.links import Signer
from storage import clock, web_limits

# The longest form body accepted: a subscription form is a few hundred bytes.
MAX_FORM_BYTES = 16 * 1024
CSRF_COOKIE = "veille_csrf"
CSRF_FIELD = "csrf"

SECURITY_HEADERS = {
    # Nothing but our own stylesheet, no script at all, no framing, forms only to ourselves.
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # Links carry tokens: never hand them to another site in a Referer.
    "referrer-policy": "no-referrer",
    "permissions-policy": "interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer, and no caching of pages that hold a token."""

    def __init__(self, app, *, https: bool):
        self.app = app
        self.https = https

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if self.https:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
                if not scope["path"].startswith(("/static/", "/flux")) and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class FormTooLarge(Exception):
    pass


async def read_form(request: Request) -> dict[str, list[str]]:
    """The url-encoded form of a POST, at most MAX_FORM_BYTES (FormTooLarge beyond, whatever
    Content-Length says)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormTooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return {}


def first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def csrf_token(request: Request) -> str:
    """The token the page's forms carry: the visitor's cookie value, made when there is none yet."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and len(token) <= 64:
        return token
    if getattr(request.state, "new_csrf", None) is None:
        request.state.new_csrf = secrets.token_urlsafe(24)
    return request.state.new_csrf


def set_csrf_cookie(request: Request, response, *, https: bool) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=https, path="/")


def csrf_ok(request: Request, form: dict[str, list[str]]) -> bool:
    """Double submit: the form's token equals the cookie, which another site can neither read nor set."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = first(form, CSRF_FIELD)
    return bool(cookie) and bool(sent) and secrets.compare_digest(cookie.encode(), sent.encode())


def client_ip(request: Request) -> str:
    """The visitor's address (uvicorn puts the proxy's X-Forwarded-For there for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def allow(db, signer: Signer, kind: str, value: str, *, limit: int, window: dt.timedelta) -> bool:
    """Count one hit of ``value`` (an IP, an address) for ``kind``; False once over ``limit`` in ``window``.
    The counter's key is an HMAC of the value: the table holds no address."""
    key = signer.keyed(kind, "feed", value.lower())
    return web_limits.hit(db, f"{kind}:{key}", limit=limit, window=window, now=clock.now())
