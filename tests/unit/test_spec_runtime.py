"""Choosing the OCI runtime: layout detection and the crun/runc preference."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from supervisor.runtime import (
    CgroupLayout,
    Runtime,
    RuntimeNotFoundError,
    crun_supports,
    detect_cgroup_layout,
    detect_runtime,
)

V2_MOUNTS = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n"
HYBRID_MOUNTS = (
    "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
    "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"
    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
)
V1_MOUNTS = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n"


@pytest.mark.parametrize(
    ("table", "layout"),
    [
        (V2_MOUNTS, CgroupLayout.UNIFIED),
        (HYBRID_MOUNTS, CgroupLayout.HYBRID),
        (V1_MOUNTS, CgroupLayout.V1),
    ],
)
def test_layout_from_mount_table(tmp_path: Path, table: str, layout: CgroupLayout) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("proc /proc proc rw 0 0\n" + table)
    assert detect_cgroup_layout(str(mounts)) is layout


def test_layout_of_this_host_matches_its_unified_mount() -> None:
    layout = detect_cgroup_layout()
    unified_is_v2 = os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers")
    root_is_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    assert (layout is CgroupLayout.UNIFIED) == root_is_v2
    assert (layout is CgroupLayout.HYBRID) == (unified_is_v2 and not root_is_v2)


def test_crun_refuses_hybrid_with_v2_controllers(tmp_path: Path) -> None:
    (tmp_path / "unified").mkdir()
    controllers = tmp_path / "unified" / "cgroup.controllers"
    controllers.write_text("hugetlb\n")
    assert not crun_supports(CgroupLayout.HYBRID, str(tmp_path))
    assert crun_supports(CgroupLayout.UNIFIED, str(tmp_path))
    assert crun_supports(CgroupLayout.V1, str(tmp_path))
    controllers.write_text("\n")
    assert crun_supports(CgroupLayout.HYBRID, str(tmp_path))


@pytest.fixture
def bindir(tmp_path: Path) -> Path:
    """A $PATH holding links to the real runc and crun."""
    found = {name: shutil.which(name) for name in ("runc", "crun")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        pytest.skip(f"needs the real runtimes installed: missing {missing}")
    path = tmp_path / "bin"
    path.mkdir()
    for name, target in found.items():
        assert target is not None
        (path / name).symlink_to(target)
    return path


@pytest.fixture
def hybrid_root(tmp_path: Path) -> Path:
    root = tmp_path / "cg"
    (root / "unified").mkdir(parents=True)
    (root / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    return root


def test_auto_prefers_crun_on_v2_and_runc_on_a_hybrid_it_refuses(
    bindir: Path, hybrid_root: Path
) -> None:
    on_v2 = detect_runtime(None, CgroupLayout.UNIFIED, env={}, search_path=str(bindir))
    assert on_v2 == Runtime("crun", str(bindir / "crun"))
    hybrid = detect_runtime(
        None, CgroupLayout.HYBRID, env={}, search_path=str(bindir), cgroup_root=str(hybrid_root)
    )
    assert hybrid == Runtime("runc", str(bindir / "runc"))


def test_auto_falls_back_to_runc_when_crun_is_absent(bindir: Path) -> None:
    (bindir / "crun").unlink()
    got = detect_runtime(None, CgroupLayout.UNIFIED, env={}, search_path=str(bindir))
    assert got.name == "runc"


def test_preference_flag_beats_env(bindir: Path) -> None:
    env = {"SCOPEBOX_RUNTIME": "crun"}
    got = detect_runtime("runc", CgroupLayout.UNIFIED, env=env, search_path=str(bindir))
    assert got.name == "runc"
    got = detect_runtime(None, CgroupLayout.UNIFIED, env=env, search_path=str(bindir))
    assert got.name == "crun"
    by_path = detect_runtime(str(bindir / "runc"), CgroupLayout.V1, env={})
    assert by_path == Runtime("runc", str(bindir / "runc"))


def test_explicit_crun_on_a_refusing_hybrid_is_a_clear_error(
    bindir: Path, hybrid_root: Path
) -> None:
    with pytest.raises(RuntimeNotFoundError, match="crun does not support this hybrid"):
        detect_runtime(
            "crun",
            CgroupLayout.HYBRID,
            env={},
            search_path=str(bindir),
            cgroup_root=str(hybrid_root),
        )


def test_nothing_found(tmp_path: Path) -> None:
    with pytest.raises(RuntimeNotFoundError, match="no OCI runtime found"):
        detect_runtime(None, CgroupLayout.UNIFIED, env={}, search_path=str(tmp_path))
    with pytest.raises(RuntimeNotFoundError, match='"kata" not found'):
        detect_runtime("kata", CgroupLayout.UNIFIED, env={}, search_path=str(tmp_path))
    with pytest.raises(RuntimeNotFoundError, match="not found or not executable"):
        detect_runtime(str(tmp_path / "nope"), CgroupLayout.UNIFIED, env={})


def test_a_name_from_containers_conf_runtimes_table(bindir: Path, tmp_path: Path) -> None:
    """containers.conf's `[engine.runtimes]` gives a name's paths (Podman's own 800-config
    tests run a runtime called nonstandard_runtime_name)."""
    conf = tmp_path / "containers.conf"
    conf.write_text('[engine]\nruntime = "odd"\n[engine.runtimes]\n'
                    f'odd = ["/nonexistent/odd", "{bindir / "runc"}"]\n')  # fmt: skip
    env = {"CONTAINERS_CONF": str(conf)}
    got = detect_runtime("odd", CgroupLayout.V1, env=env, search_path=str(bindir))
    assert got == Runtime("runc", str(bindir / "runc"))
    with pytest.raises(RuntimeNotFoundError, match='"other" not found'):
        detect_runtime("other", CgroupLayout.V1, env=env, search_path=str(bindir))
