"""Secrets on the real kernel with runc: what the store keeps (modes, and the data nowhere
else), what a running container keeps when the secret goes, what `rm` takes with it."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.clihelp import Scopebox

DATA = "s3cr3t-Value-7f2a"


def _holders(root: str) -> list[str]:
    """Files under the store holding the secret's data (grep -r: binary files too)."""
    res = subprocess.run(["grep", "-rl", "--exclude-dir=merged", "--exclude-dir=upper",
                          DATA, root], capture_output=True, text=True, check=False)
    return sorted(res.stdout.split())


def test_secret_lifetimes_and_where_the_data_is(sb: Scopebox) -> None:
    sid = sb("secret", "create", "tok", "-", input=DATA).stdout.strip()
    base = Path(sb.root) / "secrets"
    data = base / "filedriver" / sid
    assert stat.S_IMODE(os.stat(base).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o600 and data.read_text() == DATA
    assert DATA not in sb("secret", "inspect", "tok").stdout + sb("secret", "ls").stdout

    cid = sb("run", "-d", "--name", "sec", "--secret", "tok,uid=5,mode=0440",
             "--secret", "tok,type=env,target=TOK", "busybox", "sleep", "1000").stdout.strip()
    cdir = Path(sb.root) / "containers" / cid
    # the store's state database and the container's config hold names, never the data
    assert _holders(sb.root) == sorted([str(data), str(cdir / "config.json"),
                                        str(cdir / "secrets" / "0")])
    assert DATA not in sb("inspect", "sec").stdout
    # removing the secret leaves the running container its copy and its variable
    sb("secret", "rm", "tok")
    assert not data.exists()
    script = 'cat /run/secrets/tok; echo " $TOK"; stat -c "%a %u" /run/secrets/tok'
    out = sb("exec", "sec", "sh", "-c", script).stdout
    assert out == f"{DATA} {DATA}\n440 5\n"
    # the env-type secret is read at each start: gone, the next start fails (Podman's)
    sb("stop", "-t", "0", "sec")
    res = sb("start", "sec", check=False)
    assert res.returncode == 125 and res.stderr.strip().splitlines() == [
        f'Error: unable to start container {cid}: no secret with name or id "tok":'
        " no such secret"]
    sb("rm", "sec")
    assert _holders(sb.root) == []
