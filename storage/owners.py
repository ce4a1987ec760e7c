"""Who owns a row that says "in progress" (a crawl running, a message being sent), and whether it still runs.

A pid alone cannot say: veille as a container's entrypoint is PID 1 on every start, so a
dead predecessor and the process asking share their pid, and another container sharing the
database has its own PID 1 too. So each process has an *identity*: its boot, its pid and a
random run id (:func:`identity`), written in the rows it owns (``runs.owner``,
``alert_deliveries.owner``). While it owns rows of a database it holds a lock on a file of
its own next to the database (``.<database name>.owners/<run id>``, :func:`hold`); the
kernel releases that lock when the process ends, however it ends (SIGKILL included), and
another process tells a live owner from a dead one by trying to take it (:func:`alive`).
"""

from __future__ import annotations

import atexit
import fcntl
import os
import secrets
from pathlib import Path

from sqlite_utils import Database

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
# This process's (pid, identity, run id), made on first use, made again in a forked child.
_identity: tuple[int, str, str] | None = None
# The lock files this process holds, by path: open for as long as it runs.
_held: dict[Path, object] = {}


def _boot() -> str:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()[:8] or "?"
    except OSError:
        return "?"


def identity() -> str:
    """This process: "boot <boot id> pid <pid> run <random id>", different for every process ever run."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        run = secrets.token_hex(6)
        _identity = (pid, f"boot {_boot()} pid {pid} run {run}", run)
    return _identity[1]


def _run_id(owner: str) -> str:
    return owner.rsplit(" run ", 1)[-1]


def _directory(db: Database) -> Path | None:
    """Where the owners' lock files of ``db`` are; None for a database without a file."""
    for _, name, file in db.execute("pragma database_list").fetchall():
        if name == "main" and file:
            path = Path(file)
            return path.parent / f".{path.name}.owners"
    return None


def hold(db: Database) -> str:
    """This process's identity, its lock next to ``db`` taken (once) for as long as it runs: call it
    before writing a row that says this process is at work."""
    me = identity()
    directory = _directory(db)
    if directory is None:
        return me
    path = directory / _run_id(me)
    if path not in _held:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - held open until the process ends
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(me + "\n")
        handle.flush()
        _held[path] = handle
    return me


def alive(db: Database, owner: str | None, pid: int | None = None) -> bool:
    """Whether the process that wrote ``owner`` still runs. Rows written before owners were
    recorded (``owner`` NULL) have only their ``pid`` to go by."""
    if owner is None:
        return pid == os.getpid() or pid_alive(pid)
    if owner == identity():
        return True
    directory = _directory(db)
    if directory is None:
        return True  # nothing to ask: never take a live owner's work
    path = directory / _run_id(owner)
    try:
        handle = open(path, "r+", encoding="utf-8")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return False  # it ended (its file went with it) or was found dead before
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        path.unlink(missing_ok=True)  # dead: nobody will ask about it again
        return False


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id runs on this machine, in this PID namespace."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _release_all() -> None:
    """At a normal exit: the lock files go (the locks go with the process anyway)."""
    for path, handle in list(_held.items()):
        path.unlink(missing_ok=True)
        handle.close()
    _held.clear()


def _forget_in_child() -> None:
    """A forked child is another process: its own identity and locks. Closing its copies of the
    parent's lock files leaves the parent's locks in place (the parent's descriptors hold them)."""
    global _identity
    _identity = None
    for handle in _held.values():
        handle.close()
    _held.clear()


atexit.register(_release_all)
os.register_at_fork(after_in_child=_forget_in_child)
