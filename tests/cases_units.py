"""End-to-end cases of the flags units rely on (--cidfile, --replace, rm/stop -i), both tiers."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from tests.clihelp import Scopebox, leftovers


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_cidfile_replace_and_ignore(sb: Scopebox, tmp_path: Path) -> None:
    name = unique("cid")
    cidfile = tmp_path / "ctr.cid"
    cid = sb("run", "-d", "--name", name, "--cidfile", str(cidfile), "busybox",
             "sleep", "100").stdout.strip()  # fmt: skip
    assert cidfile.read_text() == cid
    # An existing id file is refused before anything is made.
    before = sb("ps", "-aq", "--no-trunc").stdout.split()
    refused = unique("cid2")
    res = sb("run", "-d", "--name", refused, "--cidfile", str(cidfile), "busybox",
             "true", check=False)  # fmt: skip
    assert res.returncode == 125 and "exists" in res.stderr and res.stderr.count("\n") == 1
    assert sb("ps", "-aq", "--no-trunc").stdout.split() == before and cid in before
    assert cidfile.read_text() == cid
    # --replace: the same name again removes the old one first; without --replace: conflict.
    assert sb("run", "-d", "--name", name, "busybox", "true", check=False).returncode == 125
    new = sb("run", "-d", "--name", name, "--replace", "busybox", "sleep", "100").stdout.strip()
    assert new != cid and leftovers(sb, cid) == []
    cidfile.write_text(new)
    # stop/rm --cidfile; rm removes the file; -i: missing file or container is no error.
    assert sb("stop", "-t", "0", "--cidfile", str(cidfile)).returncode == 0
    assert sb.state(name)["Status"] == "exited"
    sb("rm", "-f", "--cidfile", str(cidfile))
    assert not cidfile.exists() and leftovers(sb, new) == []
    assert sb("rm", "-f", "-i", "--cidfile", str(cidfile)).returncode == 0
    res = sb("rm", "--cidfile", str(cidfile), check=False)
    assert res.returncode == 125 and "cidfile" in res.stderr
    assert sb("rm", "-i", "no-such-container").returncode == 0
    assert sb("rm", "no-such-container", check=False).returncode != 0
    assert sb("stop", "-i", "no-such-container").returncode == 0
    assert sb("stop", "no-such-container", check=False).returncode != 0
    # --replace with nothing to replace is fine; --replace without --name does nothing.
    other = unique("fresh")
    cid3 = sb("create", "--name", other, "--replace", "busybox", "true").stdout.strip()
    sb("rm", other)
    assert leftovers(sb, cid3) == [] and not os.path.exists(str(cidfile))
