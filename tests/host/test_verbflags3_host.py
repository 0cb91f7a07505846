"""issue 19 (helper "flags", third round) on the bare host: what the compat tier cannot see.
`commit --iidfile` writes the id to its file, and a file it cannot write makes no image
(docs/DIFFERENCES.md, iidfile-unwritable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cases import unique
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


def test_commit_iidfile(sb: Scopebox, tmp_path: Path) -> None:
    name = unique("iid")
    sb("create", "--name", name, "busybox", "true")
    try:
        iid = tmp_path / "iid"
        made = sb("commit", "-q", "--iidfile", str(iid), name, f"localhost/{name}:v1").stdout
        assert iid.read_text() == made.strip() and len(made.strip()) == 64
        bad = tmp_path / "nodir" / "iid"
        res = sb("commit", "-q", "--iidfile", str(bad), name, f"localhost/{name}:v2", check=False)
        assert (res.returncode, res.stdout) == (125, "")
        assert res.stderr == (f"Error: failed to write image ID: open {bad}: no such file or"
                              " directory\n")
        assert sb("image", "exists", f"localhost/{name}:v2", check=False).returncode == 1
        assert sb("images", "-q").stdout.count("\n") == 2  # busybox and v1: nothing else
    finally:
        sb("rm", "-f", name)
        sb("rmi", "-f", f"localhost/{name}:v1")
