"""The validation pipeline drops an invalid item and counts it with its reason; the storage pipeline
stores offers in batches, each counted as scraped once its batch is committed."""

from types import SimpleNamespace

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.config import Config
from crawler.errors import errors_from_stats
from crawler.items import validate_offer
from crawler.pipelines import DowngradeGuardPipeline, StoragePipeline, ValidationPipeline
from storage.runs import start_run


def test_invalid_item_is_dropped_and_counted():
    crawler = get_crawler()
    crawler.stats.open_spider()
    pipeline = ValidationPipeline.from_crawler(crawler)
    good = {"source": "choisirleservicepublic", "source_id": "1", "url": "https://x.gouv.fr/1", "title": "Designer"}
    assert pipeline.process_item(good)["title"] == "Designer"
    with pytest.raises(DropItem, match="published_on"):
        pipeline.process_item({**good, "published_on": "18/04/2025"})
    with pytest.raises(DropItem, match="department"):
        pipeline.process_item({**good, "department": "Paris"})
    stats = crawler.stats.get_stats()
    assert errors_from_stats(stats) == {"invalid_item": 2}
    assert stats["veille/dropped/invalid published_on"] == 1
    assert stats["veille/dropped/invalid department"] == 1
    assert [sample["message"] for sample in stats["veille/error_samples"]] == [
        "invalid published_on: published_on: Value error, Invalid isoformat string: '18/04/2025'",
        "invalid department: department: String should match pattern "
        "'^(0[1-9]|[1-8]\\d|9[0-5]|2A|2B|97[1-8]|98[4-9])$'",
    ]


# -- the storage pipeline stores offers in batches ------------------------------------------------


def offer(source_id: str, **fields) -> dict:
    return validate_offer(
        {
            "source": "choisirleservicepublic",
            "source_id": source_id,
            "url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/{source_id}/",
            "title": f"Chargé de mission transformation {source_id}",
            **fields,
        }
    )


@pytest.fixture
def storage(fresh_db):
    """A storage pipeline as a crawl opens it, batches of 3, a delay that never runs out in a test."""
    crawler = get_crawler(settings_dict={"VEILLE_STORE_BATCH": 3, "VEILLE_STORE_DELAY": 3600})
    crawler.stats.open_spider()
    crawler.spider = SimpleNamespace(db=fresh_db, run_id=start_run(fresh_db, "choisirleservicepublic"), config=Config())
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider()
    yield pipeline
    if pipeline.timer is not None and pipeline.timer.active():
        pipeline.timer.cancel()


def stored_ids(db) -> set[str]:
    return {row[0] for row in db.execute("select source_id from offers")}


def test_offers_count_as_scraped_only_once_their_batch_is_committed(storage, fresh_db):
    scraped = []
    for source_id in ("a", "b"):
        storage.add(offer(source_id)).addCallback(
            lambda item: scraped.append((item["source_id"], stored_ids(fresh_db)))
        )
    assert stored_ids(fresh_db) == set() and scraped == []  # waiting: a crash here leaves nothing half-stored
    storage.add(offer("c")).addCallback(lambda item: scraped.append((item["source_id"], stored_ids(fresh_db))))
    # The third fills the batch: one transaction stores the three, each with its job, then each is scraped.
    assert scraped == [(source_id, {"a", "b", "c"}) for source_id in "abc"]
    assert fresh_db["job_offers"].count == 3
    storage.add(offer("d"))
    assert stored_ids(fresh_db) == {"a", "b", "c"}
    storage.close_spider()  # the spider closes: what waits is stored
    assert stored_ids(fresh_db) == {"a", "b", "c", "d"}
    assert storage.crawler.stats.get_value("veille/offers/new") == 4


def test_an_offer_sqlite_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(storage, fresh_db):
    outcomes = []
    for item in (offer("a"), {**offer("b"), "title": object()}, offer("c")):  # a title that cannot be stored
        storage.add(item).addCallbacks(lambda item: outcomes.append(item["source_id"]), outcomes.append)
    assert outcomes[0] == "a" and outcomes[2] == "c"
    assert outcomes[1].check(Exception)  # Scrapy gets the failure: item_error, the page read again next run
    assert stored_ids(fresh_db) == {"a", "c"}


def test_the_downgrade_guard_compares_with_a_version_still_waiting_in_the_batch(storage, fresh_db):
    missions = "Piloter la transformation des services. " * 20
    full = offer("a", missions=missions, profile="Expérience du pilotage de projets.", employer="DITP")
    storage.add(full)
    assert stored_ids(fresh_db) == set()
    guard = DowngradeGuardPipeline.from_crawler(storage.crawler)
    with pytest.raises(DropItem):
        guard.process_item(offer("a"))  # the same offer, its fields lost: refused against the waiting version
    assert stored_ids(fresh_db) == {"a"}
