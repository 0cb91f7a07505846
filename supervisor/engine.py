"""The container engine: create, start, stop, kill, remove, wait, reconcile.

There is no daemon: every CLI process opens the store, does its work under the container's
lock and exits. Truth about running containers comes from the kernel (pids with their start
times) and from the monitor's exit record; the store is brought in line on every read.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, BinaryIO

from supervisor.errors import (
    ConflictError,
    NotFoundError,
    RegistryError,
    RuntimeFailed,
    ScopeboxError,
    StateError,
    SystemError_,
    UsageError,
)
from supervisor.model import (
    CgroupManager,
    CgroupsMode,
    ContainerConfig,
    HostFacts,
    NetworkMode,
    SdNotify,
    validate,
    with_image,
)
from supervisor.monitor import log_error_text, read_exit_record, runtime_message
from supervisor.mount import is_mountpoint, umount
from supervisor.names import generate_name, validate_name
from supervisor.options import PULL_POLICIES, CreateOptions
from supervisor.paths import Paths
from supervisor.procs import alive, boot_id, pidfd_open, start_time
from supervisor.restarts import is_service, stopped_file
from supervisor.signals import parse_signal
from supervisor.state import ExitRecord, Facts, Status, can_kill, can_start, reconcile
from supervisor.store import ContainerLock, ContainerRow, ImagesLock, Store
from supervisor.timefmt import now_rfc3339
from supervisor.views import resolve_args

if TYPE_CHECKING:
    from supervisor.attach import AttachClient



@dataclass(frozen=True)
class Started:
    row: ContainerRow
    attach: AttachClient | None = None



class Engine:
    def __init__(self, paths: Paths | None = None) -> None:
        self.paths = paths or Paths.from_env()
        os.makedirs(self.paths.runroot, mode=0o700, exist_ok=True)
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
            wanted = os.environ.get("SCOPEBOX_CGROUP_MANAGER") != "cgroupfs"
            if wanted and os.path.exists("/run/systemd/system"):
                from units.systemd import connect

                self._systemd = connect()
        return self._systemd

    def runtime(self) -> Any:
        if self._runtime is None:
            from supervisor.runtime import detect_runtime

            self._runtime = detect_runtime(os.environ.get("SCOPEBOX_RUNTIME"))
        return self._runtime

    def runtime_argv(self, row: ContainerRow) -> list[str]:
        cfg = row.config
        argv = [cfg.runtime, f"--root={self.paths.runtime_root}"]
        if cfg.cgroups is CgroupsMode.DISABLED:
            argv.append("--cgroup-manager=disabled")  # crun's
        elif cfg.cgroup_manager is CgroupManager.SYSTEMD:
            argv.append("--systemd-cgroup")
        return argv

    def run_runtime(self, row: ContainerRow, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.runtime_argv(row), *args], capture_output=True, text=True, check=False
        )

    # lookup and reconciliation ------------------------------------------------------------

    def find(self, ref: str) -> ContainerRow:
        return self.refresh(self.store.find_container(ref))

    def settled(self, ref: str) -> ContainerRow:
        """The container's state once no other CLI is in the middle of starting it.

        Taking the lock waits out a concurrent start (which holds it until the pid is known).
        The lock is released again: waiting for an exit must not hold it, because the
        monitor's exit command needs it.
        """
        with self.locked_row(ref) as row:
            pass
        return self.refresh(row) if not row.status.is_active and not row.cleaned else row

    @contextlib.contextmanager
    def locked_row(self, ref: str) -> Iterator[ContainerRow]:
        """The container's reconciled row, with its lock held for the block's duration."""
        row = self.store.find_container(ref)
        with ContainerLock(self.paths, row.id) as lock:
            fresh = self.store.get_container(row.id)
            if fresh is None:  # removed while we waited for the lock
                lock.discard()
                raise NotFoundError("container", ref)
            yield self.refresh(fresh, locked=True)

    def _facts(self, row: ContainerRow) -> tuple[ContainerRow, int, str, Facts]:
        pid, pid_start = row.pid, row.pid_start
        service = is_service(row)
        if pid == 0:
            pid, pid_start = self._pid_from_pidfile(row)
        elif not service and row.config.health_restarts and not alive(pid, pid_start):
            row = self._adopt_health_restart(row)
            pid, pid_start = row.pid, row.pid_start
        exit_record = read_exit_record(self.paths.exit_file(row.id))
        between_runs = False
        if service and row.boot_id == self.boot_id:
            row, exit_record, between_runs = self._refresh_service(row, exit_record)
            pid, pid_start = row.pid, row.pid_start
        facts = Facts(
            status=row.status,
            same_boot=row.boot_id == self.boot_id,
            exit_record=exit_record,
            container_alive=alive(pid, pid_start),
            # Between two runs the unit stands for the monitor systemd is about to start.
            monitor_alive=between_runs or alive(row.monitor_pid, row.monitor_start),
        )
        return row, pid, pid_start, facts

    def _refresh_service(
        self, row: ContainerRow, rec: ExitRecord | None
    ) -> tuple[ContainerRow, ExitRecord | None, bool]:
        """A monitor run by systemd changes pid at each restart: take the current monitor and
        container from the run dir, the count from the monitor's file. While a restart is
        pending (the record says so) and the unit still lives, the container counts as
        running: the previous run's record is not the final one."""
        from supervisor import restarts as R

        rundir = self.paths.container_rundir(row.id)
        mpid = R.read_pid(os.path.join(rundir, "monitor.pid"))
        mstart = start_time(mpid) if mpid else ""
        pid, pid_start = self._pid_from_pidfile(row)
        if not alive(pid, pid_start):
            pid, pid_start = row.pid, row.pid_start
        count = R.read_restarts(self.paths, row.id)
        changes: dict[str, Any] = {}
        if mstart and (mpid, mstart) != (row.monitor_pid, row.monitor_start):
            changes.update(monitor_pid=mpid, monitor_start=mstart)
        if (pid, pid_start) != (row.pid, row.pid_start):
            changes.update(pid=pid, pid_start=pid_start)
        if count != row.restart_count:
            changes["restart_count"] = count
        if changes:
            row = self.store.update_container(row.id, **changes)
        if rec is None or not rec.restart:
            return row, rec, False
        if alive(row.monitor_pid, row.monitor_start) or self._unit_alive(R.unit_name(row.id)):
            return row, None, True  # between two runs
        # The unit is gone, so what it left is final; it may have run to the end since the
        # first look: read again.
        rec = read_exit_record(self.paths.exit_file(row.id))
        count = R.read_restarts(self.paths, row.id)
        if count != row.restart_count:
            row = self.store.update_container(row.id, restart_count=count)
        return row, rec, False

    def _unit_alive(self, unit: str) -> bool:
        sd = self.systemd()
        if sd is None:
            return False
        return sd.get_unit_state(unit) in ("active", "activating", "reloading", "deactivating")

    def restarting(self, row: ContainerRow) -> bool:
        """Between two runs of a restart policy (inspect's State.Restarting)."""
        if not is_service(row) or not row.status.is_active:
            return False
        rec = read_exit_record(self.paths.exit_file(row.id))
        return rec is not None and rec.restart and not alive(row.pid, row.pid_start)

    def list(self) -> list[ContainerRow]:
        return [self.refresh(row) for row in self.store.list_containers()]

    def refresh(self, row: ContainerRow, *, locked: bool = False) -> ContainerRow:
        """Bring the stored state in line with the kernel and the exit record.

        `locked`: the caller holds the container's lock and does its own teardown.
        """
        if not row.status.is_active:
            if not row.cleaned and not locked and not alive(row.monitor_pid, row.monitor_start):
                # A cleanup (the monitor's exit command) died half-way: finish it.
                self.cleanup(row.id)
                return self.store.get_container(row.id) or row
            return row
        row, pid, pid_start, facts = self._facts(row)
        if facts.exit_record is None and not facts.monitor_alive and not facts.container_alive:
            # The monitor may have written its record and exited after our first look:
            # look once more before calling it dead.
            row, pid, pid_start, facts = self._facts(row)
        verdict = reconcile(facts)
        if not verdict.changed:
            if pid != row.pid:
                row = self.store.update_container(row.id, pid=pid, pid_start=pid_start)
            return row
        rec = verdict.exit_record
        assert rec is not None
        row = self.store.update_container(
            row.id,
            status=verdict.status,
            exit_code=rec.exit_code,
            oom_killed=rec.oom_killed,
            finished_at=rec.finished_at or now_rfc3339(),
            error=verdict.error or log_error_text(rec, self.paths.container_dir(row.id)),
        )
        if not facts.monitor_alive and not locked:
            # Nobody else will clean up after a dead monitor.
            self.cleanup(row.id)
            row = self.store.get_container(row.id) or row
        return row

    def _adopt_health_restart(self, row: ContainerRow) -> ContainerRow:
        """--health-on-failure=restart: the monitor re-created the container in place (same
        id, bundle and log); take its new pid, start time and the restarts not counted yet
        (the monitor's `restarted` says how many it made, `restarted.counted` how many the
        store has)."""
        pid, pid_start = self._pid_from_pidfile(row)
        if pid in (0, row.pid) or not alive(pid, pid_start):
            return row
        rundir = self.paths.container_rundir(row.id)
        made, started_at = _read_words(os.path.join(rundir, "restarted"), "0", now_rfc3339())
        counted, _ = _read_words(os.path.join(rundir, "restarted.counted"), "0", "")
        new = max(int(made) - int(counted), 1) if made.isdigit() and counted.isdigit() else 1
        row = self.store.update_container(
            row.id,
            pid=pid,
            pid_start=pid_start,
            started_at=started_at,
            restart_count=row.restart_count + new,
        )
        counted_file = os.path.join(rundir, "restarted.counted")
        with open(counted_file + ".tmp", "w") as f:
            f.write(made + "\n")
        os.replace(counted_file + ".tmp", counted_file)
        return row

    def _pid_from_pidfile(self, row: ContainerRow) -> tuple[int, str]:
        try:
            with open(os.path.join(self.paths.container_rundir(row.id), "pidfile")) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0, ""
        return pid, start_time(pid)

    # create ------------------------------------------------------------------------------

    def create(self, opts: CreateOptions) -> ContainerRow:
        if opts.rootfs:
            opts = replace(opts, image=os.path.abspath(opts.image))
        if opts.name is not None:
            return self._create(opts, opts.name)
        for _ in range(20):  # generated names: another CLI may pick the same one meanwhile
            try:
                return self._create(opts, generate_name(self.store.container_names()))
            except ConflictError:
                continue
        raise ConflictError("could not find a free container name; use --name")

    def _pull_for_create(self, opts: CreateOptions) -> CreateOptions:
        """`--pull`: fetch the image when asked to (or when missing); returns options naming
        the image by id so the lookup below finds exactly what was pulled."""
        from supervisor import images

        if opts.pull not in PULL_POLICIES:
            raise UsageError(f"invalid --pull {opts.pull!r}: expected {', '.join(PULL_POLICIES)}")
        if opts.pull != "always" and opts.pull != "newer":
            try:
                images.resolve(self.store, opts.image)
                return opts
            except NotFoundError:
                if opts.pull == "never":
                    raise
        from supervisor.registry.auth import Credentials
        from supervisor.registry.pull import PullOptions, pull

        creds = Credentials.parse(opts.creds) if opts.creds else None
        popts = PullOptions(opts.image, opts.pull_platform, opts.tls_verify, creds, opts.authfile)
        try:
            result = pull(self.store, popts)
        except (RegistryError, UsageError) as exc:
            if opts.pull != "missing":
                raise
            raise RegistryError(
                f"no such image {opts.image!r} here; pulling it failed: {exc}"
            ) from exc
        return replace(opts, image=result.image.id)

    def _create(self, opts: CreateOptions, name: str) -> ContainerRow:
        config = self._container_config(opts)
        validate_name(name)
        self._prune_orphans()
        if not opts.rootfs:
            opts = self._pull_for_create(opts)
        with ImagesLock(self.paths):  # the image cannot be removed under us
            img_cfg: dict[str, Any] = {}
            if opts.rootfs:
                image_id, image_name = "", opts.image
            else:
                from supervisor import images

                img = images.resolve(self.store, opts.image)
                image_id, image_name = img.id, (img.names[0] if img.names else img.id)
                img_cfg = img.config.get("config") or {}
                if not resolve_args(config.options, img_cfg):
                    raise UsageError("no command specified: give one after the image name")
            config = with_image(config, img_cfg)
            cid = os.urandom(32).hex()
            with ContainerLock(self.paths, cid) as lock:
                cdir = self.paths.container_dir(cid)
                try:
                    os.makedirs(cdir, mode=0o700)
                    # The overlay's root takes the upper dir's mode: it is the container's "/".
                    for sub, mode in (("upper", 0o755), ("work", 0o700), ("merged", 0o755)):
                        os.mkdir(os.path.join(cdir, sub))
                        os.chmod(os.path.join(cdir, sub), mode)
                    self._write_etc_files(cid, config)
                    row = ContainerRow(
                        id=cid,
                        name=name,
                        image_id=image_id,
                        image_name=image_name,
                        created=now_rfc3339(),
                        status=Status.CREATED,
                        config=config,
                    )
                    self.store.add_container(row)
                except BaseException:
                    shutil.rmtree(cdir, ignore_errors=True)
                    lock.discard()
                    raise
        return row

    def _prune_orphans(self) -> None:
        """Container dirs with no row: a create killed half-way. A create in progress holds
        its container's lock, so only unlocked ones go."""
        base = os.path.join(self.paths.root, "containers")
        if not os.path.isdir(base):
            return
        known = {row.id for row in self.store.list_containers()}
        for cid in os.listdir(base):
            if cid in known:
                continue
            lock = ContainerLock(self.paths, cid)
            if lock.try_acquire():
                try:
                    if self.store.get_container(cid) is None:
                        shutil.rmtree(os.path.join(base, cid), ignore_errors=True)
                        lock.discard()
                finally:
                    lock.release()

    def _container_config(self, opts: CreateOptions) -> ContainerConfig:
        """Validate every option before anything is created; return what the store keeps."""
        return validate(opts, self._host_facts(opts))

    def _host_facts(self, opts: CreateOptions) -> HostFacts:
        """What validation needs from the host (and only what these options need)."""
        from supervisor import spec
        from supervisor.resources import host_cpus, host_mems
        from supervisor.specgen import cgroup_unified

        runtime = self.runtime()
        sources = set()
        for v in opts.volumes:
            source = spec.parse_mount_volume(v).source
            if os.path.exists(source):
                sources.add(source)
        rootfs_dir = opts.rootfs and os.path.isdir(opts.image)
        return HostFacts(
            systemd=self.systemd() is not None,
            runtime_name=runtime.name,
            runtime_path=runtime.path,
            host_cpus=frozenset(host_cpus()),
            host_mems=frozenset(host_mems()),
            unified=cgroup_unified() if opts.cgroup_conf else False,
            environ=dict(os.environ),
            env_files={p: _read_lines(p) for p in opts.env_files},
            existing=frozenset(sources),
            directories=frozenset([opts.image] if rootfs_dir else []),
            caller_cgroup=_caller_cgroup() if opts.cgroups == "split" else "",
        )

    def _write_etc_files(self, cid: str, config: ContainerConfig) -> None:
        cdir = self.paths.container_dir(cid)
        hostname = config.options.hostname or cid[:12]
        if config.network is NetworkMode.HOST:
            hostname = config.options.hostname or os.uname().nodename
        with open(os.path.join(cdir, "hostname"), "w") as f:
            f.write(hostname + "\n")
        with open(os.path.join(cdir, "hosts"), "w") as f:
            f.write(
                "127.0.0.1\tlocalhost localhost.localdomain\n"
                "::1\tlocalhost localhost.localdomain ip6-localhost ip6-loopback\n"
                f"127.0.1.1\t{hostname}\n"
            )
        try:
            shutil.copyfile("/etc/resolv.conf", os.path.join(cdir, "resolv.conf"))
        except OSError:
            open(os.path.join(cdir, "resolv.conf"), "w").close()

    # start -------------------------------------------------------------------------------

    def start(self, ref: str, attach: bool = False) -> Started:
        row = self.store.find_container(ref)
        with ContainerLock(self.paths, row.id):
            row = self.refresh(self.store.get_container(row.id) or row, locked=True)
            if row.status.is_active:
                return Started(row)
            if not can_start(row.status):
                raise StateError(
                    f"container {row.name!r} cannot be started from state {row.status.value}"
                )
            if not row.cleaned:
                self._teardown(row)
            started = self._start_locked(row, attach)
        self._notify_caller(started.row)
        return started

    def _notify_caller(self, row: ContainerRow) -> None:
        """--sdnotify for a CLI run by a Type=notify unit (Podman's semantics): the unit's
        main pid becomes the monitor's; with `conmon` the container is ready now, with
        `container` the container sends READY=1 itself (through the runtime's proxy)."""
        mode = row.config.sdnotify
        if mode is SdNotify.IGNORE or not os.environ.get("NOTIFY_SOCKET"):
            return
        from units.notify import sd_notify

        lines = [] if is_service(row) else [f"MAINPID={row.monitor_pid}"]
        if mode is SdNotify.CONMON:
            lines.append("READY=1")
        if lines:
            # The container runs either way; a unit that cannot hear us times out on its own.
            with contextlib.suppress(OSError):
                sd_notify("\n".join(lines))

    def _start_locked(self, row: ContainerRow, attach: bool) -> Started:
        from supervisor.launch import launch, launch_service

        if is_service(row):
            return launch_service(self, row, attach)
        return launch(self, row, attach)

    def startable(self, policies: Sequence[str]) -> Sequence[ContainerRow]:
        """`start --all [--filter restart-policy=P]`: containers not running whose policy is
        one of `policies` (any if empty); unless-stopped ones only if no user stopped them."""
        from supervisor.restarts import policy_of

        out = []
        for row in self.list():
            name = policy_of(row).name
            if row.status.is_active or (policies and name not in policies):
                continue
            if name == "unless-stopped" and os.path.exists(stopped_file(self.paths, row.id)):
                continue
            out.append(row)
        return out

    def replace(self, name: str) -> None:
        """run/create --replace: a container of that name goes first, as by `rm -f`."""
        try:
            self.store.find_container(name)
        except NotFoundError:
            return
        with contextlib.suppress(NotFoundError):
            self.remove(name, force=True)

    # stop, kill, wait --------------------------------------------------------------------

    def kill(self, ref: str, sig: str = "SIGKILL") -> ContainerRow:
        signum = parse_signal(sig)
        row = self.settled(ref)
        if not can_kill(row.status):
            raise StateError(f"container {row.name!r} is not running")
        if signum in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT,
                      row.config.stop_signal):
            # Docker: a fatal signal from `kill` disables the restart policy until the next
            # start (a non-fatal one, e.g. SIGUSR1 or SIGHUP, leaves it in place); the same
            # for --health-on-failure=restart.
            row = self._mark_stopped(row)
        self._signal(row, signum, all_processes=False)
        return row

    def pause(self, ref: str) -> ContainerRow:
        row = self.settled(ref)
        if row.status is not Status.RUNNING:
            raise StateError(f"container {row.name!r} is not running (it is {row.status.value})")
        self._mark_paused(row, True)
        try:
            self._runtime_or_fail(row, "pause")
        except ScopeboxError:
            self._mark_paused(row, False)
            raise
        return self.store.update_container(row.id, status=Status.PAUSED)

    def unpause(self, ref: str) -> ContainerRow:
        row = self.settled(ref)
        if row.status is not Status.PAUSED:
            raise StateError(f"container {row.name!r} is not paused (it is {row.status.value})")
        self._runtime_or_fail(row, "resume")
        self._mark_paused(row, False)
        return self.store.update_container(row.id, status=Status.RUNNING)

    def _mark_paused(self, row: ContainerRow, paused: bool) -> None:
        """`paused` in the run dir: the monitor skips healthchecks (an exec cannot run in a
        frozen container; its failure must not count)."""
        if row.config.healthcheck is None:
            return
        path = os.path.join(self.paths.container_rundir(row.id), "paused")
        if paused:
            with contextlib.suppress(FileNotFoundError), open(path, "w"):
                pass
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def _runtime_or_fail(self, row: ContainerRow, verb: str) -> None:
        res = self.run_runtime(row, verb, row.id)
        if res.returncode != 0:
            raise RuntimeFailed(runtime_message(res.stderr) or f"the OCI runtime's {verb} failed")

    def _signal(self, row: ContainerRow, signum: int, all_processes: bool) -> None:
        if row.status is Status.PAUSED:
            # Frozen tasks do not die (cgroup v1 freezer) and hold signals: thaw first.
            self.run_runtime(row, "resume", row.id)
            self._mark_paused(row, False)
            self.store.update_container(row.id, status=Status.RUNNING)
        # --all needs the container's own cgroup; without one, killing init is enough (its
        # pid namespace takes every other process with it).
        every = all_processes and row.config.cgroups is not CgroupsMode.DISABLED
        args = ["kill", *(["--all"] if every else []), row.id, str(signum)]
        res = self.run_runtime(row, *args)
        if res.returncode != 0 and alive(row.pid, row.pid_start):
            # The runtime's state may be gone (monitor killed mid-way); the pid is still ours.
            os.kill(row.pid, signum)

    def stop(self, ref: str, timeout: int | None = None) -> ContainerRow:
        row = self._mark_stopped(self.settled(ref))
        service = is_service(row)
        if not row.status.is_active:
            return row
        grace = row.config.stop_timeout if timeout is None else timeout
        if alive(row.pid, row.pid_start):
            self._signal(row, row.config.stop_signal, all_processes=False)
            if not self.wait_container_gone(row, grace):
                self._kill_for_good(row)
        if service:
            self._stop_service(row)
        self.wait_monitor_gone(row, 30)
        fresh = self.store.get_container(row.id)
        if fresh is None:  # --rm: its cleanup removed it
            code = self.removed_exit_code(row.id)
            return replace(row, status=Status.EXITED, exit_code=-1 if code is None else code)
        return self.refresh(fresh)

    def _mark_stopped(self, row: ContainerRow) -> ContainerRow:
        """A user's stop, kill or rm -f: `stopped` in the container's dir. Neither a
        service's monitor (restart policy) nor --health-on-failure=restart brings the
        container back after it (both look for it first), and an unless-stopped one stays
        down at boot. Re-read after it: an in-place health restart that finished just before
        has a new pid."""
        service, health = is_service(row), row.config.health_restarts
        if not (service or health):
            return row
        with open(stopped_file(self.paths, row.id), "w"):
            pass
        return self.refresh(row) if health and not service and row.status.is_active else row

    def _stop_service(self, row: ContainerRow) -> None:
        """Stop scopebox-<id>.service and wait: a pending restart is cancelled, and the
        monitor (SIGTERM) ends the container and cleans up. A unit already gone is fine."""
        from supervisor.restarts import unit_name
        from units.errors import NoSuchUnitError, UnitsError

        sd = self.systemd()
        if sd is None:
            return
        unit = unit_name(row.id)
        try:
            sd.stop_unit(unit, wait=True, timeout=float(row.config.stop_timeout) + 40)
        except NoSuchUnitError:
            return
        except UnitsError as exc:
            raise RuntimeFailed(f"cannot stop unit {unit}: {exc}") from exc
        with contextlib.suppress(UnitsError):
            sd.reset_failed_unit(unit)

    def _kill_for_good(self, row: ContainerRow) -> None:
        """SIGKILL through the runtime; if its init is still there after a while (a runtime
        whose kill did not reach it), SIGKILL the pid itself: its pid namespace follows."""
        self._signal(row, signal.SIGKILL, all_processes=True)
        if not self.wait_container_gone(row, 5) and alive(row.pid, row.pid_start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(row.pid, signal.SIGKILL)
            self.wait_container_gone(row, 25)

    def wait_container_gone(self, row: ContainerRow, timeout: float) -> bool:
        return _wait_pid_gone(row.pid, row.pid_start, timeout)

    def wait_monitor_gone(self, row: ContainerRow, timeout: float) -> bool:
        return _wait_pid_gone(row.monitor_pid, row.monitor_start, timeout)

    def wait(self, ref: str) -> int:
        row = self.find(ref)
        while row.status.is_active:
            if row.pid:
                self.wait_container_gone(row, 3600 * 24 * 365)
            self.wait_monitor_gone(row, 60)
            fresh = self.store.get_container(row.id)
            if fresh is None:  # removed by --rm: its cleanup kept the exit code for us
                code = self.removed_exit_code(row.id)
                if code is None:
                    raise NotFoundError("container", ref)
                return code
            before = (row.pid, row.monitor_pid)
            row = self.refresh(fresh)
            if row.status.is_active and (row.pid, row.monitor_pid) == before:
                # A restart policy between two runs: systemd has not started the next
                # monitor yet (RestartSec=), so there is no process to wait on for a moment.
                time.sleep(0.05)
        return row.exit_code

    def removed_exit_code(self, cid: str) -> int | None:
        try:
            with open(os.path.join(self.paths.runroot, "exits", cid)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _keep_exit_code(self, row: ContainerRow) -> None:
        """An --rm container's exit code outlives it, for `wait` and `stop` (as Podman's
        exits dir). Files older than an hour are pruned; /run is a tmpfs anyway."""
        exits = os.path.join(self.paths.runroot, "exits")
        os.makedirs(exits, mode=0o700, exist_ok=True)
        cutoff = time.time() - 3600
        for name in os.listdir(exits):
            path = os.path.join(exits, name)
            with contextlib.suppress(OSError):
                if os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
        tmp = os.path.join(exits, f".{row.id}.tmp")
        with open(tmp, "w") as f:
            f.write(f"{row.exit_code}\n")
        os.replace(tmp, os.path.join(exits, row.id))

    # remove ------------------------------------------------------------------------------

    def remove(self, ref: str, force: bool = False) -> ContainerRow:
        row = self.settled(ref)
        if row.status.is_active:
            if not force:
                raise StateError(
                    f"cannot remove container {row.name!r} as it is running:"
                    " stop it first or use -f"
                )
            row = self._mark_stopped(row)
            if alive(row.pid, row.pid_start):
                self._kill_for_good(row)
            self.wait_monitor_gone(row, 30)
        if is_service(row):
            self._mark_stopped(row)
            self._stop_service(row)
        with ContainerLock(self.paths, row.id) as lock:
            fresh = self.store.get_container(row.id)
            if fresh is None:  # removed meanwhile (another rm, or --rm)
                lock.discard()
                return row
            fresh = self.refresh(fresh, locked=True)
            if fresh.status.is_active:
                raise StateError(f"container {row.name!r} is still running")
            self._remove_locked(fresh)
            lock.discard()
        return row

    def _remove_locked(self, row: ContainerRow) -> None:
        self._teardown(row)
        self.store.delete_container(row.id)
        shutil.rmtree(self.paths.container_dir(row.id), ignore_errors=True)

    def cleanup(self, cid: str) -> None:
        """The monitor's exit command (and reconciliation's): record, tear down, --rm."""
        with ContainerLock(self.paths, cid) as lock:
            row = self.store.get_container(cid)
            if row is None:
                lock.discard()
                return
            row = self.refresh(row, locked=True)
            if row.status.is_active:
                return
            if row.config.auto_remove:
                self._keep_exit_code(row)
                self._remove_locked(row)
                lock.discard()
            elif not row.cleaned:
                self._teardown(row)

    def _teardown(self, row: ContainerRow) -> None:
        """Undo what start did: runtime state, rootfs mount, run dir. Idempotent."""
        self.run_runtime(row, "delete", "--force", row.id)
        if not row.config.rootfs:
            rootfs = self.paths.rootfs(row.id)
            while is_mountpoint(rootfs):
                umount(rootfs, detach=True)
        shutil.rmtree(self.paths.container_rundir(row.id), ignore_errors=True)
        if self.store.get_container(row.id) is not None:
            self.store.update_container(row.id, cleaned=True)

    # other verbs -------------------------------------------------------------------------

    def rename(self, ref: str, new_name: str) -> None:
        validate_name(new_name)
        row = self.store.find_container(ref)
        self.store.rename_container(row.id, new_name)

    def restart(self, ref: str, timeout: int | None = None) -> ContainerRow:
        row = self.stop(ref, timeout)
        return self.start(row.id).row

    def export(self, ref: str, out: BinaryIO) -> None:
        """The container's filesystem as a tar; a stopped one is mounted for the while."""
        from supervisor.layers import write_tar

        row = self.find(ref)
        with ContainerLock(self.paths, row.id):  # no start/cleanup mounts or unmounts meanwhile
            target = self.paths.rootfs(row.id)
            was_mounted = row.config.rootfs or is_mountpoint(target)
            target = self.mount_rootfs(row)
            try:
                write_tar(target, out, layer=False)
            finally:
                if not was_mounted:
                    umount(target, detach=True)

    def mount_rootfs(self, row: ContainerRow) -> str:
        if row.config.rootfs:
            return os.path.abspath(row.image_name)
        from supervisor import images, rootfs

        target = self.paths.rootfs(row.id)
        if not is_mountpoint(target):
            img = self.store.get_image(row.image_id)
            if img is None:
                raise NotFoundError("image", row.image_name)
            lowers = images.layer_dirs(self.paths, img)
            rootfs.mount_layers(lowers, self.paths.container_dir(row.id), target)
        return target


def _caller_cgroup() -> str:
    """Our own cgroup (the unified hierarchy's, or the first v1 one's name=systemd path)."""
    with open("/proc/self/cgroup") as f:
        lines = f.read().splitlines()
    paths: dict[str, str] = {}
    for line in lines:
        _, controllers, where = line.split(":", 2)
        paths[controllers] = where
    path = paths.get("") or paths.get("name=systemd") or ""
    if not path or path == "/":
        return ""  # validation says why that will not do
    path = path.rstrip("/")
    if "" in paths and path.endswith("/" + SPLIT_SUPERVISOR):
        path = path[: -len(SPLIT_SUPERVISOR) - 1]  # a second split run in the same unit
    return path


SPLIT_SUPERVISOR = "supervisor"  # Podman's name for the same sub-cgroup


def enter_split_supervisor(parent: str) -> None:
    """--cgroups=split on pure cgroup v2: empty the unit's own cgroup into <unit>/supervisor.

    The kernel enables controllers for the container's <unit>/<id> only in a cgroup that holds
    no process itself (the no-internal-process rule), so the caller, and the monitor it spawns,
    move one level down, as Podman's conmon does. Hybrid and v1 hosts have no such rule.
    """
    from supervisor.specgen import cgroup_unified

    if not cgroup_unified():
        return
    base = "/sys/fs/cgroup" + parent
    target = os.path.join(base, SPLIT_SUPERVISOR, "cgroup.procs")
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        for _ in range(100):  # a process may fork while we move the others
            with open(os.path.join(base, "cgroup.procs")) as f:
                pids = f.read().split()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError), open(target, "w") as w:
                    w.write(pid)
    except OSError as exc:
        raise SystemError_(f"--cgroups=split: cannot move the caller into {target}: {exc}") from exc
    raise SystemError_(f"--cgroups=split: processes keep appearing in {base}")


def _read_words(path: str, *defaults: str) -> list[str]:
    """The whitespace-separated words of a small file, padded with the defaults."""
    try:
        with open(path) as f:
            words = f.read().split()
    except OSError:
        words = []
    return words + list(defaults[len(words) :])


def _wait_pid_gone(pid: int, started: str, timeout: float) -> bool:
    if not alive(pid, started):
        return True
    fd = pidfd_open(pid)
    if fd is None:
        return True
    try:
        if not alive(pid, started):  # the pid was reused between the check and the open
            return True
        return bool(select.select([fd], [], [], max(timeout, 0))[0])
    finally:
        os.close(fd)


def _read_lines(path: str) -> tuple[str, ...] | str:
    """An --env-file's lines, or why it cannot be read."""
    try:
        with open(path) as f:
            return tuple(f.read().splitlines())
    except OSError as exc:
        return str(exc.strerror)
