"""What a user types at the CLI face of the API: flags, version, ps filters and listings under
concurrent removal, and what a bad setting or a non-root user sees (one line, never a
traceback)."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cases import unique
from tests.clihelp import REPO, SCOPEBOX, Scopebox

pytestmark = pytest.mark.host


def one_line_error(res: subprocess.CompletedProcess[str], code: int = 125) -> str:
    """The user sees exactly one `Error: ...` line and the exit code, no traceback; a bad
    flag or argument count is followed by Podman's (cobra's) hint `See 'PROG VERB --help'`."""
    assert res.returncode == code, res
    assert "Traceback" not in res.stderr, res
    lines = res.stderr.splitlines()
    if len(lines) == 2 and re.fullmatch(r"See '\S+( [\w-]+)* --help'", lines[1]):
        lines = lines[:1]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res
    return lines[0]


def test_abbreviated_flags_are_refused(sb: Scopebox) -> None:
    name = unique("abbrev")
    line = one_line_error(sb("run", "--nam", name, "busybox", "true", check=False))
    assert "--nam" in line
    one_line_error(sb("run", "--pid", "3", "busybox", "true", check=False))
    one_line_error(sb("ps", "--al", check=False))
    one_line_error(sb("rm", "--forc", name, check=False))
    assert name not in sb("ps", "-a", "--format", "{{.Names}}").stdout
    # Grouped short flags still work.
    cid = sb("run", "-di", "--name", name, "busybox", "sleep", "1000").stdout.strip()
    assert sb("inspect", "--format", "{{.Config.OpenStdin}}", cid).stdout.strip() == "true"
    sb("rm", "-f", cid)


def test_version_takes_format_and_refuses_unknown_flags(sb: Scopebox) -> None:
    from importlib.metadata import version

    out = sb("version", "--format", "{{.Client.Version}}").stdout
    assert out == version("scopebox") + "\n"
    data = json.loads(sb("version", "--format", "json").stdout)
    keys = {"APIVersion", "Version", "GoVersion", "GitCommit", "BuiltTime", "Built", "OsArch", "Os"}
    assert set(data["Client"]) == keys
    assert data["Client"]["Os"] == "linux"
    if os.geteuid() == 0:
        assert set(data["Server"]) == keys
    assert "Version:" in sb("version").stdout
    one_line_error(sb("version", "--bogus", check=False))
    one_line_error(sb("version", "extra", check=False))


def test_ps_filter_ancestor_resolves_the_image(sb: Scopebox) -> None:
    name = unique("anc")
    cid = sb("create", "--name", name, "busybox", "true").stdout.strip()
    image_id = sb("image", "inspect", "--format", "{{.Id}}", "busybox").stdout.strip()
    bare = image_id.removeprefix("sha256:")
    full = sb("inspect", "--format", "{{.ImageName}}", cid).stdout.strip()
    try:
        for ref in ("busybox", "busybox:latest", full, image_id, bare, bare[:12]):
            out = sb("ps", "-aq", "--no-trunc", "--filter", f"ancestor={ref}").stdout
            assert cid in out.split(), (ref, out)
        out = sb("ps", "-aq", "--filter", "ancestor=no-such-image-xyz").stdout
        assert out == ""
    finally:
        sb("rm", "-f", cid)


def test_ps_never_fails_while_containers_are_removed(sb: Scopebox) -> None:
    """A row vanishing under a listing is skipped, not an error: 40 running containers
    removed by 40 concurrent `rm -f` while `ps -a` lists (before the fix: ~1 in 10 listings
    failed, so 16 listings in one round catch it; three rounds cost CI ~50 s more)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = [pool.submit(sb, "run", "-d", "busybox", "sleep", "1000") for _ in range(40)]
        cids = [fut.result().stdout.strip() for fut in runs]
    with ThreadPoolExecutor(max_workers=56) as pool:
        removals = [pool.submit(sb, "rm", "-f", cid) for cid in cids]
        listings = [pool.submit(sb, "ps", "-a", check=False) for _ in range(16)]
        for fut in removals:
            fut.result()
        results = [fut.result() for fut in listings]
    bad = [res for res in results if res.returncode != 0 or res.stderr]
    assert bad == [], bad[:1]


def test_unusable_runroot_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SCOPEBOX_ROOT": str(tmp_path / "root"), "SCOPEBOX_RUNROOT": "/proc/nope"}
    res = subprocess.run(
        [*SCOPEBOX, "ps"], capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    line = one_line_error(res)
    assert "/proc/nope" in line
    res = subprocess.run(
        [*SCOPEBOX, "--runroot", "/proc/nope", "--root", str(tmp_path / "r2"), "ps"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )
    assert "/proc/nope" in one_line_error(res)


def _python_nobody_can_run() -> str:
    """An interpreter user nobody can execute that imports this checkout (from the cwd): the
    venv's, else the system's (the venv's often sits under a root-only /root)."""
    errors = []
    for python in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run(
            ["runuser", "-u", "nobody", "--", python, "-c", "import supervisor.cli.main"],
            capture_output=True, text=True, cwd=REPO, check=False,
        )
        if probe.returncode == 0:
            return python
        errors.append(f"{python}: {probe.stderr.strip().splitlines()[-1:]}")
    pytest.skip(f"user nobody can run no python that imports {REPO}: {errors}")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to user nobody")
def test_user_without_subids_gets_one_line(tmp_path: Path) -> None:
    """Rootless (issue 17): a user with no /etc/subuid range is told what to add."""
    if shutil.which("runuser") is None:
        pytest.skip("runuser is not installed")
    pwd.getpwnam("nobody")
    python = _python_nobody_can_run()
    for verb in (["ps"], ["run", "--rm", "busybox", "true"], ["images"]):
        res = subprocess.run(
            ["runuser", "-u", "nobody", "--", python, "-m", "supervisor", *verb],
            capture_output=True, text=True, cwd=REPO, check=False,
            env={"PATH": os.environ["PATH"], "HOME": "/"},
        )
        line = one_line_error(res)
        assert "/etc/subuid" in line and '"nobody:100000:65536"' in line, verb
    res = subprocess.run(
        ["runuser", "-u", "nobody", "--", python, "-m", "supervisor", "version"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )
    assert res.returncode == 0 and "Version:" in res.stdout, res
