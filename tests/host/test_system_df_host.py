"""`system df -v`: Podman's three sections (its own 320-system-df.bats reads them by line)."""

from __future__ import annotations

import re

from tests.cases import unique
from tests.clihelp import Scopebox


def test_system_df_verbose(sb: Scopebox) -> None:
    c1, c2 = unique("df"), unique("df")
    sb("run", "--network", "none", "-v", "/myvol1", "--name", c1, "busybox", "true")
    sb("run", "-d", "--network", "none", "-v", "/myvol2", "--name", c2, "busybox", "sleep", "60")
    try:
        lines = [ln for ln in sb("system", "df", "-v").stdout.splitlines() if ln]  # bats' lines
        assert lines[0] == "Images space usage:"
        assert lines[1].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE",
                                    "SHARED", "SIZE", "UNIQUE", "SIZE", "CONTAINERS"]  # fmt: skip
        at = lines.index("Containers space usage:")
        assert any(re.match(r"localhost/busybox +latest +[0-9a-f]{12} .* 2$", ln)
                   for ln in lines[2:at])  # fmt: skip
        vols = lines.index("Local Volumes space usage:")
        ours = [ln for ln in lines[at + 2 : vols] if ln.endswith((c1, c2))]
        assert len(ours) == 2 and all(
            re.match(r"[0-9a-f]{12} +[0-9a-f]{12} .* 1 .* (running|exited) +df", ln) for ln in ours)
        assert lines[vols + 1].split() == ["VOLUME", "NAME", "LINKS", "SIZE"]
        assert sum(1 for ln in lines[vols + 2 :] if re.match(r"[0-9a-f]{64} +1 +0B$", ln)) >= 2
    finally:
        sb("rm", "-f", "-v", "-t", "0", c1, c2)
