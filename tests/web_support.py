"""``veille web`` for tests: the real application on a real uvicorn server on 127.0.0.1, in a thread,
writing to a loopback SMTP server (tests/alerts_support.py).

The fixture ``web_site`` is registered for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from alerts.settings import Web
from storage import open_db
from tests.alerts_support import free_port

SECRET = "test-secret-key-not-for-production"


@dataclass
class WebSite:
    url: str
    db_path: Path
    web: Web
    server: uvicorn.Server
    thread: threading.Thread

    def db(self):
        return open_db(self.db_path)

    def client(self, ip: str | None = None) -> httpx.Client:
        """A visitor; ``ip`` is the address a trusted reverse proxy says it comes from (X-Forwarded-For)."""
        headers = {"x-forwarded-for": ip} if ip else {}
        return httpx.Client(base_url=self.url, headers=headers, follow_redirects=False, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def heading(page: httpx.Response) -> str:
    return re.search(r"<h1>(.*?)</h1>", page.text, re.DOTALL).group(1).strip()


def links_in(text: str, prefix: str) -> list[str]:
    """Every URL starting with ``prefix`` in a text or an HTML body (HTML entities undone)."""
    return [url.replace("&amp;", "&") for url in re.findall(re.escape(prefix) + r"[^\s\"'<>]*", text)]


def start_web_site(db_path: Path, *, smtp_port: int | None = None, **settings) -> WebSite:
    from web.app import create_app, server_options

    port = free_port()
    web = Web(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else None,
        sender="veille@example.org",
        **settings,
    )
    app = create_app(web, db_path, secret=SECRET)
    config = uvicorn.Config(app, lifespan="on", **server_options(web))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the web server did not start"
    return WebSite(f"http://127.0.0.1:{port}", db_path, web, server, thread)


@pytest.fixture
def web_site(tmp_path, smtp_server, monkeypatch):
    """Start ``veille web`` on the database ``tmp_path/veille.db`` (call with settings of [web] to change);
    its e-mail goes to a loopback SMTP server (``site.smtp``)."""
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    sites = []

    def start(**settings) -> WebSite:
        smtp = smtp_server()
        site = start_web_site(tmp_path / "veille.db", smtp_port=smtp.port, **settings)
        site.smtp = smtp
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()
