"""Atom feeds (feedgen): one per public search, one per subscription (a private URL), newest first."""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator

from alerts.units import UnitView
from storage.french import french_date, french_score

FEED_SIZE = 50


def _moment(day: str | None, fallback: dt.datetime) -> dt.datetime:
    if not day:
        return fallback
    return dt.datetime.combine(dt.date.fromisoformat(day[:10]), dt.time(0, 0), tzinfo=dt.UTC)


def atom(*, title: str, base_url: str, self_url: str, page_url: str, views: list[UnitView], now: dt.datetime) -> bytes:
    """A valid Atom document listing ``views`` in the given order (newest first)."""
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.link(href=self_url, rel="self")
    feed.link(href=page_url, rel="alternate")
    feed.language("fr")
    feed.author({"name": "veille"})
    updated = max((_moment(view.published_on, now) for view in views), default=now)
    feed.updated(updated)
    # feedgen puts the last added entry first: add them oldest first.
    for view in reversed(views):
        entry = feed.add_entry()
        job_url = f"{base_url.rstrip('/')}/offres/{view.key.removeprefix('job:')}"
        entry.id(job_url)
        entry.title(view.title)
        entry.link(href=view.links[0][1] if view.links else job_url)
        entry.updated(_moment(view.published_on, now))
        entry.published(_moment(view.published_on, now))
        lines = [part for part in (view.employer, view.place) if part]
        if view.relevance is not None:
            lines.append(f"Pertinence : {french_score(view.relevance)}")
        if view.deadline:
            lines.append(f"Date limite : {french_date(view.deadline)}")
        if view.excerpt:
            lines.append(view.excerpt)
        entry.summary(" · ".join(lines) or view.title)
    return feed.atom_str(pretty=False)
