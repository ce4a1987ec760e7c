"""A loopback HTTP server that replays recorded pages at their real paths.

Used by ``veille demo`` and by the end-to-end tests: the real Scrapy engine
crawls it exactly as it would crawl the live site. Each source's recorded
pages are listed in a ``replay.toml`` next to them::

    [[page]]
    path = "/nos-offres/filtres/mot-cles/charg%C3%A9%20de%20recrutement/"
    file = "list-page-paginated-handmade.html"

A route can also answer with a status, headers, a delay or a body cut short,
which is how the tests play a 500, a 429 with Retry-After, a timeout or a
truncated transfer. Loaded with a :class:`~cli.demo.timeshift.DateShift`, a
recorded site serves its pages with every date moved (paths too: DILA's archive
names are dates); the files themselves are never changed.
"""

from __future__ import annotations

import threading
import time
import tomllib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cli.demo.timeshift import DateShift

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".gz": "application/gzip",
}


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Send only this many bytes of the body while announcing its full length.
    cut_at: int | None = None
    content_type: str = "text/html; charset=utf-8"


class ReplaySite:
    """``with ReplaySite() as site: site.add(path, body); site.url`` → http://127.0.0.1:PORT"""

    def __init__(self):
        # A path answers with its routes in turn, the last one repeating.
        self.routes: dict[str, list[Route]] = {}
        self.log: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request
        self.user_agents: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routes -----------------------------------------------------------------------

    def add(self, path: str, body: bytes | str = b"", **options) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = [Route(body=body, **options)]

    def add_sequence(self, path: str, routes: list[Route]) -> None:
        """Answer the n-th request for ``path`` with ``routes[n]`` (the last one repeats)."""
        self.routes[path] = list(routes)

    def add_file(self, path: str, file: Path, **options) -> None:
        file = Path(file)
        options.setdefault("content_type", CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
        self.add(path, file.read_bytes(), **options)

    def load_manifest(self, manifest: Path, shift: DateShift | None = None) -> None:
        """Add every ``[[page]]`` of a replay.toml (paths relative to its directory), its dates moved
        by ``shift`` when given."""
        manifest = Path(manifest)
        with manifest.open("rb") as handle:
            data = tomllib.load(handle)
        for page in data.get("page", []):
            options = {key: page[key] for key in ("status", "headers", "delay") if key in page}
            file = manifest.parent / page["file"]
            if shift is None:
                self.add_file(page["path"], file, **options)
            else:
                options.setdefault("content_type", CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
                self.add(shift.text(page["path"]), shift.body(file.read_bytes(), file.name), **options)

    # -- server -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requested(self, prefix: str = "") -> list[str]:
        """Paths requested so far, in order, that start with ``prefix``."""
        with self._lock:
            return [path for _, path in self.log if path.startswith(prefix)]

    def times_of(self, path: str) -> list[float]:
        with self._lock:
            return [when for when, requested in self.log if requested == path]

    def start(self) -> ReplaySite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                with site._lock:
                    hits = sum(1 for _, path in site.log if path == self.path)
                    site.log.append((time.monotonic(), self.path))
                    site.user_agents.add(self.headers.get("User-Agent", ""))
                routes = site.routes.get(self.path) or site.routes.get(self.path.split("?", 1)[0])
                if routes:
                    route = routes[min(hits, len(routes) - 1)]
                else:
                    route = Route(body=b"<html><body><h1>404 Not Found</h1></body></html>", status=404)
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    for name, value in route.headers.items():
                        self.send_header(name, str(value))
                    self.send_header("Content-Length", str(len(route.body)))
                    if route.cut_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(route.body if route.cut_at is None else route.body[: route.cut_at])
                    self.wfile.flush()
                    if route.cut_at is not None:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout); nothing to answer

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReplaySite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
