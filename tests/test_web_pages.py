"""« Offres », the page per job and the Atom feeds, over HTTP against the real server (tests/web_support.py).

Offers are stored as a crawl stores them (validated, grouped into jobs); what the pages show is checked
against the offers' own fields. The clock is frozen (2026-06-15): deadlines are relative to it.
"""

import html

import feedparser

from tests.alerts_support import offer, store
from tests.web_support import heading


def stored(site):
    db = site.db()
    store(
        db,
        offer(
            "a-1",
            "Chef de projet transformation publique",
            published_on="2026-06-10",
            category="A",
            department="75",
            location="Paris (75)",
        ),
        offer(
            "a-2", "Designer de services publics", published_on="2026-06-12", department="44", location="Nantes (44)"
        ),
        offer("a-3", "Chargé de mission innovation", published_on="2026-06-01", department="13", location="Marseille"),
        offer("closed", "Poste clos transformation", published_on="2026-06-14", deadline="2026-06-01"),
        offer(
            "x-1",
            '<script>alert("x")</script><img src=x onerror=alert(1)> Chef de projet',
            published_on="2026-06-05",
            missions="<b>gras</b> <a href='javascript:alert(1)'>lien</a>",
        ),
    )
    return db


def titles(page) -> list[str]:
    import re

    return re.findall(r'<h2><a href="/offres/\d+">(.*?)</a></h2>', page.text)


def test_offers_open_jobs_newest_first_with_their_facts_and_links(frozen_clock, web_site):
    site = web_site()
    stored(site)
    page = site.client().get("/")
    assert page.status_code == 200
    assert titles(page) == [
        "Designer de services publics",
        "Chef de projet transformation publique",
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; Chef de projet",
        "Chargé de mission innovation",
    ]  # the closed one (deadline passed) is not listed
    assert "Ministère de l&#39;Intérieur · Paris (75)" in page.text
    assert '<span class="tag">Catégorie A</span>' in page.text
    assert "Date limite : 31 décembre 2099" in page.text
    assert (
        '<a href="https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-a-1/" rel="noopener noreferrer">'
        "Voir l&#39;offre sur Choisir le service public</a>"
    ) in page.text


def test_search_and_filters(frozen_clock, web_site):
    site = web_site()
    stored(site)
    client = site.client()
    assert titles(client.get("/", params={"q": "designer"})) == ["Designer de services publics"]
    assert titles(client.get("/", params={"q": "transformation"})) == ["Chef de projet transformation publique"]
    assert titles(client.get("/", params={"departement": "13"})) == ["Chargé de mission innovation"]
    assert titles(client.get("/", params={"region": "Pays de la Loire"})) == ["Designer de services publics"]
    assert titles(client.get("/", params={"categorie": "A"})) == ["Chef de projet transformation publique"]
    assert len(titles(client.get("/", params={"source": "choisirleservicepublic"}))) == 4
    # FTS5 syntax in a search is taken as words, never as an error.
    assert client.get("/", params={"q": '"NEAR( -* OR'}).status_code == 200


def test_bad_filters_get_a_french_message_and_no_results(frozen_clock, web_site):
    site = web_site()
    stored(site)
    client = site.client()
    for params, message in (
        ({"departement": "100"}, "Département inconnu : « 100 »"),
        ({"region": "Atlantide"}, "Région inconnue."),
        ({"categorie": "Z"}, "Catégorie inconnue"),
        ({"source": "nowhere"}, "Source inconnue."),
    ):
        page = client.get("/", params=params)
        assert page.status_code == 400 and message in page.text, params
        assert titles(page) == []


def test_a_page_per_job_with_its_text_escaped(frozen_clock, web_site):
    site = web_site()
    db = stored(site)
    job_id = db.execute("select job_id from job_offers where source_id = 'x-1'").fetchone()[0]
    page = site.client().get(f"/offres/{job_id}")
    assert page.status_code == 200
    assert "<script" not in page.text and "<img" not in page.text and "<b>" not in page.text
    assert "href='javascript" not in page.text and 'href="javascript' not in page.text
    assert "&lt;b&gt;gras&lt;/b&gt; &lt;a href=&#39;javascript:alert(1)&#39;&gt;lien&lt;/a&gt;" in page.text
    assert site.client().get("/offres/999999").status_code == 404
    assert heading(site.client().get("/offres/abc")) == "Offre introuvable"


def test_every_answer_carries_the_security_headers(frozen_clock, web_site):
    site = web_site()
    for path in ("/", "/abonnement", "/flux.atom", "/nowhere", "/static/veille.css"):
        answer = site.client().get(path)
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp, path
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "server" not in answer.headers


def test_public_feed_is_valid_atom_newest_first(frozen_clock, web_site):
    site = web_site()
    stored(site)
    answer = site.client().get("/flux.atom", params={"q": "chef"})
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert feed.bozo == 0 and feed.version == "atom10"
    assert [entry.title for entry in feed.entries] == [
        "Chef de projet transformation publique",
        '<script>alert("x")</script><img src=x onerror=alert(1)> Chef de projet',
    ]
    assert feed.entries[0].link == "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-a-1/"
    assert feed.entries[0].published.startswith("2026-06-10")
    assert site.client().get("/flux.atom", params={"departement": "999"}).status_code == 400


# -- relevance (issue 15's leftover): shown, filtered, sorted, explained, in the feed too ------------------


def stored_scores(db) -> dict[str, float]:
    """Each stored offer's relevance score, by title, as `veille offers` reads it."""
    return dict(db.execute("select title, relevance from offers where relevance is not null").fetchall())


def french(score: float) -> str:
    return f"{score:.2f}".replace(".", ",")


def test_offers_show_each_jobs_relevance_and_filter_and_sort_by_it(frozen_clock, web_site):
    from alerts.relevance import load_model

    site = web_site()
    db = stored(site)  # stored after the server started: the page scores them before listing
    page = site.client().get("/")
    scores = stored_scores(db)
    assert len(scores) == 5  # every offer scored, the closed one too
    shown = titles(page)
    for title in shown:
        plain = title if "&" not in title else '<script>alert("x")</script><img src=x onerror=alert(1)> Chef de projet'
        assert f"pertinence {french(scores[plain])}</span>" in page.text.split(title, 1)[1].split("</article>")[0]
    threshold = load_model().threshold
    open_titles = [title for title in scores if title != "Poste clos transformation"]
    # Most relevant first: the stored scores' order (ties newest first).
    by_relevance = titles(site.client().get("/", params={"tri": "pertinence"}))
    expected = sorted(open_titles, key=lambda title: scores[title], reverse=True)
    assert [html.unescape(title) for title in by_relevance] == expected
    assert expected != [html.unescape(title) for title in shown]  # not the newest-first order
    relevant = titles(site.client().get("/", params={"pertinentes": "oui"}))
    assert set(relevant) == {title for title in open_titles if scores[title] >= threshold and "<" not in title}
    bad = site.client().get("/", params={"tri": "hasard"})
    assert bad.status_code == 400 and "Ordre inconnu" in bad.text


def test_a_jobs_page_says_its_relevance_and_why(frozen_clock, web_site):
    site = web_site()
    db = stored(site)
    site.client().get("/")  # scores them
    job_id = db.execute("select job_id from job_offers where source_id = 'a-1'").fetchone()[0]
    score = stored_scores(db)["Chef de projet transformation publique"]
    page = site.client().get(f"/offres/{job_id}")
    assert f"<dt>Pertinence</dt><dd>{french(score)}" in page.text
    # « Pourquoi »: words of the offer, where the offer has them (its title here).
    why = page.text.split("<dt>Pourquoi</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert "(titre)" in why
    for word in why.split("&#34;")[1::2]:
        assert word.lower() in "chef de projet transformation publique ministère de l&#39;intérieur"
    # Below the threshold, what lowered the score.
    low = db.execute("select job_id from job_offers where source_id = 'x-1'").fetchone()[0]
    page = site.client().get(f"/offres/{low}")
    from alerts.relevance import load_model

    assert f"en dessous du seuil ({french(load_model().threshold)})" in page.text
    assert "<dt>Pourquoi</dt><dd>ce qui l&#39;abaisse : &#34;" in page.text


def test_the_public_feed_filters_and_sorts_by_relevance_and_says_it(frozen_clock, web_site):
    from alerts.relevance import load_model

    site = web_site()
    db = stored(site)
    answer = site.client().get("/flux.atom", params={"pertinentes": "oui", "tri": "pertinence"})
    feed = feedparser.parse(answer.content)
    scores = stored_scores(db)
    expected = sorted(
        (
            title
            for title, score in scores.items()
            if score >= load_model().threshold and title != "Poste clos transformation"
        ),
        key=lambda title: scores[title],
        reverse=True,
    )
    assert [entry.title for entry in feed.entries] == expected
    for entry in feed.entries:
        assert f"Pertinence : {french(scores[entry.title])}" in entry.summary
