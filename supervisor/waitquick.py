"""`wait`'s quick path (issue 16): a container's exit code without the engine.

`wait` used to load the engine and decode the container's config (the model, dataclasses,
every option module) to learn two things: whether a restart policy may run the container
again, and its exit code. Neither needs the model: the policy is two fields of the stored
JSON (read by SQLite's `json_extract`, nothing decoded here) and the code is the row's column
or, once the container exited, the monitor's exit record (the one the engine's `wait`
answers from, supervisor/container/wait.py). So:

- a container that is not active (created, exited): the row's exit code, when its cleanup
  ran or its monitor still lives (its exit command finishes it): what the engine's `wait`
  answers after a reconciliation that changes nothing then;
- a running one without a restart policy or a health restart: the monitor's final exit
  record, there already or waited for (inotify on its directory, the monitor's pidfd:
  supervisor/exitwatch.py).

Anything else goes the engine's way (`wait_quick` returns None), which gives the same answers:
paused or initialized, a restart policy, a cleanup that died half-way, a monitor gone without
a record, a row of another boot, a change a full disk kept from being saved, another config
schema. A name that matches nothing raises the store's NotFoundError, as the engine's lookup.

Standard library, `conmon.protocol` and the light `supervisor` modules only
(tests/unit/test_cli_imports.py pins what `wait` loads).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from conmon.protocol import ExitRecord
    from supervisor.settings import Settings
    from supervisor.store import Store

FOREVER = 365 * 24 * 3600.0  # `wait` has no timeout


def wait_quick(settings: Settings, ref: str) -> int | None:
    """The container's exit code once it exited, or None: the engine's path."""
    from supervisor.store import CONFIG_SCHEMA, Store

    store = Store(settings.paths)  # the engine's would make the same
    try:
        row = store.find_container_state(ref)  # not found, ambiguous: the engine's errors
        if row is None:
            return None
        if row["status"] in ("created", "exited"):
            return _inactive(row)
        if row["status"] != "running":
            return None
        schema, restart, on_failure = _policy(store, str(row["id"]))
    finally:
        store.close()
    if schema != CONFIG_SCHEMA or restart != "no" or on_failure == "restart":
        return None
    return _running(settings, row)


def _inactive(row: dict[str, Any]) -> int | None:
    from supervisor.procs import alive

    if row["cleaned"] or alive(row["monitor_pid"], row["monitor_start"]):
        return int(row["exit_code"])
    return None  # a cleanup that died half-way: the engine's reconciliation finishes it


def _policy(store: Store, cid: str) -> tuple[Any, Any, Any]:
    """The config's schema, restart policy name and health check's on-failure action."""
    rows = store.query("SELECT json_extract(config, '$.schema'),"
                       " json_extract(config, '$.restart.name'),"
                       " json_extract(config, '$.healthcheck.on_failure')"
                       " FROM containers WHERE id = ?", (cid,))  # fmt: skip
    return (None, None, None) if not rows else tuple(rows[0])


def _running(settings: Settings, row: dict[str, Any]) -> int | None:
    from supervisor.exitwatch import wait_exists
    from supervisor.procs import alive, boot_id

    _decoder()  # loaded before the wait: the exit is answered without imports in between
    if row["boot_id"] != boot_id():
        return None  # a run of another boot: the engine's reconciliation says what became of it
    path = settings.paths.exit_file(str(row["id"]))
    if os.path.exists(path):
        return _final_code(path)
    pid, started = int(row["monitor_pid"]), str(row["monitor_start"])
    try:
        fd = os.pidfd_open(pid)
    except OSError:  # gone (or no pidfd_open): the engine's path
        return None
    try:
        if not alive(pid, started):  # gone, or the pid reused before the open
            return _final_code(path)
        wait_exists(path, FOREVER, (fd,))  # the record's rename, or the monitor's end
    finally:
        os.close(fd)
    return _final_code(path)


def _final_code(path: str) -> int | None:
    """The exit code of the monitor's record when it is the last word of this run (not a
    restart's); None when there is none or it cannot be read."""
    decode = _decoder()
    try:
        with open(path, "rb") as f:
            rec = decode(f.read())
    except (OSError, ValueError):
        return None
    return None if rec.restart else rec.exit_code


def _decoder() -> Callable[[bytes], ExitRecord]:
    """The monitor's exit record decoder (conmon's), with JSON read by `jsonlite`: not
    `json`, which loads re."""
    from functools import partial

    from conmon.protocol import decode_exit
    from supervisor import jsonlite

    return partial(decode_exit, loads=jsonlite.loads)
