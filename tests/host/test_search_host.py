"""`search` against a real registry (Debian's docker-registry on a loopback port), beside
podman 4.3 on the same registry: the catalog filtered by the term, --list-tags, --limit,
--filter, --format json and templates, errors. Both read the same registry, so stdout is
compared byte for byte, tables' spacing included (Podman's writer, as every scopebox table)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import registryhelp as rh
from tests.clihelp import Scopebox


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rh.Registry]:
    base = tmp_path_factory.mktemp("searchreg")
    with rh.registry(base) as registry:
        layout = rh.OciLayout(base / "layout")
        desc, _ = layout.add_image(rh.two_layer_image())
        layout.tag(desc, "v1")
        for repo in ("library/alpine:v1", "team/web:v1", "team/web:v2", "webapp:1.0"):
            rh.skopeo_push(base / "layout", "v1", registry, repo)
        yield registry


@pytest.fixture(scope="module")
def podman_dir() -> Iterator[Path]:
    """podman's store (search writes nothing there), short: podman refuses a run root path
    longer than 50 characters."""
    path = Path(tempfile.mkdtemp(prefix="sbsearch-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _podman(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # vfs: podman's overlay driver would leave a mount of its own there
    return subprocess.run(["podman", "--root", str(tmp / "root"), "--runroot",
                           str(tmp / "run"), "--storage-driver", "vfs", "search",
                           "--tls-verify=false", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


CASES = [
    ("{h}/",), ("{h}/web",), ("{h}/team",), ("{h}/nomatch",), ("--limit", "1", "{h}/"),
    ("--compatible", "{h}/web"), ("--no-trunc", "{h}/web"),
    ("--format", "json", "{h}/web"),
    ("--format", "{{.Index}}|{{.Name}}|{{.Description}}|{{.Stars}}|{{.Official}}|{{.Tag}}",
     "{h}/team"),
    ("--list-tags", "{h}/team/web"), ("--list-tags", "--limit", "1", "{h}/team/web"),
    ("--list-tags", "--format", "json", "{h}/team/web"),
    ("--filter", "stars=1", "{h}/web"), ("--filter", "is-official=true", "{h}/web"),
    ("--filter", "is-automated=false", "{h}/web"),
    ("--filter", "bogus=1", "{h}/web"), ("--filter", "stars=abc", "{h}/web"),
]  # fmt: skip


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_search_beside_podman(reg: rh.Registry, sb: Scopebox, podman_dir: Path,
                              args: tuple[str, ...]) -> None:  # fmt: skip
    if shutil.which("podman") is None:
        pytest.skip("no podman")
    argv = [a.replace("{h}", reg.host) for a in args]
    ours = sb("search", "--tls-verify=false", *argv, check=False)
    theirs = _podman(podman_dir, *argv)
    assert ours.returncode == theirs.returncode, (ours, theirs)
    assert ours.stdout == theirs.stdout
    assert ours.stderr == theirs.stderr


def test_search_errors(reg: rh.Registry, sb: Scopebox) -> None:
    res = sb("search", "--tls-verify=false", "--list-tags", f"{reg.host}/team/nosuch",
             check=False)  # fmt: skip
    assert res.returncode == 125
    assert res.stderr == ("Error: getting repository tags: fetching tags list: invalid status"
                          " code from registry 404 (Not Found)\n")  # fmt: skip
    res = sb("search", "--tls-verify=false", "127.0.0.1:1/x", check=False)
    assert res.returncode == 125 and res.stdout == ""
    assert res.stderr.startswith('Error: couldn\'t search registry "127.0.0.1:1": ')
    assert len(res.stderr.splitlines()) == 1
    # HTTPS is the default: a plain-HTTP registry is refused with the hint
    res = sb("search", f"{reg.host}/web", check=False)
    assert res.returncode == 125 and "--tls-verify=false" in res.stderr
