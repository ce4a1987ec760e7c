"""The validation pipeline drops an invalid item and counts it with its reason."""

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.errors import errors_from_stats
from crawler.pipelines import ValidationPipeline


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
