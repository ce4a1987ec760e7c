"""Source health: tell whoever runs veille when a source breaks, once, and when it recovers.

After every run of a source, :func:`assess` compares the run with the source's
recent history and its recorded health state (table ``source_health``):

- a block (403, 429, a captcha), a page that no longer looks as expected or a
  listing far shorter than the last complete one is a problem at once: those do
  not fix themselves;
- other failures (timeouts, 5xx, …) become a problem after
  ``admin.failures_before_alert`` failed runs in a row;
- a field whose coverage collapses against the previous successful runs (a
  selector broke, the run is "ok" but half-empty) is a problem too.

The admin channel (``[admin] urls``, apprise) hears of a problem once, then
nothing until the source works again, when it gets one "recovered" message.
"""

from __future__ import annotations

import html
import logging
import urllib.request
from dataclasses import dataclass

from sqlite_utils import Database

from alerts.channels import send
from alerts.masking import mask_url, scrub
from crawler.config import Config
from crawler.errors import BLOCKED, INCOMPLETE_LISTING, LAYOUT_CHANGED
from storage.clock import now_iso
from storage.health import save_source_health, source_health
from storage.runs import OK, runs_of

logger = logging.getLogger(__name__)

IMMEDIATE_PROBLEMS = {
    BLOCKED: "le site bloque veille (403, 429 ou captcha)",
    LAYOUT_CHANGED: "la page ne ressemble plus à ce que veille sait lire",
    INCOMPLETE_LISTING: "la liste des offres est bien plus courte que d'habitude : rien n'est fermé",
}
# Coverage is compared with the mean of this many previous successful runs.
COVERAGE_BASELINE_RUNS = 3
# A field must usually be this well filled to be watched, and a run must have this
# many offers to judge it: a run of two offers says little about coverage.
COVERAGE_MIN_USUAL = 0.5
COVERAGE_MIN_ITEMS = 3


@dataclass
class HealthNotice:
    source: str
    kind: str  # problem | recovered
    title: str
    body: str


def _coverage_drops(db: Database, run: dict, drop: float, failing_since_run_id: int | None) -> list[str]:
    """Fields filled far less than in the last healthy runs (runs since the source
    started failing do not count: the baseline must not learn the breakage)."""
    coverage = run.get("field_coverage") or {}
    if not coverage or (run.get("items") or 0) < COVERAGE_MIN_ITEMS:
        return []
    history = [
        previous["field_coverage"]
        for previous in runs_of(db, run["source"], limit=50)
        if previous["id"] < run["id"]
        and previous["status"] == OK
        and (failing_since_run_id is None or previous["id"] < failing_since_run_id)
        and previous.get("field_coverage")
        and (previous.get("items") or 0) >= COVERAGE_MIN_ITEMS
    ][:COVERAGE_BASELINE_RUNS]
    if not history:
        return []
    drops = []
    for field, value in sorted(coverage.items()):
        usual = sum(past.get(field, 0) for past in history) / len(history)
        if usual >= COVERAGE_MIN_USUAL and value < usual * drop:
            drops.append(
                f"le champ « {field} » n'est plus rempli que pour {value:.0%} des offres (d'habitude {usual:.0%})"
            )
    return drops


def _problem(
    db: Database, run: dict, consecutive_failures: int, failing_since_run_id: int | None, config: Config
) -> str | None:
    errors = run.get("errors") or {}
    for error_class, description in IMMEDIATE_PROBLEMS.items():
        if errors.get(error_class):
            sample = next((s for s in run.get("error_samples") or [] if s["class"] == error_class), None)
            detail = f" : {sample['message']} ({sample.get('url') or ''})" if sample else ""
            return description + detail
    if run["status"] != OK and consecutive_failures >= config.admin.failures_before_alert:
        summary = (
            ", ".join(f"{name} × {count}" for name, count in sorted(errors.items()))
            or run.get("reason")
            or run["status"]
        )
        return f"{consecutive_failures} exécutions en échec d'affilée ({summary})"
    drops = _coverage_drops(db, run, config.admin.coverage_drop, failing_since_run_id)
    if drops:
        return "; ".join(drops)
    return None


def assess(db: Database, run: dict, config: Config) -> HealthNotice | None:
    """Update the source's health with this run; the notice to send, if any."""
    source = run["source"]
    previous = source_health(db, source)
    failures = (previous["consecutive_failures"] + 1) if run["status"] != OK else 0
    problem = _problem(db, run, failures, previous["failing_since_run_id"], config)
    failing = problem is not None or failures > 0
    failing_since = (previous["failing_since"] or run["started_at"]) if failing else None
    failing_since_run_id = (previous["failing_since_run_id"] or run["id"]) if failing else None
    alerted_at = previous["alerted_at"] if failing else None
    notice = None
    if problem and not alerted_at:
        notice = HealthNotice(
            source,
            "problem",
            f"veille · source en panne · {source}",
            f"{source} : {problem}.\nEn échec depuis : {failing_since}.\nDernière exécution : n° {run['id']} "
            f"({run['status']}).",
        )
        alerted_at = now_iso()
    elif not failing and previous["alerted_at"]:
        notice = HealthNotice(
            source,
            "recovered",
            f"veille · source rétablie · {source}",
            f"{source} fonctionne de nouveau (exécution n° {run['id']}).\nProblème signalé : {previous['problem']}.",
        )
    save_source_health(
        db,
        {
            "source": source,
            "state": "failing" if failing else "ok",
            "problem": problem,
            "failing_since": failing_since,
            "failing_since_run_id": failing_since_run_id,
            "consecutive_failures": failures,
            "alerted_at": alerted_at,
            "last_run_id": run["id"],
        },
    )
    return notice


def notify_admin(config: Config, notice: HealthNotice) -> bool:
    """Send a health notice on every admin channel; False unless every one took it. A channel that
    failed is logged by its masked URL, with apprise's reason scrubbed of its secrets."""
    if not config.admin.urls:
        logger.warning("%s (no [admin] urls configured to send it to)", notice.title)
        return False
    bodies = {"text": notice.body, "markdown": notice.body, "html": html.escape(notice.body).replace("\n", "<br>\n")}
    sent = True
    for url in config.admin.urls:
        result = send(url, notice.title, bodies)
        if not result.ok:
            sent = False
            logger.error("could not send the health notice %r to %s: %s", notice.title, mask_url(url), result.error)
    return sent


def ping_heartbeat(url: str | None, timeout: float = 10.0) -> bool:
    """GET the heartbeat URL after a successful run; a failure is logged (the URL masked: its path is
    often the check's secret), never fatal."""
    if not url:
        return False
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers={"User-Agent": "veille heartbeat"}), timeout=timeout
        ) as response:
            return 200 <= response.status < 400
    except OSError as error:
        logger.warning("heartbeat %s failed: %s", mask_url(url), scrub(str(error), url))
        return False
