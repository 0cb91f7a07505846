"""units.unitfile against the real systemd: hostile values written by the escapers reach the
program as exactly the intended argv / environment, and systemd-analyze verify accepts them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_units_unitfile import WORD
from units import unitfile

pytestmark = pytest.mark.systemd

UNIT_DIR = Path("/run/systemd/system")
DUMP = (
    "import json, os, sys; json.dump([sys.argv[2:], os.environ.get('V')], open(sys.argv[1], 'w'))"
)
HOSTILE = [
    ";",
    "rm -rf /",
    "a\nExecStartPre=/bin/false",
    "%n",
    "%%",
    "$HOME",
    "${HOME}",
    "$$",
    '"',
    "'",
    "\\",
    "\\;",
    "",
    " lead",
    "é☃",
    "tab\there",
    "cr\rhere",
    "\x01\x7f",
]


def _write_unit(name: str, argv: list[str], env: str, out: Path, wrap: bool) -> Path:
    unit = unitfile.UnitFile(comments=["written by test_unitfile_systemd"])
    u = unit.ensure("Unit")
    u.add("Description", unitfile.plain_value(f"argv test {env[:20]!r} 100%".replace("\n", " ")))
    s = unit.ensure("Service")
    s.add("Type", "oneshot")
    s.add("Environment", unitfile.words_value([f"V={env}"]))
    argv = [sys.executable, "-I", "-c", DUMP, str(out), *argv]
    s.add("ExecStart", unitfile.exec_value(argv, wrap=wrap))
    path = UNIT_DIR / name
    path.write_text(unit.render())
    return path


def _run_batch(cases: list[tuple[list[str], str]], tmp: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    names, outs, paths = [], [], []
    for i, (argv, env) in enumerate(cases):
        name = f"sbq-argv-{tag}-{i}.service"
        out = tmp / f"{name}.json"
        paths.append(_write_unit(name, argv, env, out, wrap=i % 2 == 1))
        names.append(name)
        outs.append(out)
    try:
        verify = subprocess.run(
            ["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True
        )
        # verify also reports unrelated units of the bed; none of ours may appear
        assert not [ln for ln in verify.stderr.splitlines() if tag in ln], verify.stderr
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "start", *names], check=True, timeout=60)
        for (argv, env), out in zip(cases, outs, strict=True):
            assert json.loads(out.read_text()) == [argv, env]
    finally:
        for p in paths:
            p.unlink()
        subprocess.run(["systemctl", "daemon-reload"], check=True)


def test_hostile_words_reach_the_program_literally(tmp_path: Path) -> None:
    _run_batch([(HOSTILE, "x%n$HOME \"'\\;"), (["--flag", *HOSTILE[::-1]], "")], tmp_path)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.lists(WORD, max_size=6), WORD), min_size=15, max_size=15))
def test_drawn_argv_reach_the_program_literally(
    tmp_path: Path, cases: list[tuple[list[str], str]]
) -> None:
    d = tmp_path / uuid.uuid4().hex[:6]
    os.makedirs(d)
    _run_batch(cases, d)
