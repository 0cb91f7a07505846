"""Standard input the CLI cannot poll or must not read: /dev/null and regular files for
`run -i` / `start -a -i` (epoll refuses them), a terminal for `load` (a real pty)."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from tests.clihelp import REPO, SCOPEBOX, Scopebox

pytestmark = pytest.mark.host


def _with_stdin(sb: Scopebox, stdin: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCOPEBOX, *args], stdin=stdin, capture_output=True, text=True,
                          env=sb.environ(), cwd=REPO, timeout=60)


def test_run_and_start_interactive_from_devnull_and_a_file(sb: Scopebox, tmp_path: object) -> None:
    with open(os.devnull) as null:
        res = _with_stdin(sb, null.fileno(), "run", "--rm", "-i", "busybox", "cat")
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    path = f"{tmp_path}/in.txt"
    with open(path, "w") as f:
        f.write("".join(f"{i}\n" for i in range(50000)))
    with open(path) as f:
        res = _with_stdin(sb, f.fileno(), "run", "--rm", "-i", "busybox", "wc", "-l")
    assert (res.returncode, res.stdout.strip(), res.stderr) == (0, "50000", "")
    cid = sb("create", "-i", "busybox", "cat").stdout.strip()
    with open(os.devnull) as null:
        res = _with_stdin(sb, null.fileno(), "start", "--attach", "-i", cid)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    sb("rm", cid)


def test_load_from_a_terminal_is_one_clear_line(sb: Scopebox) -> None:
    leader, follower = pty.openpty()
    try:
        res = _with_stdin(sb, follower, "load")
    finally:
        os.close(follower)
        os.close(leader)
    assert (res.returncode, res.stdout, res.stderr) == (
        125, "",
        "Error: cannot read from terminal, use command-line redirection or the --input flag\n",
    )
