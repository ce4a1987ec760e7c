"""Real loopback servers for alert tests: an SMTP server (aiosmtpd) and an HTTP webhook sink.

The fixtures ``smtp_server`` and ``webhook_sink`` are registered for every test by
``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from storage.offers import store_offers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1.

    ``hold_after(n, stage)`` stalls the (n+1)th message until ``release()``, to catch
    a sender in the middle of a send: at "RCPT" the message has not been
    transferred yet; at "DATA" it has been received in full and only the server's
    "250 accepted" is missing.
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []
        self._controller: Controller | None = None
        self._hold_after: int | None = None
        self._hold_stage = "DATA"
        self.holding = threading.Event()
        self._release = threading.Event()

    async def _hold(self, stage: str, received: int) -> None:
        if self._hold_after is not None and self._hold_stage == stage and received > self._hold_after:
            self.holding.set()
            while not self._release.is_set():
                await asyncio.sleep(0.02)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's naming)
        await self._hold("RCPT", len(self.messages) + 1)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        await self._hold("DATA", len(self.messages))
        return "250 Message accepted for delivery"

    def url(self, to: str = "alice@example.org", **options) -> str:
        query = "&".join(f"{key}={value}" for key, value in {"from": "veille@example.org", "to": to, **options}.items())
        return f"mailto://127.0.0.1:{self.port}?{query}"

    def start(self) -> SmtpServer:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._release.set()
            self._controller.stop()
            self._controller = None

    def hold_after(self, count: int, stage: str = "DATA") -> None:
        self._hold_after, self._hold_stage = count, stage
        self.holding.clear()
        self._release.clear()

    def release(self) -> None:
        self._hold_after = None
        self._release.set()

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)


class WebhookSink:
    """An HTTP server on 127.0.0.1 recording every POST (and GET, for heartbeats);
    answers with the next status of ``statuses`` (200 once they run out), a status or a
    (status, headers) pair. ``hold_after(n)`` stalls the answer to the (n+1)th POST, once its
    body is received and recorded, until ``release()``: a sender caught there does not know
    its message arrived."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self._hold_after: int | None = None
        self.holding = threading.Event()
        self._release = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = sink.statuses.pop(0) if sink.statuses else 200
                status, headers = status if isinstance(status, tuple) else (status, {})
                sink.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "status": status,
                    }
                )
                posts = sum(1 for request in sink.requests if request["method"] == "POST")
                if self.command == "POST" and sink._hold_after is not None and posts > sink._hold_after:
                    sink.holding.set()
                    sink._release.wait(60)
                answer = b"ok" if status < 400 else b"server error"
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender was killed while its answer was held

            do_GET = do_POST  # noqa: N815

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def json_bodies(self, path: str | None = None) -> list[dict]:
        return [
            json.loads(request["body"])
            for request in self.requests
            if request["method"] == "POST" and path in (None, request["path"])
        ]

    def hold_after(self, count: int) -> None:
        self._hold_after = count
        self.holding.clear()
        self._release.clear()

    def release(self) -> None:
        self._hold_after = None
        self._release.set()

    def start(self) -> WebhookSink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_server():
    servers = []

    def start(port: int | None = None, *, running: bool = True) -> SmtpServer:
        server = SmtpServer(port)
        servers.append(server)
        return server.start() if running else server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def webhook_sink():
    sink = WebhookSink().start()
    yield sink
    sink.stop()


def offer(source_id: str, title: str, **fields) -> dict:
    """A valid offer dict; ``fields`` override the defaults."""
    data = {
        "source": "choisirleservicepublic",
        "source_id": source_id,
        "url": f"https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-{source_id}/",
        "title": title,
        "employer": "Ministère de l'Intérieur",
        "location": "Paris (75)",
        "department": "75",
        "deadline": "2099-12-31",
        "published_on": "2026-10-02",
    }
    data.update(fields)
    return data


def store(db, *offers: dict) -> None:
    from crawler.items import validate_offer

    store_offers(db, [validate_offer(item) for item in offers])
