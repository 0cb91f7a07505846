"""`stats` and `top` on the bare host: numbers read back from the kernel's cgroup files."""

from __future__ import annotations

import json

import pytest

from tests import cases
from tests.clihelp import Scopebox, wait_for

pytestmark = pytest.mark.host

_DECIMAL = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def _size(text: str) -> float:
    """Docker's HumanSize back to bytes: "41.94MB" -> 41940000.0."""
    unit = text.lstrip("0123456789.")
    return float(text[: len(text) - len(unit)]) * _DECIMAL[unit]


def _stats(sb: Scopebox, name: str) -> dict[str, str]:
    out = json.loads(sb("stats", "--no-stream", "--format", "json", name).stdout)
    assert isinstance(out, list) and len(out) == 1
    assert out[0]["name"] == name
    return dict(out[0])


def test_busy_loop_shows_cpu(sb: Scopebox) -> None:
    name, idle = cases.unique("busy"), cases.unique("idle")
    sb("run", "-d", "--name", name, "busybox", "sh", "-c", "while :; do :; done")
    try:
        percent = float(_stats(sb, name)["cpu_percent"].rstrip("%"))
        assert percent > 20, percent
        sb("run", "-d", "--name", idle, "busybox", "sleep", "1000")
        # The default (all running containers) lists both, the busy one far above the idle.
        table = sb("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}")
        rows = {line.split()[0]: line.split()[1:] for line in table.stdout.splitlines()}
        assert float(rows[name][0].rstrip("%")) > 20 and rows[idle][1] == "1", rows
        assert float(rows[idle][0].rstrip("%")) < 5, rows
    finally:
        sb("rm", "-f", name, idle, check=False)


def test_memory_usage_and_limit(sb: Scopebox) -> None:
    name = cases.unique("mem")
    # The shell must outlive the sleep (no exec of a last command) and hold the string.
    script = 'x=$(head -c 40000000 /dev/zero | tr "\\0" a); sleep 1000; echo ${#x}'
    sb("run", "-d", "--name", name, "--memory", "256m", "busybox", "sh", "-c", script)
    try:
        used: list[float] = []

        def allocated() -> bool:
            usage, _, limit = _stats(sb, name)["mem_usage"].partition(" / ")
            used.append(_size(usage))
            return used[-1] > 30e6 and _size(limit) == pytest.approx(268.4e6, rel=1e-3)

        wait_for(allocated, timeout=30, what="40 MB allocated")
        limit = sb("stats", "--no-stream", "--format", "{{.MemLimit}}", name).stdout
        assert int(limit) == 256 * 1024 * 1024
        header = sb("stats", "--no-stream", name).stdout.splitlines()[0].split()
        assert header[:4] == ["ID", "NAME", "CPU", "%"]  # Podman's headers
        assert "MEM USAGE / LIMIT" in sb("stats", "--no-stream", name).stdout
    finally:
        sb("rm", "-f", name)


def test_stopped_container_reads_as_zeros(sb: Scopebox) -> None:
    name = cases.unique("stopped")
    sb("create", "--name", name, "busybox", "true")
    try:
        out = sb("stats", "--no-stream", "-a", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}")
        assert f"{name} 0 0B / 0B" in out.stdout.splitlines()
        assert name not in sb("stats", "--no-stream", "--format", "{{.Name}}").stdout
    finally:
        sb("rm", "-f", name)


def test_top_lists_the_sleep(sb: Scopebox) -> None:
    name = cases.unique("top")
    sb("run", "-d", "--name", name, "busybox", "sh", "-c", "sleep 1000 & sleep 999; wait")
    try:
        pid = 1  # top's pids are the container's (its pid namespace), as Podman's psgo
        wait_for(lambda: "sleep 999" in sb("top", name).stdout, what="both sleeps")
        lines = sb("top", name).stdout.splitlines()  # Podman's (psgo's) default columns
        assert lines[0].split() == ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME",
                                    "COMMAND"]  # fmt: skip
        by_pid = {int(line.split()[1]): line.split() for line in lines[1:]}
        user, _, ppid, _, elapsed, tty, cpu_time, *command = by_pid[pid]
        assert (user, ppid, tty, cpu_time) == ("root", "0", "?", "0s"), lines
        assert elapsed.endswith("s") and float(elapsed.rstrip("ms")) > 0, lines  # Go's form
        assert " ".join(command) == "sh -c sleep 1000 & sleep 999; wait", lines
        commands = [" ".join(v[7:]) for v in by_pid.values()]
        assert "sleep 1000" in commands and "sleep 999" in commands, lines
        assert len(by_pid) == 3, lines
        ppids = sb("top", name, "pid,ppid").stdout.splitlines()[1:]
        assert sorted(line.split()[1] for line in ppids) == ["0", "1", "1"], ppids
        comm = sb("top", name, "pid,comm").stdout.splitlines()
        assert comm[0].split() == ["PID", "COMMAND"] and f"{pid} sh" in [
            " ".join(line.split()) for line in comm
        ]
        res = sb("top", name, "nosuch", check=False)
        assert res.returncode == 125 and "nosuch" in res.stderr
    finally:
        sb("rm", "-f", name)


def test_top_and_stats_of_unknown_container(sb: Scopebox) -> None:
    for verb in ("top", "stats"):
        res = sb(verb, "no-such-container-xyz", check=False)
        assert res.returncode == 125 and "no-such-container-xyz" in res.stderr
