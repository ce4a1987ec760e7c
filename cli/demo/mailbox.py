"""The demo's mailbox: an SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is given.

The demo's alert goes out the way a real one does (apprise's ``mailto://``, over SMTP) and lands
here instead of in someone's inbox: each message is saved as ``.eml`` (as received) and ``.html``
(its HTML part, to open in a browser).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    message: EmailMessage
    eml: Path
    html: Path | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        """The message's plain-text part (what a mail client without HTML shows)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class Mailbox:
    """``with Mailbox(directory) as box: box.url(to=…)`` → a ``mailto://`` URL apprise sends to."""

    def __init__(self, directory: Path, name: str = "alerte"):
        self.directory = Path(directory)
        self.name = name
        self.port = free_port()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            stem = self.name if not self.received else f"{self.name}-{len(self.received) + 1}"
            eml = self.directory / f"{stem}.eml"
            eml.write_bytes(envelope.content)
            html_part = message.get_body(preferencelist=("html",))
            html = None
            if html_part is not None:
                html = self.directory / f"{stem}.html"
                html.write_text(html_part.get_content(), encoding="utf-8")
            self.received.append(Received(message, eml, html))
        return "250 Message accepted for delivery"

    def url(self, *, to: str, sender: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}"

    def start(self) -> Mailbox:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
