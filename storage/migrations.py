"""The schema, as an ordered list of migrations (sqlite-utils' own mechanism).

Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("veille")

OFFER_CONTENT_COLUMNS = {
    "url": str,
    "title": str,
    "employer": str,
    "organisation": str,
    "versant": str,
    "category": str,
    "contract": str,
    "location": str,
    "department": str,
    "region": str,
    "remote": str,
    "published_on": str,
    "deadline": str,
    "vacancy_date": str,
    "domain": str,
    "missions": str,
    "profile": str,
    "contacts": str,  # JSON list
    "apply_url": str,
    "raw": str,  # JSON object
}


@migrations()
def m001_offers_versions_runs(db: Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "source": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | failed
            "reason": str,  # Scrapy's finish reason, or why the run failed
            "pages": int,
            "items": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "dropped": int,
            "errors": str,  # JSON {error class: count}
            "error_samples": str,  # JSON [{class, url, message}], a few per class
            "options": str,  # JSON, e.g. {"full": true}
            "pid": int,
        },
        pk="id",
        not_null={"source", "started_at", "status"},
    )
    db["runs"].create_index(["source", "started_at"])

    db["offers"].create(
        {
            "source": str,
            "source_id": str,
            **OFFER_CONTENT_COLUMNS,
            "content_hash": str,
            "first_seen": str,
            "last_seen": str,
            "updated_at": str,
            "first_run_id": int,
            "last_run_id": int,
        },
        pk=("source", "source_id"),
        not_null={"url", "title", "content_hash", "first_seen", "last_seen"},
    )
    db["offers"].create_index(["first_seen"])
    db["offers"].create_index(["published_on"])
    # Accent-insensitive: "numerique" finds "numérique".
    fts_columns = ["title", "employer", "organisation", "missions", "profile"]
    db["offers"].enable_fts(fts_columns, tokenize="unicode61 remove_diacritics 2", create_triggers=True)
    # sqlite-utils' update trigger fires on any update; every crawl touches
    # last_seen of every known offer, so re-index only when indexed text changes.
    columns = ", ".join(f'"{name}"' for name in fts_columns)
    old_values = ", ".join(f'old."{name}"' for name in fts_columns)
    new_values = ", ".join(f'new."{name}"' for name in fts_columns)
    db.execute('DROP TRIGGER "offers_au"')
    db.execute(
        f"""CREATE TRIGGER "offers_au" AFTER UPDATE OF {columns} ON "offers" BEGIN
  INSERT INTO "offers_fts" ("offers_fts", rowid, {columns}) VALUES('delete', old.rowid, {old_values});
  INSERT INTO "offers_fts" (rowid, {columns}) VALUES (new.rowid, {new_values});
END"""
    )

    db["offer_versions"].create(
        {
            "id": int,
            "source": str,
            "source_id": str,
            "run_id": int,
            "seen_at": str,
            "content_hash": str,
            "changes": str,  # JSON {field: [old, new]}
        },
        pk="id",
    )
    db["offer_versions"].create_index(["source", "source_id"])


@migrations()
def m002_jorf_archives(db: Database) -> None:
    # The JORF ledger: one row per DILA archive (or PISTE issue) the spider tried to
    # read. An archive is "processed" only once its notices are stored; a broken one
    # stays "error" and is read again next run, until it is given up on.
    db["jorf_archives"].create(
        {
            "name": str,  # JORFSIMPLE_20260612-205512.tar.gz, or a JORFCONT id in PISTE mode
            "kind": str,  # dila_archive | piste_issue
            "date": str,  # ISO date of the delivery (archive name) or of the issue
            "url": str,
            "size": int,  # bytes downloaded
            "status": str,  # processed | error | given_up
            "texts_seen": int,
            "notices_found": int,
            "attempts": int,
            "first_tried_at": str,
            "processed_at": str,
            "last_error": str,
            "run_id": int,
        },
        pk="name",
        not_null={"kind", "status", "attempts", "first_tried_at"},
    )
    db["jorf_archives"].create_index(["kind", "date"])
    # A later notice that cancels or replaces an earlier offer ("le présent avis annule
    # et remplace l'avis publié au Journal officiel du …"). Kept apart from the offers
    # so that re-crawling the earlier offer never undoes it.
    db["superseded_offers"].create(
        {
            "source": str,
            "source_id": str,  # the earlier offer
            "superseded_by": str,  # source_id of the later notice
            "relation": str,  # cancelled | replaced
            "evidence": str,  # the sentence that says so
            "recorded_at": str,
            "run_id": int,
        },
        pk=("source", "source_id", "superseded_by"),
        not_null={"relation", "recorded_at"},
    )


@migrations()
def m003_alerts(db: Database) -> None:
    """The alert outbox and each subscription's dispatch state (see alerts/)."""
    # Per subscription: how far matching has gone and which digest slot was last served.
    db.execute(
        """CREATE TABLE alert_subscriptions (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    -- Position (offers.rowid today) of the last unit this subscription was matched against.
    matched_through INTEGER NOT NULL,
    matched_at TEXT,
    -- The last digest slot (UTC ISO) whose alerts were released; NULL for immediate.
    digest_served_through TEXT,
    last_sent_at TEXT
)"""
    )
    # One row per alert to deliver: what matched (the unit), for whom, on which channel.
    db.execute(
        """CREATE TABLE alert_outbox (
    id INTEGER PRIMARY KEY,
    subscription TEXT NOT NULL,
    -- The alerted unit: 'offer:<source>:<source_id>' today; a job key once offers are grouped.
    unit TEXT NOT NULL,
    -- The channel's apprise URL with secrets masked and no options (alerts.channels.channel_key).
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    reasons TEXT,
    created_at TEXT NOT NULL,
    -- When the alert may go out: set at once for immediate, at the digest slot otherwise.
    released_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    -- The delivery that sent it, or is sending it.
    delivery_id INTEGER,
    sent_at TEXT,
    UNIQUE (subscription, unit, channel)
)"""
    )
    db.execute("CREATE INDEX alert_outbox_due ON alert_outbox (status, subscription, channel, next_attempt_at)")
    # One row per message handed to apprise: 'sending' until apprise answers. A
    # 'sending' row whose process died is the one message that may have gone
    # out twice.
    db.execute(
        """CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    subscription TEXT NOT NULL,
    channel TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'interrupted')),
    alerts INTEGER NOT NULL,
    error TEXT,
    pid INTEGER
)"""
    )


@migrations()
def m004_health(db: Database) -> None:
    # Share of each run's offers that had each field filled: a selector that
    # breaks shows as a field whose coverage collapses.
    db["runs"].add_column("field_coverage", str)  # JSON {field: 0.0-1.0}
    db["source_health"].create(
        {
            "source": str,
            "state": str,  # ok | failing
            "problem": str,  # what is wrong, in French (it goes to the admin channel)
            "failing_since": str,
            "failing_since_run_id": int,  # the first run of the current failing streak
            "consecutive_failures": int,
            "alerted_at": str,  # when the admin channel was told; null = not yet
            "last_run_id": int,
        },
        pk="source",
    )


@migrations()
def m005_jobs(db: Database) -> None:
    """Jobs (one post, however many boards publish it: storage/jobs.py) and the lifecycle's
    complete crawls."""
    db.execute(
        """CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    -- What alerts follow (alerts.units.JobUnits): handed out from one counter when the job is
    -- created or an offer joins it, so it grows in commit order.
    position INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- The earlier job this one re-posts: the same post, a new reference, after that job closed.
    reposted_from INTEGER,
    -- Merged into that job (by hand, or a JO notice replacing another): this job has no offer left.
    merged_into INTEGER
)"""
    )
    # Each offer's job, and what grouping compares (storage.grouping.Profile). An explicit
    # integer key, so that job_keys, job_blocks and job_decisions survive a VACUUM.
    db.execute(
        """CREATE TABLE job_offers (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    board TEXT NOT NULL,
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    employers TEXT,
    department TEXT,
    regions TEXT,
    day INTEGER NOT NULL,
    -- The offer's deadline: whether it may be closed, without reading the offer.
    deadline TEXT,
    -- Why the offer is in its job, in words (`veille jobs show`).
    reason TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    UNIQUE (source, source_id)
)"""
    )
    db.execute("CREATE INDEX job_offers_job ON job_offers (job_id)")
    # Evidence keys (64-bit hashes of storage.grouping.stored_keys): references, URLs, cited notices.
    db.execute(
        """CREATE TABLE job_keys (
    key INTEGER NOT NULL,
    member INTEGER NOT NULL,
    PRIMARY KEY (key, member)
) WITHOUT ROWID"""
    )
    # Title blocks: only offers sharing one are compared. By département ('' for none: offers of two
    # départements are never one job), board (hashed) then day, so a lookup reads the other boards'
    # offers of its département and date window (the same job?) and, through the deadline index, the
    # same board's offers whose deadline passed lately (a re-post?), and nothing else.
    db.execute(
        """CREATE TABLE job_blocks (
    key INTEGER NOT NULL,
    department TEXT NOT NULL,
    board INTEGER NOT NULL,
    day INTEGER NOT NULL,
    member INTEGER NOT NULL,
    source INTEGER NOT NULL,
    deadline INTEGER,
    PRIMARY KEY (key, department, board, day, member)
) WITHOUT ROWID"""
    )
    db.execute(
        "CREATE INDEX job_blocks_deadline ON job_blocks (key, department, board, deadline) WHERE deadline IS NOT NULL"
    )
    # The boards job_blocks holds, and whether any of their offers has a deadline: a lookup does not
    # search for other boards' offers, or for offers closed by their deadline, where there are none.
    db.execute(
        "CREATE TABLE job_boards (board INTEGER PRIMARY KEY, name TEXT NOT NULL, deadlines INTEGER NOT NULL DEFAULT 0)"
    )
    # Hand corrections: two offers kept apart (a split) or put together (a merge).
    db.execute(
        """CREATE TABLE job_decisions (
    member_a INTEGER NOT NULL,
    member_b INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('apart', 'together')),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (member_a, member_b)
)"""
    )
    # A run that finished ok and read its source's whole listing (storage/lifecycle.py).
    db["runs"].add_column("complete", int)
    db.execute("CREATE INDEX runs_complete ON runs (source, id) WHERE complete = 1")
    # The offers already stored are grouped by today's grouping code, not here: a migration is
    # a frozen step. storage.open_db does it right after this migration (storage/__init__.py).


@migrations()
def m006_status_and_views(db: Database) -> None:
    """What datasette and sqlite-utils users read without the code: each offer's and job's status
    as columns (kept current by storage.lifecycle.refresh_status), and two views."""
    for table in ("offers", "jobs"):
        db[table].add_column("status", str)  # open | closed (jobs: merged too)
        db[table].add_column("closed_reason", str)  # deadline, cancelled, replaced, missing (comma-separated)
        db[table].add_column("status_since", str)  # UTC moment veille saw the status change
    db.execute("CREATE INDEX offers_status ON offers (status)")
    db.execute("CREATE INDEX jobs_status ON jobs (status)")
    # Which jobs are open, where, since when, on which boards, and to whom they were alerted.
    db.execute(
        """CREATE VIEW open_jobs AS
SELECT jobs.id AS job,
  (SELECT o.title FROM job_offers m JOIN offers o ON o.source = m.source AND o.source_id = m.source_id
   WHERE m.job_id = jobs.id ORDER BY o.status = 'open' DESC, m.id LIMIT 1) AS title,
  (SELECT o.employer FROM job_offers m JOIN offers o ON o.source = m.source AND o.source_id = m.source_id
   WHERE m.job_id = jobs.id AND o.employer IS NOT NULL ORDER BY o.status = 'open' DESC, m.id LIMIT 1) AS employer,
  (SELECT coalesce(o.location, o.department) FROM job_offers m JOIN offers o
   ON o.source = m.source AND o.source_id = m.source_id
   WHERE m.job_id = jobs.id AND coalesce(o.location, o.department) IS NOT NULL
   ORDER BY o.status = 'open' DESC, m.id LIMIT 1) AS place,
  (SELECT max(o.department) FROM job_offers m JOIN offers o ON o.source = m.source AND o.source_id = m.source_id
   WHERE m.job_id = jobs.id) AS department,
  (SELECT max(o.deadline) FROM job_offers m JOIN offers o ON o.source = m.source AND o.source_id = m.source_id
   WHERE m.job_id = jobs.id AND o.status = 'open') AS deadline,
  (SELECT min(coalesce(o.published_on, substr(o.first_seen, 1, 10))) FROM job_offers m JOIN offers o
   ON o.source = m.source AND o.source_id = m.source_id WHERE m.job_id = jobs.id) AS published_on,
  jobs.created_at AS first_seen,
  (SELECT group_concat(board, ', ') FROM (SELECT DISTINCT m.board FROM job_offers m WHERE m.job_id = jobs.id))
    AS boards,
  (SELECT group_concat(url, ' ') FROM (SELECT o.url FROM job_offers m JOIN offers o
   ON o.source = m.source AND o.source_id = m.source_id WHERE m.job_id = jobs.id AND o.status = 'open' ORDER BY m.id))
    AS links,
  (SELECT count(*) FROM job_offers m WHERE m.job_id = jobs.id) AS offers,
  (SELECT group_concat(subscription, ', ') FROM (SELECT DISTINCT a.subscription FROM alert_outbox a
   WHERE a.unit = 'job:' || jobs.id AND a.status = 'sent')) AS alerted_to,
  jobs.status_since AS open_since
FROM jobs WHERE jobs.status = 'open'"""
    )
    # Every alert a channel accepted: which job, to which subscription and channel (secrets masked), when.
    db.execute(
        """CREATE VIEW alerts_sent AS
SELECT a.sent_at, a.subscription, a.channel,
  CAST(substr(a.unit, 5) AS INTEGER) AS job,
  (SELECT o.title FROM job_offers m JOIN offers o ON o.source = m.source AND o.source_id = m.source_id
   WHERE m.job_id = CAST(substr(a.unit, 5) AS INTEGER) ORDER BY m.id LIMIT 1) AS title,
  a.reasons, a.attempts
FROM alert_outbox a WHERE a.status = 'sent' AND a.unit LIKE 'job:%'"""
    )


@migrations()
def m007_web_subscriptions(db: Database) -> None:
    """Subscriptions made by job seekers on the web pages (web/), the rate limits of those pages,
    and what people say of the offers they were sent."""
    # One row per alert a person asked for with their e-mail address. Its alerts go through the
    # same outbox as veille.toml's, under the name 'web:<id>'; deleting it erases them too.
    db.execute(
        """CREATE TABLE web_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    -- What to watch, JSON: {"profile": bool, "keywords": [], "departements": [], "regions": [], "categories": []}.
    filters TEXT NOT NULL,
    -- immediate | daily HH:MM | weekly mon HH:MM (alerts.schedule).
    mode TEXT NOT NULL,
    -- newest | deadline: the order of the offers in a message.
    sort TEXT NOT NULL DEFAULT 'newest',
    -- Offers published longer ago than this are never sent as new.
    max_age_days INTEGER NOT NULL DEFAULT 60,
    -- pending until the confirmation link is followed; disabled by the operator.
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'paused', 'disabled')),
    -- Signed into every link of the subscription: a link never works for another subscription.
    link_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    updated_at TEXT NOT NULL
)"""
    )
    db.execute("CREATE INDEX web_subscriptions_status ON web_subscriptions (status)")
    # « Offres » filters offers by place and category, newest first (storage/job_search.py).
    db.execute("CREATE INDEX offers_department_published ON offers (department, published_on)")
    db.execute("CREATE INDEX offers_region_published ON offers (region, published_on)")
    db.execute("CREATE INDEX offers_category_published ON offers (category, published_on)")
    # Fixed-window counters: hits of one key (an HMAC of an IP or an address, never the value) in one window.
    db.execute(
        """CREATE TABLE web_rate_limits (
    key TEXT NOT NULL,
    window_start TEXT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID"""
    )
    # « pertinente / pas pertinente », per subscription and alerted unit (the latest word counts).
    db.execute(
        """CREATE TABLE alert_feedback (
    subscription TEXT NOT NULL,
    unit TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('relevant', 'not_relevant')),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (subscription, unit)
)"""
    )


@migrations()
def m008_offer_salary(db: Database) -> None:
    # What the offer says it pays (JSON-LD baseSalary, CSP « Rémunération »), as the page words it.
    db.execute("ALTER TABLE offers ADD COLUMN salary TEXT")


# Columns added after m001 (m001 creates exactly OFFER_CONTENT_COLUMNS, frozen) and m008 (salary).
LATER_OFFER_COLUMNS = {
    "employer_kind": str,  # the kind of employer a board gives ("Conseils départementaux"), not its name
    "origin_url": str,  # the offer on the board it comes from (a CSP copy of an emploi-territorial.fr offer)
}


@migrations()
def m009_offer_origin_and_employer_kind(db: Database) -> None:
    """Two offer fields of their own: the kind of employer, and the link to the offer's origin."""
    for name, kind in LATER_OFFER_COLUMNS.items():
        db["offers"].add_column(name, kind)


@migrations()
def m010_relevance(db: Database) -> None:
    """Each offer's relevance score (alerts/relevance.py). What people say of an offer they were sent
    (« pertinente » / « pas pertinente ») is m007's alert_feedback, whoever writes it."""
    # The score, the version of the model that computed it and the content_hash it was computed from:
    # a score whose model or content differs is stale and computed again (storage/relevance.py).
    db.execute("ALTER TABLE offers ADD COLUMN relevance REAL")
    db.execute("ALTER TABLE offers ADD COLUMN relevance_model TEXT")
    db.execute("ALTER TABLE offers ADD COLUMN relevance_hash TEXT")
    db.execute("CREATE INDEX offers_relevance ON offers (relevance)")


@migrations()
def m011_unread_offers_listed_owners(db: Database) -> None:
    """Offer pages to read again (storage/unread.py), the offers each run saw listed (how complete a
    listing is), and who runs a crawl or sends a delivery (storage/owners.py)."""
    # An offer page that failed, read again by the next runs of its source until its offer is stored.
    db.execute(
        """CREATE TABLE unread_offers (
    source TEXT NOT NULL,
    -- The page as it was requested, and the spider method and arguments that read it.
    url TEXT NOT NULL,
    callback TEXT NOT NULL,
    cb_kwargs TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'given_up')),
    first_failed_at TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    run_id INTEGER,
    PRIMARY KEY (source, url)
)"""
    )
    # How many distinct offers the run's listing pages showed (known or new).
    db["runs"].add_column("listed", int)
    # The process's identity (boot, pid, a random run id): a pid alone is reused, by a container's
    # PID 1 on every start for one.
    db["runs"].add_column("owner", str)
    db["alert_deliveries"].add_column("owner", str)
