"""A dispatch: match what is new against every subscription, then deliver what is due.

:func:`dispatch` is what ``veille alert`` runs and what a scheduler calls after
every crawl and at digest times; :func:`next_due` says when each subscription
next has something to send. Both take ``now`` so that time can be fixed in tests.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field

from sqlite_utils import Database

from alerts.channels import channel_key, legacy_channel_key
from alerts.feedback import Likeness, load_feedback
from alerts.masking import scrub
from alerts.matching import OfferIndex, Rule
from alerts.relevance import load_model, refresh_scores
from alerts.render import Item, render
from alerts.schedule import parse_mode
from alerts.settings import AlertsConfig, Subscription
from alerts.targets import Served, served
from alerts.units import JobUnits, Unit
from storage import clock, outbox, web_subscriptions
from storage.jobs import group_ungrouped

# Alerts listed in one message at most; more go in several messages ("1/3", ...).
# Keeps Slack under its size limit and bounds what one interrupted send can duplicate.
MAX_PER_MESSAGE = 50


@dataclass
class ChannelFailure:
    channel: str
    error: str
    alerts: int
    next_attempt_at: dt.datetime | None


@dataclass
class SubscriptionReport:
    name: str
    mode: str
    matched: int = 0  # units that newly matched in this dispatch
    queued: int = 0  # outbox rows created (units x channels)
    sent: int = 0  # alerts delivered (units x channels)
    messages: int = 0
    due: bool = True  # False: a digest whose slot has not come
    failures: list[ChannelFailure] = field(default_factory=list)
    pending: int = 0  # still waiting after this dispatch (digest, backoff)
    next_due: dt.datetime | None = None
    would_send: list[str] = field(default_factory=list)  # dry run: unit keys that match


@dataclass
class DispatchReport:
    subscriptions: list[SubscriptionReport]
    interrupted: int = 0  # deliveries found cut short (each may have duplicated one message)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not any(report.failures for report in self.subscriptions)


class UnknownSubscription(ValueError):
    pass


def _selected(db: Database, config: AlertsConfig, only: list[str] | None) -> list[Served]:
    """The subscriptions to serve: veille.toml's and the active web ones, or those named."""
    everything = served(db, config)
    if not only:
        return everything
    by_name = {item.name: item for item in everything}
    selected = []
    for name in only:
        if name in by_name:
            selected.append(by_name[name])
        elif web_subscriptions.parse_name(name) is not None:
            raise UnknownSubscription(f"no active web subscription {name!r}")
        else:
            config.subscription(name)  # an unknown name: the configuration's error, naming the known ones
    return selected


def _rules(subscriptions: list[Subscription]) -> list[Rule]:
    return [Rule.from_subscription(subscription) for subscription in subscriptions]


def find_matches(
    db: Database,
    subscriptions: list[Subscription],
    *,
    units=None,
    now: dt.datetime,
    backfill: bool = False,
    register: bool = True,
) -> tuple[int, dict[str, list[tuple[Unit, list]]]]:
    """Units new to each subscription that it matches, with the reasons.

    A subscription seen for the first time starts at the current position (no
    back catalogue) unless ``backfill``, which matches every stored open unit.
    A unit already queued for a subscription is left out: a job matched again
    because it gained an offer on another board is not news to it.
    Returns the position matched through and the matches by subscription.
    """
    units = units or JobUnits()
    through = units.high_water(db)
    states = outbox.subscription_states(db)
    starts = {}
    for subscription in subscriptions:
        state = states.get(subscription.name)
        if state is None and register:
            mode = parse_mode(subscription.mode)
            outbox.register(
                db,
                subscription.name,
                matched_through=0 if backfill else through,
                now=now,
                digest_slot=mode.last_slot(now),
            )
        starts[subscription.name] = 0 if backfill else (state["matched_through"] if state else through)
    lowest = min(starts.values(), default=through)
    if lowest >= through:
        return through, {subscription.name: [] for subscription in subscriptions}
    batch = units.between(db, lowest, through, today=clock.paris_day(now))
    positions = [unit.position for unit in batch]
    index = OfferIndex(unit.document for unit in batch)
    model = load_model()
    feedback = load_feedback(db, [subscription.name for subscription in subscriptions], model)
    likeness = Likeness(index.offers, model)
    matches = {}
    for subscription, rule in zip(subscriptions, _rules(subscriptions)):
        # Only the units after this subscription's own mark: a suffix of the batch.
        skip = bisect.bisect_right(positions, starts[subscription.name])
        liked = disliked = 0
        like_of: dict[int, str] = {}
        if subscription.name in feedback:
            liked, disliked, like_of = likeness.adjust(feedback[subscription.name], range(skip, len(batch)))
        bits = rule.bits(index, liked=liked, disliked=disliked) & ~((1 << skip) - 1)
        found = []
        while bits:
            low = bits & -bits
            position = low.bit_length() - 1
            reasons = rule.reasons(index, position)
            if position in like_of:
                reasons.append({"like": like_of[position]})
            found.append((batch[position], reasons))
            bits ^= low
        oldest = (clock.paris_day(now) - dt.timedelta(days=subscription.max_age_days)).isoformat()
        found = [(unit, reasons) for unit, reasons in found if not unit.published_on or unit.published_on >= oldest]
        if found:
            known = units.alerted(db, subscription.name, [unit.key for unit, _ in found])
            found = [(unit, reasons) for unit, reasons in found if unit.key not in known]
        matches[subscription.name] = found
    return through, matches


def _release_if_due(db: Database, subscription: Subscription, state: dict | None, now: dt.datetime) -> bool:
    """Release the pending alerts of an immediate subscription, or of a digest whose slot came."""
    mode = parse_mode(subscription.mode)
    if not mode.is_digest:
        outbox.release(db, subscription.name, now)
        return True
    slot = mode.last_slot(now)
    served = state.get("digest_served_through") if state else None
    if served is None:
        # Newly a digest: its first period starts now.
        outbox.set_digest_mark(db, subscription.name, slot)
        return False
    if slot > dt.datetime.fromisoformat(served):
        outbox.release(db, subscription.name, now, digest_slot=slot)
        return True
    return False


def _message(target: Served, channel, mode, views: dict, rows: list, *, part: int, parts: int):
    items = [Item(views[row.unit], row.reasons) for row in rows]
    return render(
        target.name,
        mode,
        items,
        part=part,
        parts=parts,
        links=target.links,
        sort=target.subscription.sort,
        spell_out_urls=channel.spell_out_urls,
    )


def _deliver(
    db: Database,
    config: AlertsConfig,
    target: Served,
    report: SubscriptionReport,
    *,
    units,
    now: dt.datetime,
) -> None:
    subscription = target.subscription
    mode = parse_mode(subscription.mode)
    for channel in target.targets:
        key, body_format, limit = channel.key, channel.format, channel.limit
        remaining = outbox.count_due(db, subscription.name, key, now)
        per_message = MAX_PER_MESSAGE
        part, parts = 0, math.ceil(remaining / per_message)
        while remaining > 0:
            claimed = outbox.claim(db, subscription.name, key, now, per_message)
            if claimed is None:
                break
            delivery_id, rows = claimed
            part += 1
            try:
                views = units.views(db, [row.unit for row in rows], today=clock.paris_day(now))
                gone = [row for row in rows if row.unit not in views]
                if gone:
                    outbox.abandon(db, gone, "the job is no longer stored", now)
                    rows = [row for row in rows if row.unit in views]
                    remaining -= len(gone)
                if not rows:
                    outbox.finish(db, delivery_id, [], ok=True, error=None, now=now, **_policy(config))
                    part -= 1
                    continue
                message = _message(target, channel, mode, views, rows, part=part, parts=parts)
                # A service with a small limit (Discord, SMS...) gets fewer offers a message.
                while len(message.bodies()[body_format]) > limit and len(rows) > 1:
                    keep = max(1, len(rows) // 2)
                    outbox.unclaim(db, delivery_id, rows[keep:])
                    rows, per_message = rows[:keep], keep
                    parts = part + math.ceil((remaining - keep) / per_message)
                    message = _message(target, channel, mode, views, rows, part=part, parts=parts)
                result = channel.deliver(message)
            except Exception as error:  # never leave a delivery 'sending' in a live process
                outbox.finish(
                    db,
                    delivery_id,
                    rows,
                    ok=False,
                    error=scrub(f"{type(error).__name__}: {error}", *filter(None, [channel.url])),
                    now=now,
                    **_policy(config),
                )
                raise
            outbox.finish(
                db,
                delivery_id,
                rows,
                ok=result.ok,
                error=result.error,
                now=now,
                retry_after=clock.retry_after_seconds(result.retry_after, at=now),
                **_policy(config),
            )
            remaining -= len(rows)
            if result.ok:
                report.sent += len(rows)
                report.messages += 1
            else:
                retry = outbox.earliest_retry(db, subscription.name)
                report.failures.append(ChannelFailure(key, result.error or "failed", len(rows), retry))
                break  # the channel is down: its other parts wait for the retry too


def _forget_secrets(db: Database, subscriptions: list[Subscription]) -> None:
    """Rows written before tokens in URL paths were masked: keyed by a URL holding its token, maybe
    with errors quoting it. They get today's key and lose the secrets (nothing else changes)."""
    for subscription in subscriptions:
        for url in subscription.channels:
            legacy, key = legacy_channel_key(url), channel_key(url)
            if legacy != key:
                outbox.rename_channel(db, subscription.name, legacy, key)
            outbox.scrub_errors(db, subscription.name, key, lambda text, url=url: scrub(text, url))


def _policy(config: AlertsConfig) -> dict:
    return {
        "max_attempts": config.alerts.max_attempts,
        "retry_base": config.alerts.retry_base,
        "retry_max": config.alerts.retry_max,
    }


def dispatch(
    db: Database,
    config: AlertsConfig,
    *,
    now: dt.datetime | None = None,
    backfill: bool = False,
    dry_run: bool = False,
    only: list[str] | None = None,
    units=None,
) -> DispatchReport:
    """Match new units against the subscriptions, queue the alerts, send what is due.

    ``dry_run`` writes nothing and sends nothing: it reports what would be
    queued. ``only`` limits the dispatch to the named subscriptions.
    """
    now = now or clock.now()
    units = units or JobUnits()
    targets = _selected(db, config, only)
    subscriptions = [target.subscription for target in targets]
    if not dry_run:
        group_ungrouped(db, config.jobs.thresholds())  # every offer is alerted as part of a job
        _forget_secrets(db, subscriptions)
        refresh_scores(db)  # scores a new model or a changed offer made stale (a dry run computes them)
    reports = {s.name: SubscriptionReport(s.name, s.mode) for s in subscriptions}
    through, matches = find_matches(db, subscriptions, units=units, now=now, backfill=backfill, register=not dry_run)
    for subscription in subscriptions:
        reports[subscription.name].matched = len(matches[subscription.name])
    if dry_run:
        for subscription in subscriptions:
            reports[subscription.name].would_send = [unit.key for unit, _ in matches[subscription.name]]
        return DispatchReport(list(reports.values()), dry_run=True)

    alerts = [
        (target.name, unit.key, channel.key, reasons)
        for target in targets
        for unit, reasons in matches[target.name]
        for channel in target.targets
    ]
    outbox.record_matches(db, names=[s.name for s in subscriptions], through=through, alerts=alerts, now=now)
    for subscription in subscriptions:
        reports[subscription.name].queued = sum(1 for name, *_ in alerts if name == subscription.name)

    interrupted = outbox.recover_interrupted(db, now)
    states = outbox.subscription_states(db)
    for target in targets:
        report = reports[target.name]
        report.due = _release_if_due(db, target.subscription, states.get(target.name), now)
        _deliver(db, config, target, report, units=units, now=now)
    due = next_due(db, config, now, served_list=targets)
    for subscription in subscriptions:
        report = reports[subscription.name]
        report.pending = outbox.count_pending(db, subscription.name)
        report.next_due = due.get(subscription.name)
    return DispatchReport(list(reports.values()), interrupted=interrupted)


def next_due(
    db: Database,
    config: AlertsConfig,
    now: dt.datetime | None = None,
    *,
    names: list[str] | None = None,
    served_list: list[Served] | None = None,
) -> dict[str, dt.datetime | None]:
    """When each subscription next has something to send, for a scheduler.

    Immediate subscriptions: None unless a failed channel is waiting for its
    retry (they are otherwise served by the dispatch after each crawl). Digests:
    their next slot, or an earlier retry.
    """
    now = now or clock.now()
    states = outbox.subscription_states(db)
    due = {}
    for target in served_list if served_list is not None else _selected(db, config, names):
        subscription = target.subscription
        mode = parse_mode(subscription.mode)
        retry = outbox.earliest_retry(db, subscription.name)
        candidates = [retry] if retry else []
        if mode.is_digest:
            state = states.get(subscription.name) or {}
            served = state.get("digest_served_through")
            candidates.append(mode.next_slot(dt.datetime.fromisoformat(served) if served else now))
        due[subscription.name] = min(candidates) if candidates else None
    return due
