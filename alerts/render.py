"""The alert messages, in French: one per subscription, channel and dispatch.

Three bodies of the same message: HTML for e-mail (apprise derives the e-mail's
plain-text part from it, so every link is also written out as its URL),
Markdown for Slack and other Markdown channels (apprise turns it into Slack's
mrkdwn: ``[label](<url>)`` becomes ``<url|label>``) and plain text for the
rest. Offer text is untrusted: Jinja autoescaping makes it inert in HTML, and
:func:`markdown_text` escapes every character Markdown or Slack would read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader

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


@dataclass
class Item:
    view: UnitView
    reasons: list[dict]

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
    def where(self) -> str:
        return " · ".join(part for part in (self.view.employer, self.view.place) if part)


@dataclass
class Message:
    title: str
    html: str
    markdown: str
    text: str

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


def render(subscription: str, mode: Mode, items: list[Item], *, part: int = 1, parts: int = 1) -> Message:
    """The message for ``items`` of one subscription (a digest says so in its heading)."""
    count = len(items)
    suffix = f" ({part}/{parts})" if parts > 1 else ""
    title = f"veille · {count_phrase(count)} · {subscription}{suffix}"
    if mode.kind == "daily":
        heading = f"Résumé du jour : {count_phrase(count)} pour « {subscription} »{suffix}"
    elif mode.kind == "weekly":
        heading = f"Résumé de la semaine : {count_phrase(count)} pour « {subscription} »{suffix}"
    else:
        heading = f"{count_phrase(count).capitalize()} pour « {subscription} »{suffix}"
    footer = (
        f"Vous recevez ce message parce que l'abonnement « {subscription} » de veille correspond à ces offres "
        f"(envoi {mode.describe_fr()}). Pour le modifier, changez la section [[subscriptions]] de veille.toml."
    )
    # Until a web page takes « pertinente » / « pas pertinente » links, each offer says how to answer.
    feedback = f'veille feedback "{subscription}"'
    context = {"heading": heading, "items": items, "footer": footer, "feedback": feedback}
    return Message(
        title=title,
        html=_HTML.render(context),
        markdown=_MARKDOWN.render(context).strip() + "\n",
        text=_TEXT.render(context).strip() + "\n",
    )


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
