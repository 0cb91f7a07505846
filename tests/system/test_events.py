"""events (issue 14) under a real systemd: the default backend is journald, each event one
journal entry written by the process that caused it, and `events` reads (and follows) them."""

from __future__ import annotations

import json
import os
import selectors
import time

import pytest

from tests import cases
from tests.clihelp import Scopebox
from tests.system.test_cli_systemd import journal

pytestmark = pytest.mark.systemd

LIFE = ["create", "init", "start", "attach", "died", "cleanup", "remove"]


def test_journald_is_the_default_backend(sb: Scopebox) -> None:
    assert sb("info", "--format", "{{.Host.EventLogger}}").stdout.strip() == "journald"


def test_a_run_is_journal_entries_and_events_reads_them(sb: Scopebox) -> None:
    name = cases.unique("evj")
    res = sb("run", "--rm", "--name", name, "--label", "k=v", "busybox", "sh", "-c", "exit 3",
             check=False)  # fmt: skip
    assert res.returncode == 3
    entries = journal("SYSLOG_IDENTIFIER=scopebox", f"SCOPEBOX_NAME={name}")
    assert [e["SCOPEBOX_EVENT"] for e in entries] == LIFE
    died = entries[LIFE.index("died")]
    assert died["SCOPEBOX_EXIT_CODE"] == "3" and died["SCOPEBOX_TYPE"] == "container"
    assert json.loads(died["SCOPEBOX_LABELS"]) == {"k": "v"}
    assert f" container died {died['SCOPEBOX_ID']} (image=" in died["MESSAGE"]
    out = sb("events", "--stream=false", "--filter", f"container={name}", "--format", "json")
    got = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["Status"] for e in got] == LIFE
    assert got[LIFE.index("died")]["ContainerExitCode"] == 3
    assert all(e["Attributes"] == {"k": "v"} for e in got)


def test_follow_the_journal(sb: Scopebox) -> None:
    name = cases.unique("evf")
    proc = sb.popen("events", "--filter", f"container={name}", "--format", "{{.Status}}")
    try:
        time.sleep(0.5)
        sb("run", "--rm", "--name", name, "busybox", "true")
        assert proc.stdout is not None
        fd, buf, lines = proc.stdout.fileno(), b"", []
        deadline = time.monotonic() + 20
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ)
        while "remove" not in lines:
            left = deadline - time.monotonic()
            assert left > 0 and sel.select(left), lines
            chunk = os.read(fd, 65536)
            assert chunk, lines
            buf += chunk
            *done, buf = buf.split(b"\n")
            lines += [d.decode() for d in done]
        assert lines == LIFE
    finally:
        proc.terminate()
        proc.wait(10)
