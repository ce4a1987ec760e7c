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


@migrations()
def m012_offer_ids_raw_apart(db: Database) -> None:
    """Offers get an explicit id (their rowid so far, which the full-text index and older alerts
    name), declare their runs as foreign keys, and leave ``raw`` to ``offer_raw``; shared texts of
    raw (``raw_texts``), the match keys index (``offer_keys``) and the storage's own state.

    A frozen step: raw moves as it is (plain JSON) and the match keys index starts empty; today's
    code compresses the one and fills the other in batches after it (storage/upkeep.py)."""
    conn = db.conn
    # Indexes and triggers of offers, and the views (which name it), made again as they were.
    saved = conn.execute(
        "select type, name, sql from sqlite_master where sql is not null "
        "and (type in ('index', 'trigger') and tbl_name = 'offers' or type = 'view') order by type = 'view', rowid"
    ).fetchall()
    for kind, name, _ in saved:
        if kind == "view":
            conn.execute(f'DROP VIEW "{name}"')
    columns = [column for column in conn.execute("pragma table_info(offers)").fetchall() if column[1] != "raw"]
    run_columns = {"first_run_id", "last_run_id"}
    definitions = ['"id" INTEGER PRIMARY KEY']
    for _, name, kind, not_null, default, _ in columns:
        definition = f'"{name}" {kind}'.rstrip()
        if not_null or name in ("source", "source_id"):
            definition += " NOT NULL"
        if default is not None:
            definition += f" DEFAULT {default}"
        if name in run_columns:
            definition += " REFERENCES runs (id)"
        definitions.append(definition)
    definitions.append("UNIQUE (source, source_id)")
    conn.execute('ALTER TABLE offers RENAME TO "offers_before_m012"')
    separator = ",\n    "
    conn.execute(f"CREATE TABLE offers (\n    {separator.join(definitions)}\n)")
    names = ", ".join(f'"{column[1]}"' for column in columns)
    # A run id that names no run (none is ever deleted) is no reference: it is left out.
    values = ", ".join(
        f'(select id from runs where id = old."{column[1]}")' if column[1] in run_columns else f'old."{column[1]}"'
        for column in columns
    )
    conn.execute(f'INSERT INTO offers (id, {names}) SELECT old.rowid, {values} FROM "offers_before_m012" old')
    # An offer's raw: plain JSON text, or a blob (storage/raw.py says which format).
    conn.execute(
        "CREATE TABLE offer_raw (\n    offer_id INTEGER PRIMARY KEY REFERENCES offers (id) ON DELETE CASCADE,\n"
        "    raw NOT NULL\n)"
    )
    conn.execute(
        'INSERT INTO offer_raw (offer_id, raw) SELECT rowid, raw FROM "offers_before_m012" '
        "WHERE raw IS NOT NULL AND raw NOT IN ('', '{}')"
    )
    conn.execute('DROP TABLE "offers_before_m012"')
    for _, _, sql in saved:
        conn.execute(sql)
    # The full-text index of the words as written, for datasette's search box: words only (no phrase,
    # no column), a fifth of its size with positions. veille's own searches use offer_keys.
    conn.execute("DROP TABLE offers_fts")
    conn.execute(
        "CREATE VIRTUAL TABLE offers_fts USING fts5(title, employer, organisation, missions, profile, "
        "content='offers', content_rowid='id', tokenize='unicode61 remove_diacritics 2', detail=none)"
    )
    conn.execute("INSERT INTO offers_fts (offers_fts) VALUES ('rebuild')")
    # Long texts of raw, once however many offers carry them (text, or a blob: storage/raw.py), found
    # by a digest of their text.
    conn.execute(
        "CREATE TABLE raw_texts (\n    id INTEGER PRIMARY KEY,\n    digest INTEGER NOT NULL UNIQUE,\n"
        "    text NOT NULL\n)"
    )
    # Each offer's searchable fields as match keys (storage/match_keys.py); no text stored.
    conn.execute(
        "CREATE VIRTUAL TABLE offer_keys USING fts5(title, employer, organisation, domain, missions, profile, "
        "location, contract, content='', tokenize=\"ascii tokenchars '|'\", columnsize=0)"
    )
    # What storage keeps for itself: how far batched conversions went (storage/upkeep.py).
    conn.execute("CREATE TABLE storage_state (\n    name TEXT PRIMARY KEY,\n    value\n)")
    conn.execute("INSERT INTO storage_state (name, value) VALUES ('raw_compressed_through', 0)")
    conn.execute("INSERT INTO storage_state (name, value) VALUES ('match_keys_through', 0)")


@migrations()
def m013_raw_once_small_keys(db: Database) -> None:
    """Each text stored once (storage/raw.py's format 3), board and source names as small integers in
    job_blocks, and two indexes no query uses.

    A frozen step: every raw is encoded again by today's code after it, in batches that each commit (the
    state m012 started, storage/upkeep.py), then the shared texts no raw refers to any more (a JO notice's
    text and HTML, now in its own raw) are removed."""
    conn = db.conn
    # Each board and source name once, with an id of its own: job_blocks holds ids of a byte or two where
    # 64-bit hashes of the names took eight each (five rows an offer, one for each of its title blocks).
    conn.execute("CREATE TABLE job_names (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL UNIQUE\n)")
    conn.execute(
        "INSERT INTO job_names (name) SELECT board FROM job_offers UNION SELECT source FROM job_offers "
        "UNION SELECT name FROM job_boards ORDER BY 1"
    )
    # A block's board and source are its member's (grouping writes them together); a block whose member is
    # gone is found by no lookup.
    conn.execute("DELETE FROM job_blocks WHERE member NOT IN (SELECT id FROM job_offers)")
    conn.execute(
        """UPDATE job_blocks SET
    board = (SELECT n.id FROM job_offers m JOIN job_names n ON n.name = m.board WHERE m.id = job_blocks.member),
    source = (SELECT n.id FROM job_offers m JOIN job_names n ON n.name = m.source WHERE m.id = job_blocks.member)"""
    )
    conn.execute('ALTER TABLE job_boards RENAME TO "job_boards_before_m013"')
    conn.execute(
        "CREATE TABLE job_boards (board INTEGER PRIMARY KEY REFERENCES job_names (id), name TEXT NOT NULL, "
        "deadlines INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute(
        "INSERT INTO job_boards (board, name, deadlines) SELECT n.id, old.name, max(old.deadlines) FROM "
        '"job_boards_before_m013" old JOIN job_names n ON n.name = old.name GROUP BY n.id'
    )
    conn.execute('DROP TABLE "job_boards_before_m013"')
    # No query reads offers by first_seen or status alone (listings order by the publication day, pages read
    # idx_offers_published_on and the place and category indexes; lifecycle updates status row by row).
    conn.execute("DROP INDEX IF EXISTS idx_offers_first_seen")
    conn.execute("DROP INDEX IF EXISTS offers_status")
    conn.execute("INSERT OR REPLACE INTO storage_state (name, value) VALUES ('raw_compressed_through', 0)")
    conn.execute("INSERT OR REPLACE INTO storage_state (name, value) VALUES ('raw_texts_unreferenced', 1)")
