"""Who a dispatch serves and where each message goes: veille.toml's subscriptions and their apprise
channels, and the web pages' subscriptions (stored in SQLite) and their e-mail.

Both kinds become a :class:`Served`: a :class:`~alerts.settings.Subscription` (what matching and
the outbox read), its delivery targets, and the links its messages carry. The dispatch does not
tell them apart: exactly-once delivery, retries and digests are the same for both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from alerts.channels import SendResult, channel_body_limit, channel_format, channel_key, send
from alerts.email import Sender, build_message, parse_smtp_url, send_message
from alerts.links import AlertLinks, MissingSecret, Signer, feedback_links, secret_key, subscription_links
from alerts.settings import DEFAULT_PROFILE_RELEVANCE, Subscription, Web
from alerts.webhook import is_webhook, send_webhook
from storage import web_subscriptions

log = logging.getLogger(__name__)

# The channel key of a web subscriber's e-mail in the outbox (the address itself is not repeated there).
WEB_EMAIL_CHANNEL = "email"


@dataclass
class Target:
    key: str  # the outbox's channel key
    format: str  # "html", "markdown" or "text": the body the channel renders
    limit: int  # the longest body it takes
    deliver: Callable[[object], SendResult]  # sends an alerts.render.Message
    # apprise drops link URLs from an e-mail's text part: its HTML must show them.
    spell_out_urls: bool = True
    # The channel's URL: what an error's text is scrubbed of (alerts.masking.scrub).
    url: str | None = None


@dataclass
class Served:
    subscription: Subscription
    targets: list[Target] = field(default_factory=list)
    links: AlertLinks = field(default_factory=AlertLinks)

    @property
    def name(self) -> str:
        return self.subscription.name


# Slack gets Block Kit blocks (a header, the message, a footer); a section holds 3,000 characters at most.
SLACK_SECTION_LIMIT = 2900


def _with_blocks(url: str) -> str:
    if "blocks=" in url:
        return url
    return url + ("&" if "?" in url else "?") + "blocks=yes"


def apprise_target(url: str) -> Target:
    key = channel_key(url)
    if is_webhook(url):
        return Target(
            key=key,
            format="text",
            limit=channel_body_limit(url),
            deliver=lambda message: send_webhook(url, message.data),
            url=url,
        )
    if url.strip().lower().startswith("slack://"):
        slack = _with_blocks(url.strip())
        return Target(
            key=key,
            format="markdown",
            limit=SLACK_SECTION_LIMIT,
            deliver=lambda message: send(slack, message.title, message.bodies()),
            url=url,
        )
    return Target(
        key=key,
        format=channel_format(url),
        limit=channel_body_limit(url),
        deliver=lambda message: send(url, message.title, message.bodies()),
        url=url,
    )


def sender_of(web: Web) -> Sender:
    return Sender(
        address=web.sender, display_name=web.sender_name, smtp=parse_smtp_url(web.smtp_url) if web.smtp_url else None
    )


def signer_or_none() -> Signer | None:
    try:
        return Signer(secret_key())
    except MissingSecret:
        return None


def subscription_of(row: dict) -> Subscription:
    """A stored web subscription as the matcher reads a veille.toml one."""
    filters = row["filters"]
    return Subscription(
        name=row["name"],
        keywords=filters.get("keywords", []),
        relevance=DEFAULT_PROFILE_RELEVANCE if filters.get("profile") else None,
        departements=filters.get("departements", []),
        regions=filters.get("regions", []),
        categories=filters.get("categories", []),
        mode=row["mode"],
        sort=row["sort"],
        max_age_days=row["max_age_days"],
    )


def email_target(sender: Sender, row: dict, links: AlertLinks) -> Target:
    def deliver(message) -> SendResult:
        email = build_message(
            sender,
            row["email"],
            message.title,
            message.text,
            message.html,
            unsubscribe_url=links.unsubscribe,
            list_id=f"alerte-{row['id']}",
            mailto_subject=f"desabonnement {row['name']}",
        )
        return send_message(sender, email)

    return Target(key=WEB_EMAIL_CHANNEL, format="html", limit=10**9, deliver=deliver, spell_out_urls=False)


def served(db, config, *, include_web: bool = True) -> list[Served]:
    """Every subscription a dispatch serves: veille.toml's, then the web's active ones.

    Without the secret key no web subscription is served (its links could not be signed):
    they are not matched either, so they lose nothing and catch up once the key is set.
    """
    signer = signer_or_none()
    found = []
    for subscription in config.subscriptions:
        links = feedback_links(signer, config.web.base_url, subscription.name) if signer else AlertLinks()
        found.append(Served(subscription, [apprise_target(url) for url in subscription.channels], links))
    if not include_web:
        return found
    rows = web_subscriptions.listed(db, statuses=(web_subscriptions.ACTIVE,))
    if rows and signer is None:
        log.warning("web subscriptions are not served: %s", _missing_secret())
        return found
    sender = sender_of(config.web)
    for row in rows:
        links = subscription_links(signer, config.web.base_url, row["id"], row["link_key"])
        found.append(Served(subscription_of(row), [email_target(sender, row, links)], links))
    return found


def _missing_secret() -> str:
    try:
        secret_key()
    except MissingSecret as error:
        return str(error)
    return ""
