"""Job boards that official sites link out to, and the parser of each.

The DITP's site and configured careers pages often list offers that are
published on a board (CSP, Passerelles, HelloWork). Such a link is fetched on
the board (at the ``base_url`` configured for it, so tests and ``veille demo``
can serve it on 127.0.0.1) and parsed by that board's own parser.

How it is recorded: the offer belongs to the source that found it
(``source = "modernisation"``, or the configured site's name), keeps the
board's own reference in ``source_id`` (CSP "DEF_15-00064919", Passerelles
"2024-17971", HelloWork's number), its real board URL in ``url``, and
``raw["board"]`` names the board. So each row is written by one spider only,
``veille offers --source modernisation`` lists every DITP offer wherever it is
published, and the same job seen by the CSP spider shares its ``source_id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.utils.misc import load_object

from crawler.boards.csp import reference_from_url
from crawler.config import Config


@dataclass(frozen=True)
class Board:
    name: str  # also its section in veille.toml: [sources.<name>] base_url
    host: re.Pattern
    offer_path: re.Pattern
    parser: str  # "module.function", loaded when first used
    number: Callable[[str], str | None]  # the offer's id as its URL shows it
    # "module.function"(response, number): why a page is not the offer its URL names, or None.
    markers: str | None = None

    def parse(self, response):
        return load_object(self.parser)(response)

    def page_problem(self, response, url: str) -> str | None:
        """Why the page fetched for offer ``url`` is not that offer's page (None when it is, or
        when the board has no markers to check)."""
        return load_object(self.markers)(response, self.number(url)) if self.markers else None

    def is_known(self, url: str, known: set[str]) -> bool:
        """Whether the offer behind ``url`` is stored already. A Passerelles URL shows
        only the number of its reference ("17971" of "2024-17971")."""
        number = self.number(url)
        return bool(number) and (number in known or any(ref.endswith(f"-{number}") for ref in known))


def _number(pattern: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern)

    def number(url: str) -> str | None:
        match = compiled.search(urlsplit(url).path)
        return match.group(1) if match else None

    return number


BOARDS = (
    Board(
        "choisirleservicepublic",
        re.compile(r"^(www\.)?choisirleservicepublic\.gouv\.fr$|^(www\.)?place-emploi-public\.gouv\.fr$"),
        re.compile(r"/offre-emploi/.+-reference-"),
        "crawler.boards.csp.parse_offer",
        reference_from_url,
        "crawler.boards.csp.offer_page_problem",
    ),
    Board(
        "passerelles",
        re.compile(r"^(www\.)?passerelles\.economie\.gouv\.fr$"),
        re.compile(r"/offre-de-emploi/.*_\d+\.aspx", re.IGNORECASE),
        "crawler.boards.passerelles.parse_offer",
        _number(r"_(\d+)\.aspx"),
    ),
    Board(
        "hellowork",
        re.compile(r"^(www\.)?hellowork\.com$"),
        re.compile(r"/emplois/\d+\.html"),
        "crawler.boards.hellowork.parse_offer",
        _number(r"/emplois/(\d+)\.html"),
    ),
)


def board_for_url(url: str) -> Board | None:
    """The board an offer URL is on, if it is one veille can parse."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return next((board for board in BOARDS if board.host.match(host) and board.offer_path.search(parts.path)), None)


def board_named(name: str) -> Board:
    return next(board for board in BOARDS if board.name == name)


def board_fetch_url(board: Board, url: str, config: Config) -> str:
    """Where to fetch a board's page: the real URL moved onto the board's configured base_url."""
    base = getattr(config.sources, board.name).base_url.rstrip("/")
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return base + rest


def parse_board_offer(board: Board, response, *, source: str, url: str):
    """The board's parser on its page; the offer is recorded as the finding source's (see above)."""
    offer = board.parse(response)
    if offer is None:
        return None
    offer.source = source
    offer.url = url
    offer.raw["board"] = board.name
    return offer
