"""Signed, expiring links: confirm a subscription, manage it, unsubscribe, say whether an offer
was relevant, read a private feed.

A link carries a token signed with the secret key (``VEILLE_SECRET_KEY``, from the environment,
never from veille.toml) by itsdangerous, with its purpose as the salt: a feedback token never
opens the management page. Web subscriptions also sign in their ``link_key``, a random value
of their row: once a subscription is erased, its links work for no other one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from storage import clock

SECRET_ENV = "VEILLE_SECRET_KEY"
# Shorter keys are refused: they could be guessed.
MIN_SECRET_LENGTH = 16
PURPOSES = ("confirm", "manage", "unsubscribe", "feedback", "feed")


class LinkError(Exception):
    """A token that is not ours, was altered, or has expired; ``expired`` tells which."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class MissingSecret(Exception):
    pass


def secret_key() -> str:
    """The secret key from the environment; MissingSecret, worded for the operator, otherwise."""
    value = os.environ.get(SECRET_ENV, "")
    if len(value) < MIN_SECRET_LENGTH:
        state = "is not set" if not value else f"is shorter than {MIN_SECRET_LENGTH} characters"
        raise MissingSecret(
            f"{SECRET_ENV} {state}: set it to a long random value (e.g. `python3 -c 'import secrets; "
            f"print(secrets.token_urlsafe(32))'`) in the environment of every veille command"
        )
    return value


def new_link_key() -> str:
    return secrets.token_urlsafe(12)


class _ClockSigner(TimestampSigner):
    """Tokens are dated by veille's one clock (storage.clock), so that tests can move it."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


@dataclass(frozen=True)
class Signer:
    """Makes and reads the tokens of every link, for one secret key."""

    secret: str

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        return URLSafeTimedSerializer(self.secret, salt=f"veille-{purpose}", signer=_ClockSigner)

    def token(self, purpose: str, payload: dict) -> str:
        return self._serializer(purpose).dumps(payload)

    def read(self, purpose: str, token: str, *, max_age_seconds: float | None) -> dict:
        """The payload of a token made for ``purpose``; LinkError when it is not valid or too old."""
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise LinkError(expired=True) from None
        except BadSignature:
            raise LinkError(expired=False) from None
        if not isinstance(payload, dict):
            raise LinkError(expired=False)
        return payload

    def keyed(self, name: str, purpose: str, text: str) -> str:
        """An HMAC of ``text`` (an IP, an address) that stands for it in rate-limit counters."""
        digest = hmac.new(self.secret.encode(), f"{purpose}:{name}:{text}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


@dataclass(frozen=True)
class AlertLinks:
    """The links an alert message carries, for one subscription."""

    manage: str | None = None
    unsubscribe: str | None = None
    # Format with unit= and verdict= (relevant, not_relevant); None: no feedback links.
    feedback_base: str | None = None
    signer: Signer | None = None
    subscription: str = ""

    def feedback(self, unit: str, verdict: str) -> str | None:
        if not self.feedback_base or self.signer is None:
            return None
        token = self.signer.token("feedback", {"s": self.subscription, "u": unit})
        return f"{self.feedback_base}/{quote(token)}?avis={verdict}"


def subscription_links(signer: Signer, base_url: str, subscription_id: int, link_key: str) -> AlertLinks:
    """Manage, unsubscribe and feedback links of a web subscription."""
    base = base_url.rstrip("/")
    payload = {"id": subscription_id, "k": link_key}
    return AlertLinks(
        manage=f"{base}/gerer/{signer.token('manage', payload)}",
        unsubscribe=f"{base}/desabonnement/{signer.token('unsubscribe', payload)}",
        feedback_base=f"{base}/avis",
        signer=signer,
        subscription=f"web:{subscription_id}",
    )


def feedback_links(signer: Signer, base_url: str, subscription: str) -> AlertLinks:
    """Only feedback links: a veille.toml subscription is managed by the operator."""
    return AlertLinks(feedback_base=f"{base_url.rstrip('/')}/avis", signer=signer, subscription=subscription)
