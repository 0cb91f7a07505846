"""The engine's context: paths, the store, the boot id, systemd and the OCI runtime.

Each operation lives in its own module of `supervisor.container` and takes this object as its
context (`ctx`); the methods below only delegate (a lazy import and a call: a verb loads
just its own module), kept for the CLI and the API.
Modules there call each other's public operations through the context (`ctx.refresh`,
`ctx.cleanup`), so none of them imports another's operation module in a circle.
"""

from __future__ import annotations

import contextlib
import os

from supervisor.errors import SystemError_, os_error_text
from supervisor.paths import Paths
from supervisor.procs import boot_id
from supervisor.settings import Settings
from supervisor.store import ContainerRow, Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator, Sequence
    from typing import Any, BinaryIO

    from supervisor.container.launch import Started
    from supervisor.options import CreateOptions
    from supervisor.registry.progress import PullProgress


class Engine:
    def __init__(self, paths: Paths | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.paths = paths or self.settings.paths
        try:
            os.makedirs(self.paths.runroot, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise SystemError_(os_error_text(exc, "cannot create the run root")) from exc
        self.store = Store(self.paths)
        self.boot_id = boot_id()
        self._systemd: Any = None
        self._systemd_checked = False
        self._runtime: Any = None

    def close(self) -> None:
        if self._systemd is not None:
            self._systemd.close()
        self.store.close()

    # environment --------------------------------------------------------------------------

    def systemd(self) -> Any:
        """A units.systemd.Systemd connection, or None when systemd is not PID 1."""
        if not self._systemd_checked:
            self._systemd_checked = True
            # Checked before importing the D-Bus code: hosts without systemd pay nothing.
            wanted = self.settings.cgroup_manager != "cgroupfs"
            if wanted and os.path.exists("/run/systemd/system"):
                from supervisor import rootless

                uid = rootless.outer_uid()
                if uid is not None:  # issue 17: the user's own manager
                    self._systemd = _user_systemd(uid)
                else:
                    from units.systemd import connect

                    self._systemd = connect()
        return self._systemd

    def runtime(self) -> Any:
        if self._runtime is None:
            from supervisor.runtime import detect_runtime

            self._runtime = detect_runtime(self.settings.runtime, env={})
        return self._runtime

    # the OCI runtime ----------------------------------------------------------------------

    def runtime_argv(self, row: ContainerRow) -> list[str]:
        from supervisor.container import oci

        return oci.runtime_argv(self, row)

    def run_runtime(self, row: ContainerRow, *args: str) -> subprocess.CompletedProcess[str]:
        from supervisor.container import oci

        return oci.run_runtime(self, row, *args)

    # lookup and reconciliation ------------------------------------------------------------

    def find(self, ref: str) -> ContainerRow:
        # performance: a name that matches nothing fails before reconcile's imports
        return self.refresh(self.store.find_container(ref))

    def settled(self, ref: str) -> ContainerRow:
        from supervisor.container import reconcile

        return reconcile.settled(self, ref)

    @contextlib.contextmanager
    def locked_row(self, ref: str) -> Iterator[ContainerRow]:
        from supervisor.container import reconcile

        with reconcile.locked_row(self, ref) as row:
            yield row

    def restarting(self, row: ContainerRow) -> bool:
        from supervisor.container import reconcile

        return reconcile.restarting(self, row)

    def list(self) -> list[ContainerRow]:
        from supervisor.container import reconcile

        return reconcile.list_containers(self)

    def refresh(self, row: ContainerRow, *, locked: bool = False) -> ContainerRow:
        from supervisor.container import reconcile

        return reconcile.refresh(self, row, locked=locked)

    # create and start ---------------------------------------------------------------------

    def create(self, opts: CreateOptions, progress: PullProgress | None = None) -> ContainerRow:
        from supervisor.container import create

        return create.create(self, opts, progress)

    def replace(self, name: str) -> None:
        from supervisor.container import create

        create.replace_named(self, name)

    def start(self, ref: str, attach: bool = False, preserve_fds: int = 0,
              tty_size: tuple[int, int] | None = None) -> Started:
        from supervisor.container import start

        return start.start(self, ref, attach, preserve_fds, tty_size)

    def startable(self, policies: Sequence[str]) -> Sequence[ContainerRow]:
        from supervisor.container import start

        return start.startable(self, policies)

    def mount_rootfs(self, row: ContainerRow) -> str:
        from supervisor.container import rootfs

        return rootfs.mount_rootfs(self, row)

    # stop, kill, pause, wait --------------------------------------------------------------

    def kill(self, ref: str, sig: str = "SIGKILL") -> ContainerRow:
        from supervisor.container import kill

        return kill.kill(self, ref, sig)

    def pause(self, ref: str) -> ContainerRow:
        from supervisor.container import pause

        return pause.pause(self, ref)

    def unpause(self, ref: str) -> ContainerRow:
        from supervisor.container import pause

        return pause.unpause(self, ref)

    def stop(self, ref: str, timeout: int | None = None) -> ContainerRow:
        from supervisor.container import stop

        return stop.stop(self, ref, timeout)

    def stop_together(self, rows: Sequence[ContainerRow], timeout: int | None) -> None:
        from supervisor.container import stop

        stop.stop_together(self, rows, timeout)

    def restart(self, ref: str, timeout: int | None = None) -> ContainerRow:
        from supervisor.container import restart

        return restart.restart(self, ref, timeout)

    def wait(self, ref: str) -> int:
        from supervisor.container import wait

        return wait.wait(self, ref)

    def wait_container_gone(self, row: ContainerRow, timeout: float) -> bool:
        from supervisor.container import wait

        return wait.wait_container_gone(self, row, timeout)

    def wait_monitor_gone(self, row: ContainerRow, timeout: float) -> bool:
        from supervisor.container import wait

        return wait.wait_monitor_gone(self, row, timeout)

    def wait_exit_known(self, row: ContainerRow, timeout: float) -> bool:
        from supervisor.container import wait

        return wait.wait_exit_known(self, row, timeout)

    def removed_exit_code(self, cid: str) -> int | None:
        from supervisor.container import wait

        return wait.removed_exit_code(self, cid)

    # remove and the rest ------------------------------------------------------------------

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> ContainerRow:
        from supervisor.container import remove

        return remove.remove(self, ref, force, volumes)

    def remove_together(self, rows: Sequence[ContainerRow]) -> Sequence[str]:
        from supervisor.container import remove

        return remove.remove_together(self, rows)

    def cleanup(self, cid: str, hand_off: bool = False) -> None:
        from supervisor.container import cleanup

        cleanup.cleanup(self, cid, hand_off)

    def rename(self, ref: str, new_name: str) -> None:
        from supervisor.container import rename

        rename.rename(self, ref, new_name)

    def export(self, ref: str, out: BinaryIO) -> None:
        from supervisor.container import export

        export.export(self, ref, out)


def _user_systemd(uid: int) -> Any:
    """Rootless (issue 17): the user's manager over its private socket, or None."""
    from supervisor.rootless.session import socket_path
    from units.errors import UnitsError
    from units.systemd import open_user

    path = socket_path(os.environ)
    if path is None:
        return None
    try:
        return open_user(path, uid)
    except UnitsError:
        return None
