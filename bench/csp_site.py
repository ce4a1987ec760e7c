"""An imitation of choisirleservicepublic.gouv.fr at scale, built from its real pages, served on 127.0.0.1.

``bench/crawl.py`` crawls it with ``veille crawl`` and with a bare Scrapy spider. Nothing here is the
product: it is the benchmark's site.

Every offer page is the real offer page (``tests/fixtures/choisirleservicepublic/offer-state.html``, the
whole 213 KB of it, ``<head>``, JSON-LD and "recommended offers" included) with another offer's values put
where the real page shows its own: title, reference, employer, place, publication date, missions and profile.
Listing pages are the real listing page's card markup, 20 cards a page, with a DSFR pagination block.
The texts are real too: titles, missions and profiles come from the 543 real beta.gouv.fr job posts
(``tests/fixtures/betagouv-jobs``), employers, places and domains from the 20 real listing cards, so that
offers differ as real ones do (no two share a title, employer and place within the first 10,860) and
compression, full-text indexes and grouping see real French text, not one text repeated.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before bench/, whose storage.py is not the storage package

from crawler.labelled import front_matter
from storage.french import fold

FIXTURES = REPO / "tests" / "fixtures"
CSP = FIXTURES / "choisirleservicepublic"
SITE = "https://choisirleservicepublic.gouv.fr"
# One keyword search lists at most MAX_PAGES pages (veille's max_pages may not be more): a larger site is
# listed by several searches, each its share of the offers, as veille's default keywords are.
KEYWORDS = ["transformation publique", "innovation", "modernisation", "SGAR", "chargé de recrutement"]
PER_PAGE = 20
MAX_PAGES = 500

# What the real offer page says of itself, replaced by each generated offer's values.
REAL_TITLE = "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
REAL_TITLE_LOWER = "Charge de recrutement et de la mobilite"
REAL_SLUG = "charge-de-recrutement-et-de-la-mobilite"
REAL_REF = "DEF_15-00064919"
REAL_EMPLOYER = "Direction du renseignement et de la sécurité de la Défense (DRSD)"
REAL_LOCATION = "27 BOULEVARD DE STALINGRAD 92240 MALAKOFF"
REAL_EMAIL = "drsd.cer.fct@intradef.gouv.fr"


@dataclass(frozen=True)
class Posting:
    """One generated offer: what its card and its page show."""

    number: int
    ref: str
    title: str
    employer: str
    organisation: str
    location: str  # "Hauts-de-Seine (92)", as cards and the content_dept input say it
    versant: str  # as the card says it: "Fonction publique de l'État"
    domain: str
    published: dt.date
    missions: list[str]  # paragraphs
    profile: list[str]
    # The service's texts, the same on every offer of the service: "Qui sommes-nous ?", its "Descriptif du
    # service" and "Informations complémentaires".
    about: str
    service: str
    information: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", fold(self.title)).strip("-")[:80] or "offre"

    @property
    def path(self) -> str:
        return f"/offre-emploi/{self.slug}-reference-{self.ref}/"

    @property
    def email(self) -> str:
        return f"recrutement-{self.number}@example.org"


def _paragraphs(markdown: str) -> list[str]:
    """A post's body as plain paragraphs: headings, comments, links and emphasis marks off."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`#>]+", "", text)
    paragraphs = [" ".join(line.strip() for line in block.splitlines() if line.strip()) for block in text.split("\n\n")]
    return [paragraph for paragraph in paragraphs if len(paragraph) > 30]


def real_posts() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of every real beta.gouv.fr job post with enough text."""
    posts = []
    for path in sorted((FIXTURES / "betagouv-jobs").iterdir()):
        if path.name == "PROVENANCE.md" or not path.is_file():
            continue
        data, body = front_matter(path.read_text(encoding="utf-8"))
        title = data.get("title") or data.get("roles")
        paragraphs = _paragraphs(body)
        if isinstance(title, str) and title.strip() and len(paragraphs) >= 2:
            title = " ".join(title.split(" # ")[0].split()).strip('"')
            startup = data.get("startup")
            if isinstance(startup, str) and startup.strip() and startup.lower() not in title.lower():
                title = f"{title} - {startup.strip()}"  # many posts share a role's name
            posts.append((title, paragraphs))
    return posts


def real_cards() -> list[dict]:
    """The 20 real listing cards' employer, place, versant, domain and logo text."""
    from scrapy.http import HtmlResponse

    from crawler.boards.csp import parse_card

    page = HtmlResponse(url=SITE + "/nos-offres/", body=(CSP / "list-page.html").read_bytes(), encoding="utf-8")
    cards = []
    for selector in page.css("li.item .fr-card--offer"):
        card = parse_card(selector)
        # What the card shows: an employer's name, or the kind of employer territorial offers give.
        cards.append({**card, "employer": card["employer"] or card["employer_kind"], "organisation": card["logo"]})
    return cards


VERSANTS = {
    "État": "Fonction publique de l'État",
    "Territoriale": "Fonction publique Territoriale",
    "Hospitalière": "Fonction publique Hospitalière",
}


# Offers of one service (employer and place) share its presentation texts, as they do on the real site.
OFFERS_PER_SERVICE = 5


def postings(count: int) -> list[Posting]:
    """``count`` offers, the same ones for the same count (seeded)."""
    rng = random.Random(16)
    posts, cards = real_posts(), real_cards()
    pool = [paragraph for _, paragraphs in posts for paragraph in paragraphs if len(paragraph) > 200]
    pairs = len({card["employer"] for card in cards}) * len({card["location"] for card in cards})
    services_per_pair = max(1, round(count / OFFERS_PER_SERVICE / pairs))
    start = dt.date(2026, 1, 5)
    found, used = [], set()
    for number in range(count):
        title, paragraphs = posts[number % len(posts)]
        # An employer and a place of two real cards, the first combination not used yet (repeats only
        # once every combination has been used, as re-posts).
        for _ in range(50):
            employer, place = rng.choice(cards), rng.choice(cards)
            if (title, employer["employer"], place["location"]) not in used:
                break
        used.add((title, employer["employer"], place["location"]))
        card = {**employer, "location": place["location"]}
        # As long as the real page's: missions about 1,300 characters, a profile about 300.
        missions, profile, size = [], [], 0
        for paragraph in paragraphs:
            if size < 1100 or not missions:
                missions.append(paragraph)
                size += len(paragraph)
            elif not profile:
                profile.append(paragraph[:400])
        service = hash_text(f"{card['employer']}|{card['location']}|{rng.randrange(services_per_pair)}")
        found.append(
            Posting(
                number=number,
                ref=f"2026-{3_000_000 + number}",
                title=title[:150],
                employer=card["employer"],
                organisation=card["organisation"] or "",
                location=card["location"],
                versant=VERSANTS[card["versant"]],
                domain=card["domain"] or "Ressources humaines",
                published=start + dt.timedelta(days=rng.randrange(330)),
                missions=missions,
                profile=profile or [paragraphs[-1]],
                about=pool[service % len(pool)] + " " + pool[(service // 7) % len(pool)],
                service=pool[(service // 49) % len(pool)],
                information=pool[(service // 343) % len(pool)][:500],
            )
        )
    return found


def hash_text(text: str) -> int:
    """A stable number for a text (Python's hash() changes from one process to the next)."""
    import hashlib

    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")


def _html_lines(paragraphs: list[str]) -> str:
    return "".join(f"<p>{html.escape(paragraph, quote=False)}</p>" for paragraph in paragraphs)


class Templates:
    """The real pages cut where an offer's values go (``str.format`` fields)."""

    @cached_property
    def offer(self) -> str:
        page = (CSP / "offer-state.html").read_text(encoding="utf-8").replace("{", "{{").replace("}", "}}")
        missions = re.search(
            r'(<h2>Vos missions en quelques mots</h2>\s*<div >\s*<div class=" fr-mb-3w">)(.*?)(</div>)', page, re.S
        )
        page = page[: missions.end(1)] + "{missions}" + page[missions.start(3) :]
        profile = re.search(r'(<h2 class="fr-mt-8w">Profil recherché</h2>\s*<div >\s*<div >)(.*?)(</div>)', page, re.S)
        page = page[: profile.end(1)] + "{profile}" + page[profile.start(3) :]
        for pattern, field in (
            (r'(<div class="text-clamp--text">\s*)(<p>.*?</p>)', "{about}"),
            (r'(<h3 class="fr-mt-4w">Descriptif du service</h3>\s*)(<p>.*?</p>)', "{service}"),
            (
                r'(aria-controls="accordion-[0-9a-f]+">Informations complémentaires</button>.*?'
                r'<div class="fr-collapse rte" id="accordion-[0-9a-f]+">\s*)(<p>.*?</p>)',
                "{information}",
            ),
        ):
            section = re.search(pattern, page, re.S)
            page = page[: section.end(1)] + field + page[section.end(2) :]
        json_ld = re.search(r'(<script type="application/ld\+json">)(.*?)(</script>)', page, re.S)
        page = page[: json_ld.end(1)] + "{json_ld}" + page[json_ld.start(3) :]
        snippet = re.compile(r'(content="\n)Le recrutement du personnel civil[^"]*\.\.\.(")')
        page = snippet.sub(r"\1{snippet}\2", page)
        page = page.replace('value="Fonction Publique de l\'Etat"', 'value="{versant}"')
        for name in ("day", "month", "year"):
            page = re.sub(
                rf'(id="content_startPublicationDate_{name}" value=")[^"]*(")', rf"\1{{published_{name}}}\2", page
            )
        replacements = [
            (REAL_TITLE, "{title}"),
            (REAL_TITLE_LOWER, "{title}"),
            (REAL_SLUG, "{slug}"),
            (REAL_REF, "{ref}"),
            (REAL_REF.lower(), "{ref_lower}"),
            (REAL_EMPLOYER, "{employer}"),
            (REAL_LOCATION, "{location}"),
            ("Hauts-de-Seine (92)", "{location}"),
            (REAL_EMAIL, "{email}"),
            ('alt="Ministère des Armées"', 'alt="{organisation}"'),
            ("Fonction publique de l'État", "{versant}"),
            ("Ressources humaines", "{domain}"),
        ]
        for real, field in replacements:
            page = page.replace(real, field)
        return page

    @cached_property
    def listing(self) -> tuple[str, str, str]:
        """(before the cards, one card, after the cards) of the real listing page."""
        page = (CSP / "list-page.html").read_text(encoding="utf-8").replace("{", "{{").replace("}", "}}")
        first = page.index('<li class="fr-col-12 item">')
        second = page.index('<li class="fr-col-12 item">', first + 1)
        card = page[first:second]
        card = re.sub(r'href="https://choisirleservicepublic\.gouv\.fr/offre-emploi/[^"]*"', 'href="{url}"', card)
        place = re.compile(r'(<span class="sr-only">Localisation : </span>\s*)[^<]*<strong>[^<]*</strong>')
        card = place.sub(r"\1{place}", card)
        card = re.sub(r"En ligne depuis le [^<]*?(\s*</li>)", r"En ligne depuis le {published}\1", card)
        card = re.sub(r'(class="fr-responsive-img is-icon" src="[^"]*" alt=")[^"]*(")', r"\1{organisation}\2", card)
        for real, field in (
            (REAL_TITLE, "{title}"),
            (REAL_EMPLOYER, "{employer}"),
            ("Fonction publique de l'État", "{versant}"),
            ("Ressources humaines", "{domain}"),
        ):
            card = card.replace(real, field)
        return page[:first], card, "</ul>\n{pagination}</body></html>\n"


FRENCH_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def listing_path(keyword: str, page: int) -> str:
    """A keyword search's listing page, as the site (and veille's crawler.boards.csp.search_path) writes it."""
    path = f"/nos-offres/filtres/mot-cles/{quote(keyword, safe='')}/"
    return path if page == 1 else f"{path}page/{page}/"


def keywords_for(count: int) -> list[str]:
    """The keyword searches that list ``count`` offers."""
    searches = -(-count // (PER_PAGE * MAX_PAGES))
    if searches > len(KEYWORDS):
        raise ValueError(f"at most {len(KEYWORDS) * PER_PAGE * MAX_PAGES:,} offers")
    return KEYWORDS[:searches]


class Site:
    """The pages of ``count`` offers, rendered on demand."""

    def __init__(self, count: int):
        self.postings = postings(count)
        self.by_path = {posting.path: posting for posting in self.postings}
        self.templates = Templates()
        self.keywords = keywords_for(count)
        share = -(-count // len(self.keywords))
        # Each keyword's offers, in the order its listing shows them.
        self.listed = {keyword: self.postings[n * share : (n + 1) * share] for n, keyword in enumerate(self.keywords)}

    def pages_of(self, keyword: str) -> int:
        return max(1, -(-len(self.listed[keyword]) // PER_PAGE))

    @property
    def listing_pages(self) -> int:
        return sum(self.pages_of(keyword) for keyword in self.keywords)

    def offer_page(self, posting: Posting) -> bytes:
        escape = html.escape
        title = escape(posting.title)
        json_ld = {
            "@context": "https://schema.org/",
            "@type": "JobPosting",
            "title": posting.title,
            "addressLocality": f"{posting.location}, France",
            "hiringOrganization": posting.employer,
            "experienceRequirements": "Débutant",
            "Description": "\n" + " ".join(posting.missions) + "\n",
            "datePosted": f"{posting.published:%d/%m/%Y}",
            "industry": posting.domain,
        }
        snippet = " ".join(posting.missions)[:150] + "..."
        return self.templates.offer.format(
            title=title,
            slug=posting.slug,
            ref=posting.ref,
            ref_lower=posting.ref.lower(),
            employer=escape(posting.employer),
            location=escape(posting.location),
            email=posting.email,
            organisation=escape(posting.organisation),
            versant=escape(posting.versant),
            domain=escape(posting.domain),
            missions=_html_lines(posting.missions),
            profile=_html_lines(posting.profile),
            about=_html_lines([posting.about]),
            service=_html_lines([posting.service]),
            information=_html_lines([posting.information]),
            json_ld=json.dumps(json_ld, ensure_ascii=True).replace("/", "\\/"),
            snippet=escape(snippet),
            published_day=f"{posting.published.day:02d}",
            published_month=f"{posting.published.month:02d}",
            published_year=str(posting.published.year),
        ).encode("utf-8")

    def listing_page(self, keyword: str, page: int) -> bytes:
        head, card, tail = self.templates.listing
        escape = html.escape
        cards = []
        for posting in self.listed[keyword][(page - 1) * PER_PAGE : page * PER_PAGE]:
            published = posting.published
            cards.append(
                card.format(
                    url=SITE + posting.path,
                    title=escape(posting.title),
                    employer=escape(posting.employer),
                    versant=escape(posting.versant),
                    domain=escape(posting.domain),
                    organisation=escape(posting.organisation),
                    place=escape(posting.location),
                    published=f"{published.day:02d} {FRENCH_MONTHS[published.month - 1]} {published.year}",
                )
            )
        pagination = self._pagination(keyword, page)
        return (head + "".join(cards) + tail.format(pagination=pagination)).encode("utf-8")

    def _pagination(self, keyword: str, page: int) -> str:
        if page >= self.pages_of(keyword):
            return '<nav class="fr-pagination" aria-label="Pagination"><ul class="fr-pagination__list"></ul></nav>\n'
        link = SITE + listing_path(keyword, page + 1)
        return (
            '<nav role="navigation" class="fr-pagination" aria-label="Pagination"><ul class="fr-pagination__list">'
            f'<li><a class="fr-pagination__link fr-pagination__link--next" href="{link}">Page suivante</a></li>'
            "</ul></nav>\n"
        )

    def answer(self, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) for a requested path."""
        if path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow: /wp-admin/\n", "text/plain; charset=utf-8"
        posting = self.by_path.get(path)
        if posting is not None:
            return 200, self.offer_page(posting), "text/html; charset=utf-8"
        for keyword in self.keywords:
            listing = listing_path(keyword, 1)
            if path == listing:
                return 200, self.listing_page(keyword, 1), "text/html; charset=utf-8"
            if path.startswith(listing + "page/"):
                number = unquote(path[len(listing) + len("page/") :]).strip("/")
                if number.isdigit() and 1 <= int(number) <= self.pages_of(keyword):
                    return 200, self.listing_page(keyword, int(number)), "text/html; charset=utf-8"
        return 404, b"<html><body><h1>404</h1></body></html>", "text/html; charset=utf-8"


def serve(count: int) -> None:
    """Serve the site of ``count`` offers on 127.0.0.1, print its URL, and serve until stdin closes."""
    site = Site(count)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            status, body, content_type = site.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()
    server.shutdown()


class ServedSite:
    """``with ServedSite(count) as url:`` the site, served by another process (its CPU is not the crawl's)."""

    def __init__(self, count: int):
        self.count = count

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        url = self.process.stdout.readline().decode().strip()
        if not url.startswith("http://"):
            self.process.kill()
            raise RuntimeError("the benchmark site did not start")
        return url

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    serve(int(sys.argv[2]))
