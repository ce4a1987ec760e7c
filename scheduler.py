"""The long-lived scheduler behind ``veille schedule``.

APScheduler fires, in the schedule's time zone (Europe/Paris by default):

- one crawl job per source (``[schedule.sources]``, crontab lines or "every N s|m|h"),
  each running ``veille run SOURCE`` in a **subprocess**: Scrapy's reactor cannot
  be restarted in one process, and a crawl that hangs or crashes must never take
  the scheduler down. ``veille run`` crawls, checks the source's health and sends
  the alerts, under the database lock that also keeps cron runs out;
- digest jobs, one per digest time of the subscriptions, running ``veille alert``.

Jobs run one at a time (a single worker): crawls never overlap, and a crawl
slower than its interval is not started twice (``max_instances=1``); missed
runs are coalesced into one if they are late by less than ``misfire_grace_time``.
A job's subprocess gets ``crawl_timeout`` seconds, then SIGTERM (Scrapy stops
cleanly and records the run as interrupted), then SIGKILL.

SIGTERM or SIGINT stops the scheduler: the running job's subprocess is asked to
stop the same way and waited for; every offer it stored is already committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import zoneinfo
from dataclasses import dataclass

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from crawler.config import Config, ConfigError
from crawler.triggers import make_trigger

logger = logging.getLogger("veille.scheduler")

# Seconds a stopped subprocess gets to finish cleanly before it is killed.
STOP_GRACE = 60.0


@dataclass
class JobSpec:
    id: str
    description: str
    trigger: BaseTrigger
    command: list[str]


def veille_command(config: Config, *args: str) -> list[str]:
    command = [sys.executable, "-m", "cli"]
    if config.source_path:
        command += ["--config", str(config.source_path)]
    return command + list(args)


def digest_triggers(config: Config) -> dict[str, CronTrigger]:
    """One trigger per digest time of the subscriptions ("daily 08:00", "weekly mon 08:00",
    always Paris time), shared by the subscriptions that have the same."""
    from alerts.schedule import parse_mode
    from alerts.settings import WEB_DIGEST_MODES
    from storage.clock import PARIS

    triggers = {}
    # The web pages' digest rhythms, once web subscribers can be written to.
    web_modes = list(WEB_DIGEST_MODES) if config.web.smtp_url else []
    for text in [subscription.mode for subscription in config.subscriptions] + web_modes:
        mode = parse_mode(text)
        if mode.is_digest and str(mode) not in triggers:
            weekday = {"day_of_week": mode.weekday} if mode.kind == "weekly" else {}
            triggers[str(mode)] = CronTrigger(hour=mode.at.hour, minute=mode.at.minute, timezone=PARIS, **weekday)
    return triggers


def build_jobs(config: Config, sources: list[str]) -> list[JobSpec]:
    """The scheduler's jobs; a schedule naming a source veille does not have is a config error."""
    timezone = zoneinfo.ZoneInfo(config.schedule.timezone)
    for key, configured in (("sources", config.schedule.sources), ("full_sources", config.schedule.full_sources)):
        unknown = sorted(set(configured) - set(sources))
        if unknown:
            raise ConfigError(f"schedule.{key}.{unknown[0]}: unknown source (sources: {', '.join(sources)})")
    jobs = []
    sites = [site.name for site in config.sources.site]
    for source, specs in config.schedule.source_triggers(sites).items():
        if source in sources and specs:
            jobs.append(
                JobSpec(
                    f"crawl:{source}",
                    f"crawl {source} ({' | '.join(specs)})",
                    make_trigger(specs, timezone),
                    veille_command(config, "run", source),
                )
            )
    for source, specs in config.schedule.full_triggers().items():
        if source in sources and specs:
            jobs.append(
                JobSpec(
                    f"full:{source}",
                    f"full crawl {source} ({' | '.join(specs)})",
                    make_trigger(specs, timezone),
                    veille_command(config, "run", source, "--full"),
                )
            )
    for mode, trigger in digest_triggers(config).items():
        jobs.append(
            JobSpec(f"digest:{mode}", f"digests ({mode}, Europe/Paris)", trigger, veille_command(config, "alert"))
        )
    return jobs


def unscheduled_sources(config: Config, sources: list[str]) -> list[str]:
    """The sources no crawl job runs (``[]`` in ``[schedule.sources]``): never crawled by the scheduler."""
    crawled = {job.id.removeprefix("crawl:") for job in build_jobs(config, sources) if job.id.startswith("crawl:")}
    return [source for source in sources if source not in crawled]


def next_run_times(jobs: list[JobSpec], now: dt.datetime | None = None) -> list[tuple[JobSpec, dt.datetime | None]]:
    now = now or dt.datetime.now(dt.UTC)
    return [(job, job.trigger.get_next_fire_time(None, now)) for job in jobs]


class Runner:
    """Runs one job's subprocess at a time, with a time limit, and stops it on request."""

    def __init__(self, timeout: float, grace: float = STOP_GRACE):
        self.timeout = timeout
        self.grace = grace
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def run(self, job: JobSpec) -> int | None:
        if self.stopping.is_set():
            return None
        started = time.monotonic()
        logger.info("%s: starting", job.description)
        # A session of its own: Ctrl-C on the scheduler's terminal must not hit the
        # crawl directly; the scheduler decides how it stops.
        process = subprocess.Popen(job.command, start_new_session=True)
        with self._lock:
            self._process = process
        try:
            code = process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            logger.error("%s: still running after %.0fs, stopping it", job.description, self.timeout)
            code = self._stop(process)
        finally:
            with self._lock:
                self._process = None
        logger.info("%s: exit code %s after %.0fs", job.description, code, time.monotonic() - started)
        return code

    def _stop(self, process: subprocess.Popen) -> int:
        """SIGTERM (Scrapy finishes cleanly), then SIGKILL after the grace period."""
        try:
            os.killpg(process.pid, signal.SIGTERM)
            return process.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            logger.error("crawl did not stop within %.0fs, killing it", self.grace)
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()
        except ProcessLookupError:
            return process.wait()

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            process = self._process
        if process and process.poll() is None:
            threading.Thread(target=self._stop, args=(process,), daemon=True).start()


def run_scheduler(config: Config, sources: list[str]) -> int:
    """Run until SIGTERM/SIGINT; the exit code."""
    jobs = build_jobs(config, sources)
    if not jobs:
        raise ConfigError("schedule.sources: no source to schedule")
    runner = Runner(config.schedule.crawl_timeout)
    scheduler = BackgroundScheduler(
        timezone=zoneinfo.ZoneInfo(config.schedule.timezone),
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": config.schedule.misfire_grace_time},
    )
    for job in jobs:
        scheduler.add_job(runner.run, job.trigger, args=[job], id=job.id, name=job.description)
    stop_requested = threading.Event()

    def request_stop(signum, frame):
        logger.info("received %s: stopping", signal.Signals(signum).name)
        runner.stop()
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler.start()
    for job, when in next_run_times(jobs):
        logger.info(
            "scheduled: %s, next at %s", job.description, when.isoformat(timespec="seconds") if when else "never"
        )
    while not stop_requested.wait(1.0):
        pass
    # Waits for the running job, whose subprocess was asked to stop.
    scheduler.shutdown(wait=True)
    logger.info("stopped")
    return 0
