"""The bare-host tier's CLI fixture: a private store per test module, emptied and checked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clihelp import Scopebox


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("scopebox")
    box = Scopebox({"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run")})
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")
    assert box("ps", "-aq").stdout == ""
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if str(base) in line]
    assert mounts == [], f"mounts left behind: {mounts}"
