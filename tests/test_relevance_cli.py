"""`veille offers --why --min-relevance`, `veille feedback`, `veille relevance [train]` and the
alerts of a relevance subscription, run as a user runs them (a real SMTP server on 127.0.0.1)."""

import json

from alerts.relevance import Model, load_model
from crawler.labelled import labelled_set_sha256
from storage import open_db
from tests.alerts_support import store
from tests.conftest import FIXTURES, parse_table, run_veille
from tests.corpus import csp_card_offers, target_offers

FAR = "2099-12-31"


def write_config(tmp_path, channel: str | None = None) -> str:
    path = tmp_path / "veille.toml"
    channels = f'channels = ["{channel}"]' if channel else ""
    path.write_text(
        f"""database = "{tmp_path / "veille.db"}"
[[subscriptions]]
name = "transformation publique"
relevance = "transformation"
{channels}
"""
    )
    return str(path)


def veille(config: str, *args, env: dict | None = None):
    return run_veille("--config", config, *args, env={"VEILLE_DB": "", **(env or {})})


# Published a few days before the frozen clock's day: recent enough to be alerted (max_age_days).
RECENT = "2026-06-10"


def designer(source_id: str, **fields) -> dict:
    offer = target_offers()["002"]
    return {**offer, "source_id": source_id, "url": f"https://x.example/{source_id}", "published_on": RECENT, **fields}


def recruiter(source_id: str, **fields) -> dict:
    card = next(iter(csp_card_offers().values()))
    url = f"https://y.example/{source_id}"
    return {**card, "source_id": source_id, "url": url, "deadline": FAR, "published_on": RECENT, **fields}


def test_offers_show_their_relevance_keep_the_relevant_and_say_why(tmp_path, frozen_clock):
    config = write_config(tmp_path)
    db = open_db(tmp_path / "veille.db")
    store(db, designer("design-1"), target_offers()["001"], recruiter("rec-1"), recruiter("rec-2"))

    listed = veille(config, "offers")
    assert listed.returncode == 0, listed.stderr
    rows = parse_table(listed.stdout)
    assert len(rows) == 4 and all(row["relevance"] for row in rows)

    relevant = veille(config, "offers", "--min-relevance", "0.5", "--why")
    assert relevant.returncode == 0, relevant.stderr
    rows = parse_table(relevant.stdout)
    assert sorted(row["source"] for row in rows) == ["dinum", "passerelles"]  # the two target offers
    assert all(float(row["relevance"]) >= 0.5 for row in rows)
    assert [float(row["relevance"]) for row in rows] == sorted((float(row["relevance"]) for row in rows), reverse=True)
    assert all('" (title)' in row["why"] or '" (missions)' in row["why"] for row in rows)

    as_json = veille(config, "offers", "--json", "--why", "--sort", "relevance")
    offers = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [offer["relevance"] for offer in offers] == sorted((offer["relevance"] for offer in offers), reverse=True)
    assert offers[0]["relevance_model"] == load_model().version
    assert {"term", "field"} <= set(offers[0]["why"][0])
    assert offers[-1]["source_id"].startswith("rec-") and offers[-1]["relevance"] < load_model().threshold


def test_alerts_say_why_and_feedback_adjusts_what_the_subscription_receives(tmp_path, frozen_clock, smtp_server):
    server = smtp_server()
    config = write_config(tmp_path, server.url())
    assert veille(config, "alert").returncode == 0  # a new subscription starts from now
    db = open_db(tmp_path / "veille.db")
    store(db, designer("design-1"), recruiter("rec-1"))

    sent = veille(config, "alert")
    assert sent.returncode == 0, sent.stderr
    [message] = server.messages
    assert message["Subject"] == "veille · 1 nouvelle offre · transformation publique"
    html = message.get_body(("html",)).get_content()
    assert "Chargée ou chargé de mission design des services numériques" in html
    assert "Pourquoi : pertinence " in html and "(titre)" in html
    [(design_job,)] = db.execute("select job_id from job_offers where source_id = 'design-1'").fetchall()
    assert f"Votre avis : veille feedback &#34;transformation publique&#34; {design_job} oui (ou non)" in html

    no = veille(config, "feedback", "transformation publique", str(design_job), "non")
    assert no.returncode == 0, no.stderr
    assert f"job {design_job} (Chargée ou chargé de mission design des services numériques) marked not relevant" in (
        no.stdout
    )
    yes = veille(config, "feedback", "transformation publique", "choisirleservicepublic:rec-1", "yes")
    assert yes.returncode == 0, yes.stderr
    listed = veille(config, "subscriptions")
    assert parse_table(listed.stdout)[0]["feedback"] == "+1 / -1"

    # A copy of the job turned down is not sent; a copy of the one marked relevant is, and says why.
    store(db, designer("design-2"), recruiter("rec-3", title=recruiter("x")["title"] + " (H/F)"))
    again = veille(config, "alert")
    assert again.returncode == 0, again.stderr
    assert len(server.messages) == 2
    html = server.messages[1].get_body(("html",)).get_content()
    assert "design des services" not in html
    assert "proche d&#39;une offre jugée pertinente" in html


def test_feedback_mistakes_are_one_line_and_exit_2(tmp_path, frozen_clock):
    config = write_config(tmp_path)
    store(open_db(tmp_path / "veille.db"), designer("design-1"))
    for args, message in (
        (["transformation publique", "999", "oui"], "999"),
        (["transformation publique", "dinum:nope", "oui"], "dinum:nope"),
        (["transformation publique", "dinum:design-1", "peut-être"], "is not a verdict: yes (oui) or no (non)"),
        (["inconnue", "dinum:design-1", "oui"], "inconnue"),
    ):
        result = veille(config, "feedback", *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_the_model_says_what_it_is(tmp_path):
    shown = veille(write_config(tmp_path), "relevance")
    assert shown.returncode == 0, shown.stderr
    model = load_model()
    assert f"model {model.version}" in shown.stdout and model.data_sha256 in shown.stdout
    assert f"default min_relevance: {model.threshold:.2f}" in shown.stdout


def test_training_writes_the_model_from_the_labelled_files(tmp_path):
    output = tmp_path / "model.json.gz"
    trained = veille(write_config(tmp_path), "relevance", "train", "--output", str(output))
    assert trained.returncode == 0, trained.stderr
    assert f"written to {output}" in trained.stdout
    model = Model.load(output)
    assert model.data_sha256 == labelled_set_sha256(FIXTURES) == load_model().data_sha256


def test_training_without_scikit_learn_is_one_line_and_exit_2(tmp_path):
    # scikit-learn is an optional extra: a Python where it cannot be imported.
    blocker = tmp_path / "blocked" / "sklearn"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named sklearn')\n")
    result = veille(
        write_config(tmp_path),
        "relevance",
        "train",
        "--output",
        str(tmp_path / "m.json.gz"),
        env={"PYTHONPATH": str(blocker.parent)},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: training needs scikit-learn: pip install 'veille[relevance]' (or -e '.[relevance]' in a checkout)"
    ]
    assert not (tmp_path / "m.json.gz").exists()


def test_training_with_feedback_learns_from_what_subscriptions_said(tmp_path, frozen_clock):
    from alerts.feedback import give_feedback

    config = write_config(tmp_path)
    db = open_db(tmp_path / "veille.db")
    store(db, designer("design-1"), recruiter("rec-1"))
    give_feedback(db, "transformation publique", "dinum:design-1", "non")
    give_feedback(db, "transformation publique", "choisirleservicepublic:rec-1", "oui")
    output = tmp_path / "model.json.gz"
    trained = veille(config, "relevance", "train", "--with-feedback", "--output", str(output))
    assert trained.returncode == 0, trained.stderr
    model = Model.load(output)
    assert model.data["trained_on"]["feedback"] == 2
    assert model.data["trained_on"]["items"] == load_model().data["trained_on"]["items"] + 2
    assert model.data_sha256 != load_model().data_sha256  # the data it learnt from is not the files' alone
