"""The namespaces' holder: an infra container running catatonit (`catatonit -P`, what
Podman's pause image runs) from a minimal root directory made here, so a pod needs no image
to pull. `--infra-image` uses an image instead. See docs/PODS.md for the cost per pod."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supervisor.errors import UsageError

if TYPE_CHECKING:
    from supervisor.pods.db import PodConfig
    from supervisor.store import Store

CATATONIT = "/usr/bin/catatonit"
INFRA_COMMAND = ("/catatonit", "-P")


def rootfs_dir(root: str) -> str:
    return os.path.join(root, "pods", "infra-rootfs")


def ensure_rootfs(root: str) -> str:
    """Made once, atomically (a temporary dir renamed into place): a static catatonit,
    the mount points and /etc files the runtime binds over (an older store's lacks
    /run/.containerenv: its infra goes without that file, supervisor/specgen.py)."""
    target = rootfs_dir(root)
    if os.path.exists(os.path.join(target, "catatonit")):
        return target
    import shutil  # performance: once per store; stop and kill read INFRA_COMMAND (bare.py)
    import tempfile

    if not os.access(CATATONIT, os.X_OK):
        raise UsageError(f"{CATATONIT} is missing: install catatonit, or give --infra-image"
                         " or --infra=false")
    parent = os.path.dirname(target)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".infra-", dir=parent)
    try:
        os.chmod(tmp, 0o755)
        shutil.copy2(CATATONIT, os.path.join(tmp, "catatonit"))
        for d in ("dev", "proc", "sys", "etc", "tmp", "run"):
            os.mkdir(os.path.join(tmp, d), 0o755)
        for f, text in (("hosts", ""), ("hostname", ""), ("resolv.conf", ""),
                        ("passwd", "root:x:0:0:root:/:/catatonit\n"),
                        ("group", "root:x:0:\n")):
            with open(os.path.join(tmp, "etc", f), "w") as out:
                out.write(text)
        # /run/.containerenv's mount point: a mapped user (--userns=auto) cannot make it later
        open(os.path.join(tmp, "run", ".containerenv"), "w").close()
        try:
            os.rename(tmp, target)
        except OSError:  # another process made it first
            if not os.path.exists(os.path.join(target, "catatonit")):
                raise
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def ensure_pause_image(store: Store, tree: str) -> str:
    """Podman's local pause image, `localhost/podman-pause:VERSION-BUILT`, made once from the
    infra's tree (the same files: catatonit, mount points, /etc) and recorded as the default
    infra's image: `images` lists it, `rmi` refuses it while a pod uses it and `rmi -f` removes
    those pods, as Podman's. The infra still runs from the tree itself (no layer mount per
    pod); the image is remade by the next pod after an `rmi`. Returns its name."""
    from supervisor.errors import NotFoundError
    from supervisor.imageref import resolve
    from supervisor.store import FileLock
    from supervisor.version import pause_image_name

    name = pause_image_name()
    with FileLock(store.paths, "pause-image"):  # one image, whoever comes first makes it
        try:
            resolve(store, name)
        except NotFoundError:
            _import_tree(store, tree, name)
    return name


def _import_tree(store: Store, tree: str, name: str) -> None:
    import tarfile
    import tempfile

    from supervisor import images

    tmpdir = os.path.join(store.paths.root, "tmp")
    os.makedirs(tmpdir, mode=0o700, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmpdir, prefix="pause-", suffix=".tar") as f:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in sorted(os.listdir(tree)):
                tar.add(os.path.join(tree, entry), arcname=entry)
        f.flush()
        images.import_tarball(store, images.ImportOptions(
            f.name, name, [f"CMD {list(INFRA_COMMAND)!r}".replace("'", '"')],
            "scopebox's pause image: catatonit -P"))


def bare_infra(cfg: PodConfig) -> bool:
    """The pod's infra runs scopebox's catatonit, without a monitor (container/bare.py)."""
    return not cfg.infra_image and tuple(cfg.infra_command or INFRA_COMMAND) == INFRA_COMMAND
