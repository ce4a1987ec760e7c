"""schema.org JobPosting as offer fields: the real CSP offer page's JSON-LD and its quirks, and the
schema's variants."""

from scrapy.http import HtmlResponse

from crawler.boards import jsonld
from tests.conftest import FIXTURES


def page_with(posting_json: str) -> HtmlResponse:
    body = f'<html><head><script type="application/ld+json">{posting_json}</script></head><body></body></html>'
    return HtmlResponse(url="https://example.gouv.fr/offre/1", body=body.encode())


def test_real_csp_json_ld_with_its_quirks():
    """offer-state.html (real): dd/mm/yyyy date, organisation as a string, "Description" capitalised."""
    page = HtmlResponse(
        url="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-DEF_15-00064919/",
        body=(FIXTURES / "choisirleservicepublic" / "offer-state.html").read_bytes(),
    )
    posting = jsonld.job_posting(page)
    fields = jsonld.offer_fields(posting)
    assert fields["title"] == "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
    assert fields["employer"] == "Direction du renseignement et de la sécurité de la Défense (DRSD)"
    assert fields["published_on"] == "2026-10-02"
    assert (fields["department"], fields["region"]) == ("92", "Île-de-France")
    assert fields["domain"] == "Ressources humaines"
    assert fields["missions"].startswith("Le recrutement du personnel civil, des apprentis et des stagiaires")
    assert fields["raw"]["json_ld"] is posting


def test_schema_variants():
    page = page_with(
        """{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, {"@type": ["JobPosting"],
        "title": "Designer de services", "identifier": {"@type": "PropertyValue", "value": "LAB-42"},
        "hiringOrganization": [{"@type": "Organization", "name": "Préfecture de la Gironde"}],
        "jobLocation": [{"@type": "Place", "address": {"addressLocality": "Bordeaux", "postalCode": "33000"}}],
        "employmentType": ["FULL_TIME", "TEMPORARY"], "jobLocationType": "TELECOMMUTE",
        "datePosted": "2026-03-02T10:00:00+01:00", "validThrough": "2026-04-01",
        "description": "<p>Concevoir</p><ul><li>des parcours</li></ul>", "qualifications": "Empathie"}]}"""
    )
    fields = jsonld.offer_fields(jsonld.job_posting(page))
    assert fields["source_id"] == "LAB-42"
    assert fields["employer"] == "Préfecture de la Gironde"
    assert (fields["location"], fields["department"]) == ("33000 Bordeaux", "33")
    assert fields["contract"] == "Temps plein, Temporaire"
    assert fields["remote"] == "Oui"
    assert (fields["published_on"], fields["deadline"]) == ("2026-03-02", "2026-04-01")
    assert fields["missions"] == "Concevoir\ndes parcours"
    assert fields["profile"] == "Empathie"


def test_base_salary_in_words_and_never_made_up():
    def salary(base_salary: str) -> str | None:
        page = page_with(f'{{"@type": "JobPosting", "title": "Designer", "baseSalary": {base_salary}}}')
        return jsonld.offer_fields(jsonld.job_posting(page)).get("salary")

    assert (
        salary(
            '{"@type": "MonetaryAmount", "currency": "EUR", "value": {"@type": "QuantitativeValue", '
            '"minValue": 35000, "maxValue": 42000, "unitText": "YEAR"}}'
        )
        == "35 000 – 42 000 € par an"
    )
    assert salary('{"currency": "EUR", "value": 2500, "unitText": "MONTH"}') == "2 500 € par mois"
    assert salary('"2 800 € brut mensuel"') == "2 800 € brut mensuel"
    # HelloWork's real pages: an amount with no figure; CSP's: « Non renseigné ».
    assert salary('{"@type": "MonetaryAmount", "currency": "EUR", "value": {"@type": "QuantitativeValue"}}') is None
    assert salary('"Non renseigné"') is None


def test_pages_without_a_job_posting():
    assert jsonld.job_posting(page_with('{"@type": "Organization", "name": "DITP"}')) is None
    assert jsonld.job_posting(page_with("not json {")) is None
    assert jsonld.job_posting(HtmlResponse(url="https://example.gouv.fr/", body=b"<html><body>x</body></html>")) is None
