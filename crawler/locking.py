"""One veille run at a time per database: a lock file next to it.

Two cron lines, or cron and the scheduler, must never crawl and send at once.
The lock is an ``flock`` on ``.<database name>.lock`` in the database's
directory: the kernel releases it when the holder dies, so a crashed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from pathlib import Path


class RunLock:
    def __init__(self, database: Path):
        database = Path(database)
        self.path = database.parent / f".{database.name}.lock"
        self._handle = None

    def acquire(self) -> bool:
        """Take the lock if it is free; False at once if another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n")
        handle.flush()
        self._handle = handle
        return True

    def holder(self) -> str:
        """ "pid 1234 since 2026-11-24T08:00:00+01:00", as the holder wrote it."""
        try:
            pid, since = self.path.read_text(encoding="utf-8").split()[:2]
        except (OSError, ValueError):
            return "another process"
        return f"pid {pid} since {since}"

    def release(self) -> None:
        if self._handle:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
