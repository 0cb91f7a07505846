"""Where scopebox keeps things: persistent state under ROOT, runtime files under RUNROOT."""

from __future__ import annotations

import os

from supervisor.records import NamedTuple


class Paths(NamedTuple):
    """A NamedTuple, not a dataclass: every CLI verb builds one, and `dataclasses` costs the
    cold start (issue 16)."""

    root: str
    runroot: str
    volume_path: str = ""  # --volumepath (Podman's); "": ROOT/volumes

    @classmethod
    def from_env(cls) -> Paths:
        # Canonical paths: runc refuses symlinks, and mountinfo lists resolved paths.
        return cls(
            root=os.path.realpath(os.environ.get("SCOPEBOX_ROOT", "/var/lib/scopebox")),
            runroot=os.path.realpath(os.environ.get("SCOPEBOX_RUNROOT", "/run/scopebox")),
        )

    @property
    def volumes(self) -> str:
        """Where the volumes' directories are (each NAME/_data)."""
        return self.volume_path or os.path.join(self.root, "volumes")

    @property
    def db(self) -> str:
        return os.path.join(self.root, "state.db")

    @property
    def runtime_root(self) -> str:
        return os.path.join(self.runroot, "runc")

    @property
    def locks(self) -> str:
        return os.path.join(self.runroot, "locks")

    def layer_dir(self, diff_hex: str) -> str:
        return os.path.join(self.root, "layers", diff_hex)

    def image_dir(self, image_hex: str) -> str:
        return os.path.join(self.root, "images", image_hex)

    def container_dir(self, cid: str) -> str:
        return os.path.join(self.root, "containers", cid)

    def container_rundir(self, cid: str) -> str:
        return os.path.join(self.runroot, "containers", cid)

    def rootfs(self, cid: str) -> str:
        return os.path.join(self.container_dir(cid), "merged")

    def exit_file(self, cid: str) -> str:
        return os.path.join(self.container_dir(cid), "exit")

    def log_file(self, cid: str) -> str:
        return os.path.join(self.container_dir(cid), "ctr.log")
