"""Fixtures of the differential tier: one podman and one scopebox, each with private storage,
holding the same image and the same shared containers for the read-only scenarios."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.harness import REPO, Engine, podman, scopebox

# Shared by the read-only scenarios: a running one, an exited one (code 3), a created one.
SHARED = (
    # (sleep 100000: it outlives a slow run of the tier)
    "run -d --name web --label app=web --label tier=front busybox sleep 100000",
    "run --name done --label app=batch busybox sh -c 'echo out; echo err >&2; exit 3'",
    "create --name fresh busybox true",
    "tag busybox localhost/extra:v1",
)


NO_PODMAN = "compat tier: needs podman (apt-get install podman)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("podman") is None:
        for item in items:
            if item.get_closest_marker("compat"):
                item.add_marker(pytest.mark.skip(reason=NO_PODMAN))


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    import shlex

    base = tmp_path_factory.mktemp("compat")
    tar = base / "busybox.tar"
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                   capture_output=True)
    pair: dict[str, Engine] = {}
    for make in (podman, scopebox):
        (base / make.__name__).mkdir()
        eng = make(base / make.__name__)
        res = eng("import", "--change", 'CMD ["sh"]', str(tar), "busybox")
        assert res.rc == 0, (eng.name, res)
        for line in SHARED:
            assert eng(*shlex.split(line)).rc in (0, 3), (eng.name, line)
        pair[eng.name] = eng
    yield pair
    left = {eng.name: _scenario_objects(eng) for eng in pair.values()}
    for eng in pair.values():
        eng("pod", "rm", "-a", "-f", "-t", "0")
        eng("rm", "-a", "-f", "-t", "0")
        eng("volume", "rm", "-a", "-f")
        eng("rmi", "-a", "-f")
    assert not _mounts_under(base), _mounts_under(base)
    # test_compat's clean-up removes what a scenario's text says it made: a scenario that
    # makes another kind of object under its name shows here.
    assert left == {name: [] for name in pair}, f"scenario objects left behind: {left}"


SCENARIO_NAME = re.compile(r"(^|/)c[0-9a-f]{8}(-b)?(:|$)")


def _scenario_objects(eng: Engine) -> list[str]:
    """Pods, volumes and images named after a scenario (test_compat's `c` + 8 hex digits)."""
    names = []
    for argv in (("pod", "ps", "--format", "{{.Name}}"), ("volume", "ls", "-q"),
                 ("images", "--format", "{{.Repository}}:{{.Tag}}")):
        names += [f"{argv[0]} {line}" for line in eng(*argv).out.splitlines()
                  if SCENARIO_NAME.search(line)]
    return names


def _mounts_under(base: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if str(base) in line]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The tier's size, as issue 19 asks: scenarios run, and the differences kept on purpose."""
    from tests.compat.scenarios import ALL

    ran = [r for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []) if "test_scenario[" in r.nodeid]
    if not ran:
        return
    diffs = {c.diff for c in ALL if c.diff}
    terminalreporter.write_line(
        f"compat tier: {len(ALL)} scenarios ({len(ran)} run), "
        f"{len(diffs)} intended differences (docs/DIFFERENCES.md)"
    )
