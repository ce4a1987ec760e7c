"""Subscribing, confirming, managing and leaving an alert over HTTP, and every bad input and attack the
self-service pages must withstand: each gets a clear French page and changes nothing.

Real server (tests/web_support.py), real SMTP server on loopback, real dispatch; frozen clock.
"""

import datetime as dt
import re

import pytest

from alerts.dispatch import dispatch
from crawler.config import parse_config
from storage import web_subscriptions
from tests.alerts_support import offer, store
from tests.conftest import FROZEN_NOW, run_veille
from tests.web_support import csrf_of, heading, links_in

FORM = {"email": "camille@example.org", "profil": "oui", "rythme": "immediat", "tri": "recentes"}


def config_for(site):
    return parse_config(
        {
            "web": {
                "base_url": site.url,
                "smtp_url": f"smtp://127.0.0.1:{site.smtp.port}",
                "sender": "veille@example.org",
            }
        }
    )


def subscribe(site, client=None, **fields):
    client = client or site.client()
    page = client.get("/abonnement")
    return client.post("/abonnement", data={**FORM, "csrf": csrf_of(page), **fields})


def rows(site):
    return site.db().execute_returning_dicts("select * from web_subscriptions order by id")


def link(message, path: str, site) -> str:
    [found] = set(links_in(message.get_body(("plain",)).get_content(), f"{site.url}{path}"))
    return found


def confirm(site, client=None):
    client = client or site.client()
    url = link(site.smtp.messages[-1], "/confirmer/", site)
    page = client.get(url)
    assert heading(page) == "Confirmer mon alerte"
    return client.post(url, data={"csrf": csrf_of(page)})


def test_double_opt_in_nothing_but_the_confirmation_until_the_link_is_followed(frozen_clock, web_site):
    site = web_site()
    config = config_for(site)
    answer = subscribe(site)
    assert answer.status_code == 200 and heading(answer) == "Vérifiez votre messagerie"
    [mail] = site.smtp.messages
    assert mail["To"] == "camille@example.org" and mail["Subject"] == "veille · confirmez votre alerte"
    assert mail["From"] == "Veille emploi public <veille@example.org>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert [row["status"] for row in rows(site)] == ["pending"]
    # A matching offer arrives: nothing is sent to a pending subscription.
    store(site.db(), offer("t-1", "Chef de projet transformation publique", published_on="2026-06-14"))
    assert dispatch(site.db(), config, now=FROZEN_NOW).subscriptions == []
    assert len(site.smtp.messages) == 1

    confirmed = confirm(site)
    assert heading(confirmed) == "Alerte activée"
    assert [row["status"] for row in rows(site)] == ["active"]
    # From now on: the next matching offer is sent; the one stored before the confirmation is not.
    store(site.db(), offer("t-2", "Chargée de mission transformation publique", published_on="2026-06-15"))
    report = dispatch(site.db(), config, now=FROZEN_NOW + dt.timedelta(minutes=5))
    assert [(sub.name, sub.sent) for sub in report.subscriptions] == [("web:1", 1)]
    alert = site.smtp.messages[-1]
    assert alert["To"] == "camille@example.org"
    assert "Chargée de mission transformation publique" in alert.get_body(("plain",)).get_content()
    assert "Chef de projet" not in alert.get_body(("plain",)).get_content()


def test_the_answer_is_the_same_whether_the_address_is_subscribed_or_not(frozen_clock, web_site):
    site = web_site()
    subscribe(site)
    confirm(site)
    again, other = subscribe(site), subscribe(site, email="dominique@example.org")
    assert again.status_code == other.status_code == 200
    strip = lambda page: re.sub(r'name="csrf" value="[^"]+"', "", page.text)  # noqa: E731
    assert strip(again) == strip(other)


def test_forged_or_missing_csrf_is_refused_and_changes_nothing(frozen_clock, web_site):
    site = web_site()
    forged = site.client().post("/abonnement", data={**FORM, "csrf": "forged"})
    assert forged.status_code == 403 and heading(forged) == "Formulaire expiré"
    client = site.client()
    client.get("/abonnement")  # has the cookie, but the form lacks the token
    assert client.post("/abonnement", data=FORM).status_code == 403
    # Another site's page posting with the visitor's cookie cannot know the token.
    assert client.post("/abonnement", data={**FORM, "csrf": "x" * 32}).status_code == 403
    assert rows(site) == [] and site.smtp.messages == []


@pytest.mark.parametrize(
    "fields, field_message",
    [
        ({"email": "camille@"}, "Cette adresse e-mail n'est pas valide"),
        ({"email": "camille@example.org\r\nBcc: victim@example.org"}, "Cette adresse e-mail n'est pas valide"),
        ({"email": ""}, "Cette adresse e-mail n'est pas valide"),
        ({"departements": "75, 100"}, "Département inconnu : « 100 »"),
        ({"region": "Atlantide"}, "Région inconnue."),
        (
            {"profil": "", "mots_cles": ""},
            "Cochez le profil « transformation publique » ou donnez au moins un mot-clé.",
        ),
        ({"mots_cles": "design, de la"}, "Mot-clé non compris : « de la »"),
        ({"rythme": "chaque seconde"}, "Choisissez un rythme"),
    ],
)
def test_bad_input_gets_a_french_message_and_changes_nothing(frozen_clock, web_site, fields, field_message):
    site = web_site()
    answer = subscribe(site, **fields)
    assert answer.status_code == 400
    assert "Le formulaire n'a pas été enregistré" in answer.text
    assert field_message.replace("'", "&#39;") in answer.text
    assert rows(site) == [] and site.smtp.messages == []


def test_an_oversized_form_is_refused(frozen_clock, web_site):
    site = web_site()
    answer = subscribe(site, mots_cles="innovation, " * 5000)
    assert answer.status_code == 413 and heading(answer) == "Formulaire trop volumineux"
    assert rows(site) == []


def test_200_subscribe_attempts_from_one_ip_are_limited(frozen_clock, web_site):
    site = web_site(subscribe_per_ip_per_hour=20)
    client = site.client(ip="203.0.113.7")
    token = csrf_of(client.get("/abonnement"))
    statuses = [
        client.post("/abonnement", data={**FORM, "email": f"p{n}@example.org", "csrf": token}).status_code
        for n in range(200)
    ]
    assert statuses == [200] * 20 + [429] * 180
    limited = client.post("/abonnement", data={**FORM, "csrf": token})
    assert heading(limited) == "Trop de demandes"
    assert len(rows(site)) == len(site.smtp.messages) == 20
    # Another address on the Internet is not held back; an hour later the first may try again.
    assert subscribe(site, site.client(ip="198.51.100.9")).status_code == 200
    frozen_clock(FROZEN_NOW + dt.timedelta(hours=1))
    assert client.post("/abonnement", data={**FORM, "csrf": token}).status_code == 200
    # The counters hold no address, only keyed hashes.
    keys = [row["key"] for row in site.db().execute_returning_dicts("select key from web_rate_limits")]
    assert not any("203.0.113.7" in key or "example.org" in key for key in keys)


def test_one_address_gets_a_few_confirmation_mails_a_day_and_the_same_answer(frozen_clock, web_site):
    site = web_site(mails_per_address_per_day=3)
    answers = [subscribe(site, site.client(ip=f"198.51.100.{n}")) for n in range(6)]
    assert {heading(answer) for answer in answers} == {"Vérifiez votre messagerie"}
    assert len(site.smtp.messages) == 3 and len(rows(site)) == 3


def test_tampered_and_expired_links_get_a_clear_page(frozen_clock, web_site):
    site = web_site(confirm_hours=48)
    subscribe(site)
    url = link(site.smtp.messages[-1], "/confirmer/", site)
    client = site.client()
    tampered = client.get(url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400 and heading(tampered) == "Lien non valide"
    for path in ("/gerer/", "/desabonnement/", "/avis/", "/confirmer/"):
        answer = client.get(f"{path}not-a-token")
        assert answer.status_code == 400 and "Lien" in heading(answer), path
    assert client.get("/flux/not-a-token.atom").status_code == 404
    # A confirmation token is no management token.
    assert heading(client.get(url.replace("/confirmer/", "/gerer/"))) == "Lien non valide"
    frozen_clock(FROZEN_NOW + dt.timedelta(hours=49))
    expired = client.get(url)
    assert expired.status_code == 410 and heading(expired) == "Lien expiré"
    assert [row["status"] for row in rows(site)] == ["pending"]


def manage_url(site) -> str:
    store(site.db(), offer("m-1", "Chef de projet transformation publique", published_on="2026-06-15"))
    dispatch(site.db(), config_for(site), now=FROZEN_NOW)
    return link(site.smtp.messages[-1], "/gerer/", site)


def test_manage_change_pause_resume_and_delete(frozen_clock, web_site):
    site = web_site()
    subscribe(site)
    confirm(site)
    url = manage_url(site)
    client = site.client()
    page = client.get(url)
    assert heading(page) == "Gérer mon alerte" and "camille@example.org" in page.text
    assert "Chef de projet transformation publique" in page.text  # what was sent
    token = csrf_of(page)
    bad = client.post(url, data={**FORM, "departements": "999", "csrf": token})
    assert bad.status_code == 400 and "Rien n'a été modifié" in bad.text
    changed = client.post(url, data={**FORM, "profil": "", "mots_cles": "design", "rythme": "quotidien", "csrf": token})
    assert heading(changed) == "Modifications enregistrées"
    [row] = rows(site)
    assert (row["mode"], row["filters"]) == (
        "daily 08:00",
        '{"profile": false, "keywords": ["design"], "departements": [], "regions": [], "categories": []}',
    )
    assert heading(client.post(url, data={"action": "pause", "csrf": token})) == "Alerte en pause"
    store(site.db(), offer("m-2", "Designer", published_on="2026-06-15"))
    assert dispatch(site.db(), config_for(site), now=FROZEN_NOW + dt.timedelta(days=1)).subscriptions == []
    assert heading(client.post(url, data={"action": "reprendre", "csrf": token})) == "Alerte reprise"
    assert rows(site)[0]["status"] == "active"
    deleted = client.post(url, data={"action": "supprimer", "csrf": token})
    assert heading(deleted) == "Alerte supprimée"
    db = site.db()
    assert rows(site) == []
    for table in ("alert_outbox", "alert_deliveries", "alert_subscriptions"):
        column = "name" if table == "alert_subscriptions" else "subscription"
        assert db.execute(f"select count(*) from {table} where {column} = 'web:1'").fetchone()[0] == 0, table
    assert heading(client.get(url)) == "Lien non valide"


def test_one_click_unsubscribe_needs_no_page_and_no_cookie(frozen_clock, web_site):
    site = web_site()
    subscribe(site)
    confirm(site)
    manage_url(site)
    alert = site.smtp.messages[-1]
    unsubscribe = re.match(r"<([^>]+)>", alert["List-Unsubscribe"]).group(1)
    assert unsubscribe.startswith(f"{site.url}/desabonnement/")
    # What a mail client does (RFC 8058): a POST with this body, no cookie, no CSRF token.
    answer = site.client().post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and heading(answer) == "Vous êtes désabonné·e"
    assert rows(site) == []
    store(site.db(), offer("u-1", "Chef de projet transformation publique bis", published_on="2026-06-15"))
    sent = len(site.smtp.messages)
    dispatch(site.db(), config_for(site), now=FROZEN_NOW + dt.timedelta(hours=1))
    assert len(site.smtp.messages) == sent
    assert site.client().post(unsubscribe, content=b"List-Unsubscribe=One-Click").status_code == 400


def test_feedback_is_recorded_per_subscription_and_unit(frozen_clock, web_site):
    site = web_site()
    subscribe(site)
    confirm(site)
    manage_url(site)
    text = site.smtp.messages[-1].get_body(("plain",)).get_content()
    [not_relevant] = [url for url in links_in(text, f"{site.url}/avis/") if url.endswith("avis=not_relevant")]
    client = site.client()
    page = client.get(not_relevant)
    assert "Chef de projet transformation publique" in page.text
    assert site.db().execute("select count(*) from alert_feedback").fetchone()[0] == 0  # a GET records nothing
    assert heading(client.post(not_relevant, data={"csrf": csrf_of(page)})) == "Merci"
    [recorded] = site.db().execute_returning_dicts("select subscription, unit, verdict from alert_feedback")
    assert (recorded["subscription"], recorded["verdict"]) == ("web:1", "not_relevant")
    assert recorded["unit"].startswith("job:")
    assert client.get(not_relevant.replace("avis=not_relevant", "avis=maybe")).status_code == 400


def test_without_the_key_web_subscriptions_wait_and_the_operator_is_told(frozen_clock, web_site, tmp_path):
    site = web_site()
    subscribe(site)
    confirm(site)
    store(site.db(), offer("w-1", "Chef de projet transformation publique", published_on="2026-06-15"))
    result = run_veille("alert", env={"VEILLE_DB": str(site.db_path), "VEILLE_SECRET_KEY": ""}, cwd=tmp_path)
    assert result.returncode == 0
    assert "veille: web subscriptions are not served: VEILLE_SECRET_KEY is not set" in result.stderr
    assert len(site.smtp.messages) == 1  # the confirmation only
    # Once the key is set, the offer stored meanwhile is sent: nothing was lost.
    dispatch(site.db(), config_for(site), now=FROZEN_NOW)
    assert "Chef de projet transformation publique" in site.smtp.messages[-1].get_body(("plain",)).get_content()


def test_veille_web_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_veille("web", env={"VEILLE_SECRET_KEY": "", "VEILLE_DB": str(tmp_path / "v.db")}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("veille: VEILLE_SECRET_KEY is not set: set it to a long random value")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_the_operator_lists_disables_and_removes_web_subscriptions(frozen_clock, web_site, tmp_path):
    site = web_site()
    subscribe(site)
    confirm(site)
    env = {"VEILLE_DB": str(site.db_path), "VEILLE_SECRET_KEY": "x" * 32}
    listing = run_veille("subscriptions", env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"web:1\s+active\s+immediate", listing.stdout) and "e-mail (ca…@example.org)" in listing.stdout
    assert "camille@" not in listing.stdout
    assert run_veille("subscriptions", "disable", "web:1", env=env, cwd=tmp_path).stdout == "web:1 disabled.\n"
    assert rows(site)[0]["status"] == web_subscriptions.DISABLED
    unknown = run_veille("subscriptions", "remove", "web:9", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "no web subscription 'web:9'" in unknown.stderr
    assert run_veille("subscriptions", "remove", "web:1", env=env, cwd=tmp_path).returncode == 0
    assert rows(site) == []
