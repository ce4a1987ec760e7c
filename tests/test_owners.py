"""Who owns a "running" row and whether it still runs (storage/owners.py): by the process's identity and
its lock, not by its pid, which a container's next start reuses."""

import os
import signal

from storage import open_db
from storage.owners import alive, identity
from storage.runs import get_run, start_run


def in_child(work) -> tuple[int, str]:
    """Fork a child that runs ``work``, tells its answer, then waits to be killed: (its pid, the answer)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into the test run
        try:
            os.close(read)
            os.write(write, str(work()).encode())
            os.close(write)
            signal.pause()
        finally:
            os._exit(0)
    os.close(write)
    try:
        answer = os.read(read, 100).decode()
    finally:
        os.close(read)
    if not answer:
        kill(pid)
        raise AssertionError("the child failed")
    return pid, answer


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def test_a_run_is_running_while_its_process_lives_and_interrupted_once_it_was_killed(tmp_path):
    path = tmp_path / "veille.db"
    parent_pid = os.getpid()

    def start_as_the_parent_s_pid():
        # The child has the parent's pid, as a container's PID 1 has its dead predecessor's.
        os.getpid = lambda: parent_pid
        return start_run(open_db(path), "dinum")

    child, run_id = in_child(start_as_the_parent_s_pid)
    db = open_db(path)
    try:
        run = get_run(db, int(run_id))
        assert run["pid"] == parent_pid and run["owner"] != identity()
        assert run["status"] == "running"
    finally:
        kill(child)
    assert get_run(db, int(run_id))["status"] == "interrupted"


def test_an_owner_is_alive_until_killed_and_this_process_always_is(tmp_path):
    path = tmp_path / "veille.db"
    child, run_id = in_child(lambda: start_run(open_db(path), "dinum"))
    db = open_db(path)
    try:
        owner = get_run(db, int(run_id))["owner"]
        assert f"pid {child} run " in owner
        assert alive(db, owner)
    finally:
        kill(child)
    assert not alive(db, owner)
    assert not alive(db, owner)  # asked again: still dead
    assert alive(db, identity())
