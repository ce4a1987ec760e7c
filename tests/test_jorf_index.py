"""DILA's JORFSIMPLE index (crawler.jorf.index), on the real listing (see tests/fixtures/jorf/PROVENANCE.md)."""

from scrapy.http import HtmlResponse

from crawler.jorf.index import archive_date, archive_names
from tests.test_jorf import read


def test_index_lists_the_archives_oldest_first():
    response = HtmlResponse(url="https://echanges.dila.gouv.fr/OPENDATA/JORFSIMPLE/", body=read("dila-index.html"))
    names = archive_names(response.xpath("//a/@href").getall())
    # The real listing is not in time order; name order is.
    assert names == [
        "JORFSIMPLE_20260611-001512.tar.gz",
        "JORFSIMPLE_20260612-002012.tar.gz",
        "JORFSIMPLE_20260612-205512.tar.gz",
    ]
    assert [archive_date(name) for name in names] == ["2026-06-11", "2026-06-12", "2026-06-12"]


def test_index_ignores_the_stock_sorting_links_and_other_files():
    hrefs = [
        "?C=N;O=D",
        "/OPENDATA/",
        "Freemium_jorf_simple_20250713-140000.tar.gz",
        "JORFSIMPLE_20260611-001512.tar.gz.md5",
        "https://echanges.dila.gouv.fr/OPENDATA/JORFSIMPLE/JORFSIMPLE_20260613-003012.tar.gz",
    ]
    assert archive_names(hrefs) == ["JORFSIMPLE_20260613-003012.tar.gz"]
