"""The alert messages, in French: one per subscription, channel and dispatch.

Three bodies of the same message: HTML for e-mail (a web subscriber's e-mail has both
the HTML and the text part, alerts/email.py; apprise derives an e-mail's text part from
the HTML and drops link URLs, so apprise e-mail still shows URLs in the HTML),
Markdown for Slack and other Markdown channels (apprise turns it into Slack's
mrkdwn: ``[label](<url>)`` becomes ``<url|label>``) and plain text for the
rest. Offer text is untrusted: Jinja autoescaping makes it inert in HTML, and
:func:`markdown_text` escapes every character Markdown or Slack would read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader

from alerts.links import AlertLinks
from alerts.matching import describe_reasons
from alerts.schedule import Mode
from alerts.units import UnitView
from storage.french import french_date

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]()<>#!|])")


def markdown_text(text: str | None) -> str:
    """Offer text as literal Markdown: nothing in it can become a link, a mention or markup."""
    if not text:
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def count_phrase(count: int) -> str:
    return f"{count} nouvelle offre" if count == 1 else f"{count} nouvelles offres"


_VERSANT_WORDS = {"État": "de l'État", "Territoriale": "territoriale", "Hospitalière": "hospitalière"}


@dataclass
class Item:
    view: UnitView
    reasons: list[dict]
    # « pertinente » / « pas pertinente » links, when the web pages are set up.
    relevant_url: str | None = None
    not_relevant_url: str | None = None

    @property
    def why(self) -> str:
        return describe_reasons(self.reasons, french=True)

    @property
    def details(self) -> list[str]:
        parts = []
        if self.view.deadline:
            parts.append(f"Date limite : {french_date(self.view.deadline)}")
        if self.view.published_on:
            parts.append(f"publiée le {french_date(self.view.published_on)}")
        if self.view.contract:
            parts.append(self.view.contract)
        return parts

    @property
    def job(self) -> str:
        """The job's number, as `veille feedback` and `veille jobs show` take it."""
        return self.view.key.removeprefix("job:")

    @property
    def facts(self) -> list[str]:
        """What the post is: category and versant, salary, télétravail."""
        view = self.view
        parts = []
        if view.category or view.versant:
            grade = f"catégorie {view.category}" if view.category else ""
            versant = f"fonction publique {_VERSANT_WORDS.get(view.versant, view.versant)}" if view.versant else ""
            said = ", ".join(part for part in (grade, versant) if part)
            parts.append(said[0].upper() + said[1:])
        if view.salary:
            parts.append(f"Rémunération : {view.salary}")
        if view.remote:
            parts.append(f"Télétravail : {view.remote}")
        return parts

    @property
    def where(self) -> str:
        return " · ".join(part for part in (self.view.employer, self.view.place) if part)


@dataclass
class Message:
    title: str
    html: str
    markdown: str
    text: str
    # The same content as fields, for webhooks (alerts/webhook.py).
    data: dict | None = None

    def bodies(self) -> dict[str, str]:
        return {"html": self.html, "markdown": self.markdown, "text": self.text}


# The templates (alerts/templates/): HTML autoescaped, Markdown and text not (Markdown escapes with the md filter).
_loader = PackageLoader("alerts", "templates")
_env = Environment(
    loader=_loader,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_plain_env = Environment(loader=_loader, autoescape=False, trim_blocks=True, lstrip_blocks=True)
_plain_env.filters["md"] = markdown_text
_HTML = _env.get_template("alert.html")
_MARKDOWN = _plain_env.get_template("alert.md")
_TEXT = _plain_env.get_template("alert.txt")


def sorted_items(items: list[Item], sort: str) -> list[Item]:
    """Newest first, or the soonest deadline first (offers without a deadline last)."""
    if sort == "deadline":
        return sorted(items, key=lambda item: (item.view.deadline is None, item.view.deadline or "", item.view.key))
    return sorted(items, key=lambda item: (item.view.published_on or "", item.view.key), reverse=True)


def render(
    subscription: str,
    mode: Mode,
    items: list[Item],
    *,
    part: int = 1,
    parts: int = 1,
    links: AlertLinks | None = None,
    sort: str = "newest",
    spell_out_urls: bool = True,
) -> Message:
    """The message for ``items`` of one subscription (a digest says so in its subject and heading)."""
    links = links or AlertLinks()
    items = sorted_items(items, sort)
    for item in items:
        item.relevant_url = links.feedback(item.view.key, "relevant")
        item.not_relevant_url = links.feedback(item.view.key, "not_relevant")
    count = len(items)
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    web = subscription.startswith("web:")
    label = "votre alerte" if web else f"« {subscription} »"
    digest = {"daily": "Résumé du jour", "weekly": "Résumé de la semaine"}.get(mode.kind)
    if digest:
        heading = f"{digest} : {count_phrase(count)} pour {label}{suffix}"
    else:
        heading = f"{count_phrase(count).capitalize()} pour {label}{suffix}"
    title = " · ".join(
        ["veille", *([digest] if digest else []), count_phrase(count), "votre alerte" if web else subscription]
    )
    title += suffix
    if links.unsubscribe:
        footer = (
            f"Vous recevez ce message parce que vous avez créé cette alerte sur veille (envoi {mode.describe_fr()})."
        )
    else:
        footer = (
            f"Vous recevez ce message parce que l'abonnement « {subscription} » de veille correspond à ces offres "
            f"(envoi {mode.describe_fr()}). Cette alerte est gérée par la personne qui administre veille : "
            "écrivez-lui pour la modifier ou l'arrêter."
        )
    # apprise writes an e-mail's text part from the HTML, keeping a link's label and dropping its URL: for
    # apprise channels the HTML spells every URL out; veille's own e-mails have a text part of their own.
    # Without feedback links (no web pages configured), each offer says how to answer from the command line.
    feedback = None if web or links.feedback_base else f'veille feedback "{subscription}"'
    context = {
        "heading": heading,
        "items": items,
        "footer": footer,
        "links": links,
        "spell_out_urls": spell_out_urls,
        "feedback": feedback,
    }
    text = _TEXT.render(context).strip() + "\n"
    data = {
        "version": "1.0",
        "title": title,
        "message": text,
        "type": "info",
        "subscription": subscription,
        "heading": heading,
        "jobs": [job_fields(item) for item in items],
    }
    return Message(
        title=title,
        html=_HTML.render(context),
        markdown=_MARKDOWN.render(context).strip() + "\n",
        text=text,
        data=data,
    )


def job_fields(item: Item) -> dict:
    """A job as a webhook gets it: every fact a message shows, as fields."""
    view = item.view
    return {
        "id": view.key,
        "title": view.title,
        "employer": view.employer,
        "place": view.place,
        "category": view.category,
        "versant": view.versant,
        "contract": view.contract,
        "salary": view.salary,
        "remote": view.remote,
        "deadline": view.deadline,
        "published_on": view.published_on,
        "excerpt": view.excerpt,
        "links": [{"label": label, "url": url} for label, url in view.links],
        "why": item.why or None,
        "feedback": {"relevant": item.relevant_url, "not_relevant": item.not_relevant_url}
        if item.relevant_url
        else None,
    }


def render_test(subscription: str) -> Message:
    """The message `veille notify-test` sends."""
    line = f"Ceci est un message d'essai de veille pour l'abonnement « {subscription} » : ce canal fonctionne."
    return Message(
        title=f"veille · message d'essai · {subscription}",
        html=_env.from_string("<html><body><p>{{ line }}</p></body></html>").render(line=line),
        markdown=markdown_text(line) + "\n",
        text=line + "\n",
    )


def render_notice(title: str, lines: list[str]) -> Message:
    """A message to whoever runs veille (source health): a title and a few lines of plain French."""
    return Message(
        title=title,
        html=_env.from_string("<html><body>{% for line in lines %}<p>{{ line }}</p>{% endfor %}</body></html>").render(
            lines=lines
        ),
        markdown="\n\n".join(markdown_text(line) for line in lines) + "\n",
        text="\n".join(lines) + "\n",
    )
