"""Pure parts of Podman's extra inspect/ps/images fields, and `--help` in Podman's layout."""

from __future__ import annotations

import os
import subprocess
import sys

from supervisor.views_podman import NAMESPACES, go_time, namespaces


def test_go_time_is_gos_time_string_in_utc() -> None:
    assert go_time("2026-12-05T17:13:33.091275859Z") == "2026-12-05 17:13:33 +0000 UTC"
    assert go_time("garbage") == "garbage"


def test_namespaces_are_the_kernels_inodes() -> None:
    mine = namespaces(os.getpid())
    assert set(mine) == {key for key, _, _ in NAMESPACES}
    assert mine["Net"] == str(os.stat("/proc/self/ns/net").st_ino)
    assert namespaces(0) == {}


def test_help_has_podmans_sections() -> None:
    out = subprocess.run([sys.executable, "-m", "supervisor", "ps", "--help"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "List containers"
    assert lines[2:4] == ["Usage:", "  scopebox ps [options]"]
    assert "Options:" in lines
    assert any(line.startswith("  -a, --all ") for line in lines)
    assert any(line.startswith("      --sort string ") for line in lines)
