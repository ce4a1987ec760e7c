"""Journal officiel (JORF): "avis de vacance d'emploi" as offers, from DILA's JORFSIMPLE open data
or, when client credentials are configured, from Légifrance's PISTE API.

The formats are read by ``crawler.jorf`` (its docstring describes them); this
spider only asks for the DILA index and its archives, or for the PISTE token,
issues and texts, and yields the offers. Every archive (or PISTE issue) read is
written in a ledger (``storage.archives``): it is downloaded once, and marked
processed only after its notices are stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections import deque

import scrapy
from scrapy import signals
from scrapy.http import JsonRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.errors import BAD_ARCHIVE, LAYOUT_CHANGED, SPIDER_EXCEPTION, classify_failure
from crawler.items import OfferItem
from crawler.jorf import piste as api
from crawler.jorf.archive import BadArchive, NoTableOfContents, read_archive
from crawler.jorf.batch import Batch
from crawler.jorf.index import ARCHIVE_WARNSIZE, archive_date, archive_names, archives_to_read
from crawler.jorf.notice import SOURCE, notice_offer
from crawler.jorf.superseding import supersede
from crawler.jorf.texts import notice_from_piste
from crawler.jorf.toc import issue_from_piste, notice_entries
from crawler.spider import VeilleSpider
from storage import archives
from storage.clock import paris_today
from storage.offers import get_offer
from storage.superseded import CANCELLED


def _json(response):
    """A response's JSON, None when it is not JSON."""
    try:
        return response.json()
    except (ValueError, AttributeError):  # AttributeError: not a text response
        return None


class JorfSpider(VeilleSpider):
    """Arguments: ``since=YYYY-MM-DD`` reads the archives (or issues) delivered since that date that
    are not yet processed; ``full=1`` reads them again even if they were. The setting
    ``JORF_INDEX_URL`` (``-s``) overrides ``[sources.jorf] index_url``."""

    name = "jorf"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source_config = spider.config.sources.jorf
        spider.index_url = crawler.settings.get("JORF_INDEX_URL") or spider.source_config.index_url
        spider.piste = spider.source_config.piste if spider.source_config.piste.enabled else None
        spider.batches = {}
        spider.queue = deque()
        spider.token = api.Token()
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_done, signal=signal)
        return spider

    def run_options(self) -> dict:
        where = {"api_url": self.piste.api_url} if self.piste else {"index_url": self.index_url}
        return {**super().run_options(), "mode": "piste" if self.piste else "dila", **where}

    def listing_complete(self) -> bool:
        # Archives are daily deltas: a notice missing from them is not gone. JO offers close
        # by their deadline or by a notice cancelling them, never by absence.
        return False

    async def start(self):
        if self.piste:
            for request in self._last_issues_request():
                yield request
        else:
            yield scrapy.Request(self.index_url, self.parse_index, errback=self.on_request_error, dont_filter=True)

    def _window_start(self, kind: str) -> str:
        """Read what was delivered since ``--since``, else since the oldest archive ever tried, else
        (the very first run) during the last ``first_run_days`` days."""
        first_run = paris_today() - dt.timedelta(days=self.source_config.first_run_days)
        return self.since or archives.earliest_date(self.db, kind) or first_run.isoformat()

    # -- batches and the ledger --------------------------------------------------------------

    def _batch_of(self, response) -> Batch | None:
        name = response.meta.get("jorf_batch") if response is not None and hasattr(response, "meta") else None
        return self.batches.get(name)

    def _item_done(self, item, response, spider, failure=None, exception=None, **kwargs):
        """An offer stored, dropped by validation (``exception``, from item_dropped), or that could not be
        stored (``failure``, from item_error)."""
        batch = self._batch_of(response)
        if batch:
            if failure is not None:
                batch.errors.append(f"an offer could not be stored: {failure.value}")
            if exception is not None:
                source_id = item.get("source_id") if isinstance(item, dict) else getattr(item, "source_id", None)
                batch.dropped.append(f"{source_id} dropped: {exception}")
            batch.pending_items -= 1
            self._settle(batch)

    def _part_done(self, batch: Batch) -> None:
        batch.open_parts -= 1
        self._settle(batch)

    def _settle(self, batch: Batch) -> None:
        if batch.settled or not batch.done:
            return
        batch.settled = True
        details = {"kind": batch.kind, "date": batch.date, "url": batch.url, "size": batch.size, "run_id": self.run_id}
        counts = {"texts_seen": batch.texts_seen, "notices_found": batch.notices_found}
        if batch.errors or batch.dropped:
            # A dropped notice is never given up on: it would be lost for good (its archive is not read again).
            error = "; ".join(batch.errors + batch.dropped)
            status = archives.record_failure(
                self.db, batch.name, error=error, give_up=not batch.dropped, **counts, **details
            )
            self.logger.warning("%s: not processed (%s), will be read again next run", batch.name, status)
        else:
            archives.record_processed(self.db, batch.name, **counts, **details)
            self.logger.info("%s: %d texts, %d notices", batch.name, batch.texts_seen, batch.notices_found)

    def _batch_error(self, batch: Batch, error_class: str, message: str, url: str | None) -> None:
        self.count_error(error_class, f"{batch.name}: {message}", url)
        batch.errors.append(message)

    def _guarded(self, batch: Batch, url: str, parts):
        """What ``parts`` yields for one archive or issue; a bug reading it is recorded as
        that batch's error instead of stopping the others."""
        try:
            yield from parts
        except Exception as error:
            self.logger.exception("reading %s failed", batch.name)
            self._batch_error(batch, SPIDER_EXCEPTION, f"{error.__class__.__name__}: {error}", url)
        finally:
            self._part_done(batch)

    def _record_failure(self, failure, kind: str, date: str | None) -> None:
        """An archive or issue that could not be downloaded, in the ledger."""
        error_class, message = classify_failure(failure)
        name, url = failure.request.meta["jorf_batch"], failure.request.url
        archives.record_failure(
            self.db, name, kind=kind, date=date, url=url, size=None, error=f"{error_class}: {message}",
            run_id=self.run_id,
        )  # fmt: skip

    def _offers(self, batch: Batch, notices):
        for notice, ministry in notices:
            offer = notice_offer(notice, ministry)
            batch.notices_found += 1
            reference = offer.raw.get("avis antérieur")
            if reference and reference["relation"] == CANCELLED:
                # A notice that only withdraws an earlier one is no offer: it closes that one.
                self._record_superseded(offer, reference)
                continue
            batch.pending_items += 1
            yield offer
            if reference:
                self._record_superseded(offer, reference)

    def _record_superseded(self, offer: OfferItem, reference: dict) -> None:
        if supersede(self.db, offer, reference, self.run_id) is None:
            relation, phrase = reference["relation"], reference["phrase"]
            self.logger.warning("%s %s an earlier notice that is not stored: %s", offer.source_id, relation, phrase)

    # -- DILA archives -----------------------------------------------------------------------

    def parse_index(self, response):
        names = archive_names(response.xpath("//a/@href").getall())
        if not names:
            self.layout_changed("the index links to no JORFSIMPLE_YYYYMMDD-HHMMSS.tar.gz archive", response)
            return
        start = self._window_start(archives.DILA_ARCHIVE)
        settled = set() if self.full else archives.settled_names(self.db, archives.DILA_ARCHIVE)
        todo, older = archives_to_read(names, start, settled)
        self.logger.info(
            "index: %d archives, %d to read, %d already processed, %d before %s not read (see --since)",
            len(names), len(todo), len(names) - len(todo) - len(older), len(older), start,
        )  # fmt: skip
        self.queue.extend((name, response.urljoin(name)) for name in todo)
        yield from self._next_archive()

    def _next_archive(self):
        """One archive at a time, in delivery order: a notice replacing another is read after it."""
        if self.queue:
            name, url = self.queue.popleft()
            meta = {"jorf_batch": name, "download_warnsize": ARCHIVE_WARNSIZE}
            yield scrapy.Request(url, self.parse_archive, errback=self.archive_failed, meta=meta, dont_filter=True)

    def parse_archive(self, response):
        name = response.meta["jorf_batch"]
        batch = Batch(name, archives.DILA_ARCHIVE, archive_date(name), response.url, len(response.body))
        self.batches[name] = batch
        yield from self._guarded(batch, response.url, self._archive_offers(batch, response))
        yield from self._next_archive()

    def _archive_offers(self, batch: Batch, response):
        try:
            contents = read_archive(response.body, self.source_config.include_concours)
        except BadArchive as error:
            # An archive without tables of contents is how a new delivery format would look: at once.
            error_class = LAYOUT_CHANGED if isinstance(error, NoTableOfContents) else BAD_ARCHIVE
            self._batch_error(batch, error_class, str(error), response.url)
            return
        batch.texts_seen = contents.texts_seen
        unknown = [text_id for text_id in contents.missing if not get_offer(self.db, SOURCE, text_id)]
        if unknown and not contents.texts_seen:
            # Tables of contents list vacancies yet no text file came: texts are no longer where we look.
            message = f"{batch.name}: {len(unknown)} vacancies listed but no JORFTEXT file in the archive"
            self.count_error(LAYOUT_CHANGED, message, response.url)
        elif unknown:
            # Evening archives re-send tables of contents with only some of their texts.
            self.logger.warning("%s: vacancies listed but not sent, not stored yet: %s", batch.name, ", ".join(unknown))
        yield from self._offers(batch, contents.notices())
        for problem in contents.broken:
            self._batch_error(batch, BAD_ARCHIVE, problem, response.url)

    def archive_failed(self, failure):
        self._record_failure(failure, archives.DILA_ARCHIVE, archive_date(failure.request.meta["jorf_batch"]))
        self.on_request_error(failure)  # counts it; stops the crawl when blocked
        yield from self._next_archive()

    # -- PISTE (Légifrance API) --------------------------------------------------------------

    def _token_request(self) -> scrapy.Request:
        form = api.token_form(self.piste.client_id, self.piste.client_secret.get_secret_value())
        return scrapy.FormRequest(
            self.piste.token_url, formdata=form, callback=self.parse_token, errback=self.on_request_error,
            meta={"dont_cache": True}, dont_filter=True,
        )  # fmt: skip

    def parse_token(self, response):
        waiting = self.token.received(_json(response), time.monotonic())
        if waiting is None:
            self.layout_changed("the PISTE token answer has no access_token", response)
            return
        for call in waiting:
            yield from call()

    def _api(self, path: str, data: dict, callback, *, errback=None, meta: dict | None = None, **options):
        """A PISTE API call (a generator of 0 or 1 request). Without a valid token, the call waits
        for one; a single token request is in flight however many calls wait."""
        if not self.token.usable(time.monotonic()):
            again = functools.partial(self._api, path, data, callback, errback=errback, meta=meta, **options)
            if self.token.wait(again):
                yield self._token_request()
            return
        call = (path, data, callback, errback, meta or {}, options)
        yield JsonRequest(
            api.api_url(self.piste.api_url, path),
            data=data,
            headers={"Authorization": self.token.header},
            callback=callback,
            errback=self._api_failed,
            # Answers depend on the day and on the token: never from the HTTP cache.
            meta={**(meta or {}), "piste_call": call, "dont_cache": True},
            dont_filter=True,
            **options,
        )

    def _api_failed(self, failure):
        """A token refused before its time (revoked, server restarted) is renewed and the call
        made again, once; other failures go to the call's own errback."""
        path, data, callback, errback, meta, options = failure.request.meta["piste_call"]
        refused = isinstance(failure.value, HttpError) and failure.value.response.status == 401
        if refused and not meta.get("piste_renewed"):
            if self.token.refused(failure.request.headers.get("Authorization", b"").decode()):
                self.logger.info("PISTE refused the token; asking for a new one")
            yield from self._api(path, data, callback, errback=errback, meta={**meta, "piste_renewed": True}, **options)
            return
        outcome = (errback or self.on_request_error)(failure)
        if outcome is not None:
            yield from outcome

    def _last_issues_request(self):
        start = dt.date.fromisoformat(self._window_start(archives.PISTE_ISSUE))
        yield from self._api(api.LAST_ISSUES, api.last_issues_body(start, paris_today()), self.parse_last_issues)

    def parse_last_issues(self, response):
        containers = api.listed_issues(_json(response))
        if not containers:
            self.layout_changed("consult/lastNJo answered no containers", response)
            return
        start = self._window_start(archives.PISTE_ISSUE)
        settled = set() if self.full else archives.settled_names(self.db, archives.PISTE_ISSUE)
        issues = api.issues_to_read(containers, start, settled)
        self.logger.info("lastNJo: %d issues, %d to read since %s", len(containers), len(issues), start)
        self.queue.extend(issues)
        yield from self._next_issue()

    def _next_issue(self):
        if self.queue:
            date, container_id = self.queue.popleft()
            meta = {"jorf_batch": container_id, "jorf_date": date}
            body = api.issue_body(container_id)
            yield from self._api(api.ISSUE, body, self.parse_piste_issue, errback=self.piste_issue_failed, meta=meta)

    def parse_piste_issue(self, response):
        name = response.meta["jorf_batch"]
        batch = self.batches[name] = Batch(name, archives.PISTE_ISSUE, response.meta.get("jorf_date"), response.url)
        yield from self._guarded(batch, response.url, self._issue_text_requests(batch, response))
        yield from self._next_issue()

    def _issue_text_requests(self, batch: Batch, response):
        container = api.issue_container(_json(response))
        if not container:
            self._batch_error(batch, LAYOUT_CHANGED, "consult/jorfCont answered no joCont", response.url)
            return
        issue = issue_from_piste(container)
        batch.texts_seen = len(issue.entries)
        for entry, ministry in notice_entries(issue, self.source_config.include_concours):
            batch.open_parts += 1
            yield from self._api(
                api.TEXT,
                api.text_body(entry.text_id),
                self.parse_piste_text,
                errback=self.piste_text_failed,
                cb_kwargs={"ministry": ministry, "issue": issue},
                meta={"jorf_batch": batch.name, "jorf_text": entry.text_id},
            )

    def parse_piste_text(self, response, ministry, issue):
        batch = self._batch_of(response)
        try:
            try:
                notice = notice_from_piste(response.json(), issue)
            except (ValueError, AttributeError) as error:
                self._batch_error(batch, LAYOUT_CHANGED, f"consult/jorf: {error}", response.url)
                return
            yield from self._offers(batch, [(notice, ministry)])
        finally:
            self._part_done(batch)

    def piste_issue_failed(self, failure):
        self._record_failure(failure, archives.PISTE_ISSUE, failure.request.meta.get("jorf_date"))
        self.on_request_error(failure)
        yield from self._next_issue()

    def piste_text_failed(self, failure):
        batch = self.batches.get(failure.request.meta.get("jorf_batch"))
        error_class, message = classify_failure(failure)
        if batch:
            batch.errors.append(f"consult/jorf {failure.request.meta.get('jorf_text')}: {error_class}: {message}")
        try:
            self.on_request_error(failure)
        finally:
            if batch:
                self._part_done(batch)
