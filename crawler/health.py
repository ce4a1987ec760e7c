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
A notice counts as told only once a channel accepted it (:func:`told`): one
that every channel refused is made again by the next run of the source, so a
mail server down on the day a site breaks does not hide the breakage.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass

from sqlite_utils import Database

from alerts.channels import send
from alerts.masking import mask_url, scrub
from alerts.render import render_notice
from crawler.config import Config
from crawler.errors import BLOCKED, INCOMPLETE_LISTING, LAYOUT_CHANGED, error_label_fr
from storage.clock import now_iso
from storage.french import french_moment
from storage.health import mark_told, save_source_health, source_health
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


# A run's status as the admin notices say it.
RUN_STATUS_FR = {"ok": "réussie", "failed": "en échec", "interrupted": "interrompue", "running": "en cours"}


@dataclass
class HealthNotice:
    source: str
    kind: str  # problem | recovered
    title: str
    lines: list[str]

    @property
    def body(self) -> str:
        return "\n".join(self.lines)


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
        summary = ", ".join(f"{error_label_fr(name)} × {count}" for name, count in sorted(errors.items())) or (
            RUN_STATUS_FR.get(run["status"], run["status"])
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
    # Set while the admin channel believes the source is broken: from the problem notice it
    # accepted until it accepts the recovery notice.
    alerted_at = previous["alerted_at"]
    notice = None
    if problem and not alerted_at:
        notice = HealthNotice(
            source,
            "problem",
            f"veille · source en panne · {source}",
            [
                f"{source} : {problem}.",
                f"En échec depuis le {french_moment(failing_since)} (heure de Paris).",
                f"Dernière exécution : n° {run['id']}, {RUN_STATUS_FR.get(run['status'], run['status'])}, "
                f"commencée le {french_moment(run['started_at'])}.",
            ],
        )
    elif not failing and alerted_at:
        notice = HealthNotice(
            source,
            "recovered",
            f"veille · source rétablie · {source}",
            [
                f"{source} fonctionne de nouveau (exécution n° {run['id']}, commencée le "
                f"{french_moment(run['started_at'])}, heure de Paris).",
                f"Problème signalé : {previous['problem']}." if previous["problem"] else "",
            ],
        )
        notice.lines = [line for line in notice.lines if line]
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


def notify_admin(config: Config, notice: HealthNotice) -> list[str]:
    """Send a health notice on every admin channel, one message each (alerts.channels.send);
    the errors of the channels that refused it. Without any channel, nothing is sent."""
    message = render_notice(notice.title, notice.lines)
    errors = []
    for url in config.admin.urls:
        result = send(url, message.title, message.bodies())
        if not result.ok:
            errors.append(result.error or "refused")
            logger.warning("the admin channel refused %r: %s", notice.title, result.error)
    return errors


def told(db: Database, notice: HealthNotice) -> None:
    """An admin channel accepted the notice: a problem is not told again until the source
    recovers; a recovery closes the episode."""
    mark_told(db, notice.source, now_iso() if notice.kind == "problem" else None)


def report_health(db: Database, run: dict, config: Config) -> tuple[HealthNotice | None, bool]:
    """Assess a finished run and tell the admin channels what changed: (the notice, whether a
    channel accepted it). Unsent notices (no channel took it, or none is configured) are made
    again by the next run."""
    notice = assess(db, run, config)
    if notice is None:
        return None, False
    errors = notify_admin(config, notice)
    accepted = bool(config.admin.urls) and len(errors) < len(config.admin.urls)
    if accepted:
        told(db, notice)
    return notice, accepted


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
