#!/usr/bin/env python3
"""A real systemd booted as PID 1 in private namespaces: the test bed of scopebox's system tier.

    python tests/testbed.py run [--keep-going] [--state-dir DIR] -- CMD ARGS...
                                                                boot, run CMD inside, power off
    python tests/testbed.py shell                               an interactive shell inside

The recipe is the one in MACHINE.md ("A real systemd boots as PID 1 in new namespaces"). Its point
is isolation: systemd booted on the bare host would wipe /tmp and take over /sys/fs/cgroup, so
every mount happens in a private mount namespace over an overlay of the host's root, the bed lives
in its own cgroups (named after the runner's pid so that beds can run side by side) and teardown
always powers off, kills stragglers and removes those cgroups.

Each bed is one boot: a fresh /run, its own boot id, systemd's default target (what a real boot
reaches, so units the host enabled for default.target run). With --state-dir, /var/lib/scopebox
is a host directory instead of a tmpfs: a second bed on the same directory is the machine after a
reboot.

Standard library only: it must run before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

BOOT_TIMEOUT_S = 60.0
POWEROFF_TIMEOUT_S = 20.0
CGROUP_MOUNT = Path("/sys/fs/cgroup")
SYSTEMD = "/lib/systemd/system"
# The host's kernel log inside the bed (its /dev/kmsg is masked): a bind of the real device.
HOST_KMSG = "/var/lib/scopebox-testbed/host-kmsg"
SCRATCH = Path("/mnt")  # tmpfs mounted here in the bed's private mount namespace only
# Units that would make every bed slow, noisy or reach outside it.
MASKED_UNITS = (
    "networking.service",  # ifupdown: waits for interfaces the private netns does not have
    "docker-registry.service",  # Debian's registry would listen on :5000 in every bed
    "postgresql.service",
    "getty.target",  # getty@tty1 would take the host's /dev/tty1 (the bed binds the host's /dev)
    "console-getty.service",
    "systemd-modules-load.service",  # kernel modules are the host's
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "man-db.timer",
    # podman's boot units (WantedBy=default.target): they would start the host's podman
    # containers, or pull images, in every bed.
    "podman.service",
    "podman-restart.service",
    "podman-auto-update.service",
)
JOURNALD_DROPIN = """\
# Written by tests/testbed.py. Rate limits stay journald's defaults (or whatever the host's
# /etc/systemd/journald.conf.d says, e.g. scopebox's packaging): tests check what users get.
[Journal]
Storage=volatile
ReadKMsg=no
"""
# The bed's own writable places: overlayfs cannot be the upper dir of the overlays scopebox makes.
STATE = "var/lib/scopebox"  # scopebox's default root: a tmpfs, or the bed's --state-dir
BED_TMPFS = (("run", "mode=755"), ("tmp", "mode=1777"), (STATE, "mode=700"))
BOOT_ID = "proc/sys/kernel/random/boot_id"

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 0x2
PR_SET_PDEATHSIG = 1
SYS_PIVOT_ROOT = 155  # x86_64; glibc has no wrapper


class TestBedError(Exception):
    """The bed could not be booted or driven."""


class Interrupted(Exception):
    """SIGINT or SIGTERM reached the runner; teardown follows."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


@dataclasses.dataclass(frozen=True)
class Hierarchy:
    """One mounted cgroup hierarchy of the host and where the runner sits in it."""

    mountpoint: Path
    fstype: str  # "cgroup" (v1) or "cgroup2"
    options: str  # super options to mount it afresh, e.g. "cpu" or "xattr,name=systemd"
    own_path: str  # the runner's cgroup in it, from /proc/self/cgroup

    @property
    def own_dir(self) -> Path:
        return self.mountpoint / self.own_path.lstrip("/")


@dataclasses.dataclass(frozen=True)
class BedSpec:
    """What the init stage inside the namespaces needs to build the bed's root."""

    checkout: str
    console: str
    hierarchies: tuple[tuple[str, str, str], ...]  # (path under /sys/fs/cgroup, fstype, options)
    state_dir: str = ""  # a host directory bound on /var/lib/scopebox ("": a tmpfs)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> BedSpec:
        raw = json.loads(text)
        hier = tuple((str(a), str(b), str(c)) for a, b, c in raw["hierarchies"])
        return cls(
            checkout=raw["checkout"],
            console=raw["console"],
            hierarchies=hier,
            state_dir=str(raw.get("state_dir", "")),
        )


def log(message: str) -> None:
    print(f"testbed: {message}", file=sys.stderr, flush=True)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout`: only for kernel state that has no notification
    (v1 cgroups signal nothing when they empty, /proc/PID/task/*/children neither)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


# ---------------------------------------------------------------------------------------------
# cgroups on the host


def _own_cgroups() -> dict[str, str]:
    """Map controller list ("cpu", "name=systemd", "" for v2) to the runner's cgroup path."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        paths[controllers] = path
    return paths


def host_hierarchies() -> list[Hierarchy]:
    own = _own_cgroups()
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, _, tail = line.partition(" - ")
        fstype, _source, superopts = tail.split(" ", 2)
        if fstype not in ("cgroup", "cgroup2"):
            continue
        options = ",".join(o for o in superopts.split(",") if o not in ("rw", "ro"))
        if fstype == "cgroup2":
            key = ""
        else:
            wanted = set(options.split(","))
            key = next((k for k in own if k and set(k.split(",")) <= wanted), "?")
        if key not in own:
            continue
        mountpoint = Path(fields.split(" ")[4])
        found.append(Hierarchy(mountpoint, fstype, options, own[key]))
    return found


def _create_cgroup(hier: Hierarchy, name: str) -> Path:
    path = hier.own_dir / name
    path.mkdir()
    if hier.fstype == "cgroup" and "cpuset" in hier.options.split(","):
        # A v1 cpuset cgroup starts with no CPUs and no memory nodes and then refuses tasks.
        for knob in ("cpuset.cpus", "cpuset.mems"):
            (path / knob).write_text((hier.own_dir / knob).read_text())
    return path


def _cgroup_pids(top: Path) -> set[int]:
    pids: set[int] = set()
    for procs in top.rglob("cgroup.procs"):
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in procs.read_text().split())
    return pids


def _kill_cgroup_tree(tops: Sequence[Path]) -> None:
    for top in tops:
        for pid in _cgroup_pids(top):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _remove_cgroup_tree(top: Path) -> list[Path]:
    """Remove `top` and every cgroup below it; returns those that stayed busy."""
    if not top.exists():
        return []
    dirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts))
    busy = []
    for path in [*reversed(dirs), top]:  # deepest first: a cgroup with children is busy
        # A killed task leaves its cgroup only once it is reaped, a moment after SIGKILL.
        if not wait_until(functools.partial(_try_rmdir, path), timeout=5.0):
            busy.append(path)
    return busy


def _try_rmdir(path: Path) -> bool:
    try:
        path.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# the init stage: runs as PID 1 of the new namespaces, builds the root and execs systemd

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _cstr(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    res = _libc.mount(_cstr(source), target.encode(), _cstr(fstype), flags, _cstr(data or None))
    _check(res, f"mount {fstype or source} on '{target}'")


def _build_root(spec: BedSpec, root: Path) -> None:
    _mount("/dev", str(root / "dev"), None, MS_BIND | MS_REC)
    # The console is a pty the runner reads: systemd's status lines stay off the host console.
    _mount(spec.console, str(root / "dev/console"), None, MS_BIND)
    # The kernel log is the host's: journald in the bed neither reads it (ReadKMsg=no) nor
    # writes its own messages into it.
    _mount("/dev/null", str(root / "dev/kmsg"), None, MS_BIND)
    # Tests that compare the monitor's clock with the kernel's (OOM kills) read it here.
    host_kmsg = root / HOST_KMSG.lstrip("/")
    host_kmsg.parent.mkdir(parents=True, exist_ok=True)
    host_kmsg.touch()
    _mount("/dev/kmsg", str(host_kmsg), None, MS_BIND)
    _mount("proc", str(root / "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # Kernel-wide sysctls (kernel.pid_max, fs.protected_*) are the host's: read-only, as in
    # systemd-nspawn, which also keeps systemd-sysctl from running. The netns's own stay writable.
    # (A bind made below a read-only mount would inherit read-only, so net is bound first.)
    _mount(str(root / "proc/sys"), str(root / "proc/sys"), None, MS_BIND)
    _mount(str(root / "proc/sys/net"), str(root / "proc/sys/net"), None, MS_BIND)
    _mount(None, str(root / "proc/sys"), None, MS_BIND | MS_REMOUNT | MS_RDONLY)
    # One kernel for every bed, but each bed is a boot of its own: a reboot is told by the boot
    # id (systemd, journald and scopebox read this file), so each bed gets a fresh one.
    boot_id = SCRATCH / "boot_id"
    boot_id.write_text(f"{uuid.uuid4()}\n")
    boot_id.chmod(0o444)
    _mount(str(boot_id), str(root / BOOT_ID), None, MS_BIND)
    _mount("sysfs", str(root / "sys"), "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
    _mount_cgroups(spec, root / "sys/fs/cgroup")
    for rel, opts in BED_TMPFS:
        if rel == STATE and spec.state_dir:
            continue  # bound by init_stage
        (root / rel).mkdir(parents=True, exist_ok=True)
        _mount("tmpfs", str(root / rel), "tmpfs", MS_NOSUID | MS_NODEV, opts)


def _mount_cgroups(spec: BedSpec, cgroot: Path) -> None:
    nosuid = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if any(rel == "" for rel, _, _ in spec.hierarchies):  # a pure v2 host
        rel, fstype, opts = next(h for h in spec.hierarchies if h[0] == "")
        _mount("cgroup2", str(cgroot), fstype, nosuid, opts)
        return
    _mount("tmpfs", str(cgroot), "tmpfs", nosuid, "mode=755")
    for rel, fstype, opts in spec.hierarchies:
        (cgroot / rel).mkdir(parents=True, exist_ok=True)
        _mount(fstype, str(cgroot / rel), fstype, nosuid, opts)


def _configure_systemd(root: Path) -> None:
    etc = root / "etc/systemd"
    for unit in MASKED_UNITS:
        link = etc / "system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    (etc / "journald.conf.d").mkdir(exist_ok=True)
    (etc / "journald.conf.d/scopebox-testbed.conf").write_text(JOURNALD_DROPIN)
    (root / "etc/hostname").write_text("scopebox-testbed\n")  # the UTS namespace is the bed's


def _link_scopebox(root: Path, checkout: str) -> None:
    """The bed's /usr/local/bin/scopebox (what the shipped units run, e.g. the boot unit) is
    the checkout's dev virtualenv's: the host's is the installed product (packaging/install.sh),
    maybe from another checkout, and the tests test this working tree."""
    own = Path(checkout) / ".venv/bin/scopebox"
    if not own.exists():
        return
    link = root / "usr/local/bin/scopebox"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(own)


def init_stage(spec: BedSpec) -> None:
    """PID 1 of fresh pid/mount/net/uts/ipc/cgroup namespaces: build the root, exec systemd."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below may propagate to the host
    # Held open across the scratch mount, in case the checkout lies below SCRATCH.
    checkout_fd = os.open(spec.checkout, os.O_PATH | os.O_DIRECTORY)
    state_fd = os.open(spec.state_dir, os.O_PATH | os.O_DIRECTORY) if spec.state_dir else -1
    _mount("tmpfs", str(SCRATCH), "tmpfs", 0, "mode=700")
    for sub in ("upper", "work", "root"):
        (SCRATCH / sub).mkdir()
    root = SCRATCH / "root"
    layers = f"lowerdir=/,upperdir={SCRATCH}/upper,workdir={SCRATCH}/work"
    _mount("overlay", str(root), "overlay", 0, layers)
    _build_root(spec, root)
    target = root / spec.checkout.lstrip("/")
    target.mkdir(parents=True, exist_ok=True)
    _mount(f"/proc/self/fd/{checkout_fd}", str(target), None, MS_BIND | MS_REC)
    os.close(checkout_fd)
    if state_fd >= 0:
        (root / STATE).mkdir(parents=True, exist_ok=True)
        _mount(f"/proc/self/fd/{state_fd}", str(root / STATE), None, MS_BIND)
        os.close(state_fd)
    _configure_systemd(root)
    _link_scopebox(root, spec.checkout)
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    env = {"container": "scopebox-testbed", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    # default.target, as a real boot: units enabled WantedBy=default.target (scopebox's boot
    # unit) are pulled in only there when default.target is graphical.target (Debian's).
    argv = ["/lib/systemd/systemd", "--system", "--unit=default.target"]
    os.execve(argv[0], argv, env)


# ---------------------------------------------------------------------------------------------
# the runner on the host


class _Console:
    """The bed's /dev/console: a pty whose output is kept (last 64 KiB) for boot failures.
    It must be drained all the time, or systemd blocks writing to a full console."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self._tail = bytearray()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        # SIGINT/SIGTERM must reach the main thread: one taken by this thread would leave the
        # main thread blocked in waitpid() and the handler (and so teardown) would never run.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO once the last slave is closed
                return
            if not chunk:
                return
            self._tail += chunk
            del self._tail[:-65536]

    def tail(self, lines: int = 40) -> str:
        text = bytes(self._tail).decode(errors="replace").replace("\r", "")
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        os.close(self.slave)
        self._thread.join(timeout=2.0)
        os.close(self.master)


def _preexec_into(cgroups: Sequence[Path], pdeathsig: bool) -> Callable[[], None]:
    def enter() -> None:
        for cg in cgroups:
            (cg / "cgroup.procs").write_text("0")
        if pdeathsig:  # the runner killed by SIGKILL takes the bed along (unshare --kill-child)
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return enter


def _rel_to_cgroup_mount(mountpoint: Path) -> str:
    return "" if mountpoint == CGROUP_MOUNT else str(mountpoint.relative_to(CGROUP_MOUNT))


def find_checkout() -> Path:
    res = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    if res.returncode == 0 and res.stdout.strip():
        return Path(res.stdout.strip())
    return Path.cwd()


class TestBed:
    """One booted bed. Use `booted()`; `teardown()` is idempotent and always leaves nothing."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, checkout: Path, state_dir: Path | None = None) -> None:
        self.name = f"scopebox-testbed-{os.getpid()}"
        self.checkout = checkout
        self.state_dir = state_dir
        self.hierarchies = host_hierarchies()
        self.cgroups: list[Path] = []
        self.console: _Console | None = None
        self.unshare: subprocess.Popen[bytes] | None = None
        self.init_pid = 0
        self._commands = 0
        self._running: subprocess.Popen[Any] | None = None

    # -- boot ------------------------------------------------------------------------------

    def start(self) -> None:
        for hier in self.hierarchies:
            # Left by a SIGKILLed runner that had our pid: it is dead, since we hold the pid.
            stale = hier.own_dir / self.name
            _kill_cgroup_tree([stale])
            _remove_cgroup_tree(stale)
            self.cgroups.append(_create_cgroup(hier, self.name))
        self.console = _Console()
        spec = BedSpec(
            checkout=str(self.checkout),
            console=self.console.path,
            state_dir=str(self.state_dir.resolve()) if self.state_dir else "",
            hierarchies=tuple(
                (_rel_to_cgroup_mount(h.mountpoint), h.fstype, h.options)
                for h in self.hierarchies
                if h.mountpoint.is_relative_to(CGROUP_MOUNT)
            ),
        )
        ns = ["--pid", "--mount", "--net", "--uts", "--ipc", "--cgroup", "--fork", "--kill-child"]
        argv = ["unshare", *ns, "--", sys.executable, "-I", __file__, "_init", spec.to_json()]
        self.unshare = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, preexec_fn=_preexec_into(self.cgroups, True)
        )
        if not wait_until(self._find_init, timeout=10.0):
            raise TestBedError("the bed's PID 1 did not appear")

    def _find_init(self) -> bool:
        assert self.unshare is not None
        if self.unshare.poll() is not None:
            raise TestBedError(f"unshare exited with {self.unshare.returncode} during boot")
        children = Path(f"/proc/{self.unshare.pid}/task/{self.unshare.pid}/children")
        pids = children.read_text().split()
        self.init_pid = int(pids[0]) if pids else 0
        return self.init_pid != 0

    def wait_booted(self, timeout: float = BOOT_TIMEOUT_S, keep_going: bool = False) -> str:
        """Wait until systemd has finished booting; returns the state ("running", "degraded")."""
        deadline = time.monotonic() + timeout
        state = "offline"
        while time.monotonic() < deadline:
            self._check_alive()
            left = max(deadline - time.monotonic(), 0.1)
            res = self._systemctl(["is-system-running", "--wait"], timeout=left)
            state = res.stdout.strip() or "offline"
            if state in ("running", "degraded"):
                return state
            if state not in ("offline", "unknown", "initializing", "starting"):
                break
            time.sleep(0.05)  # no bus yet: systemd is still setting up /run/systemd/private
        jobs = self._systemctl(["list-jobs", "--no-pager"], timeout=5.0).stdout
        if keep_going:
            log(f"boot not finished ({state}), going on anyway; pending jobs:\n{jobs}")
            return state
        assert self.console is not None
        raise TestBedError(
            f"boot did not finish: state '{state}'\njobs:\n{jobs}\nconsole:\n{self.console.tail()}"
        )

    def _check_alive(self) -> None:
        assert self.unshare is not None and self.console is not None
        if self.unshare.poll() is not None:
            raise TestBedError(
                f"the bed exited with {self.unshare.returncode}\nconsole:\n{self.console.tail()}"
            )

    def failed_units(self) -> list[str]:
        out = self._systemctl(["list-units", "--failed", "--plain", "--no-legend"], 10.0).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]

    def _systemctl(self, args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        argv = ["nsenter", "-a", "-t", str(self.init_pid), "systemctl", *args]
        try:
            return subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                preexec_fn=_preexec_into(self.cgroups, False),
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else ""
            return subprocess.CompletedProcess(argv, -1, out or "starting", "")

    # -- commands --------------------------------------------------------------------------

    def _command(self, cmd: Sequence[str], cwd: Path | None) -> list[str]:
        """argv that runs `cmd` inside the bed, in `cwd`, in a transient scope of its own (so it
        sits in the bed's cgroup tree like any login shell would)."""
        self._commands += 1
        unit = f"{self.name}-cmd{self._commands}.scope"
        where = str(cwd or Path.cwd())
        inner = ["systemd-run", "--quiet", "--scope", "--collect", f"--unit={unit}", "--", *cmd]
        return ["nsenter", "-a", "-t", str(self.init_pid), "--", "env", "-C", where, *inner]

    def popen(
        self, cmd: Sequence[str], cwd: Path | None = None, **kwargs: Any
    ) -> subprocess.Popen[Any]:
        """Start `cmd` inside the bed (cwd: the current one), environment passed through plus
        SCOPEBOX_TESTBED=1; `kwargs` go to Popen (stdout=..., text=...)."""
        env = {**os.environ, **kwargs.pop("env", {}), "SCOPEBOX_TESTBED": "1"}
        # Moved into the bed's cgroups first: systemd in the bed cannot adopt a process from
        # outside its cgroup namespace into the scope.
        preexec = _preexec_into(self.cgroups, True)
        return subprocess.Popen(self._command(cmd, cwd), env=env, preexec_fn=preexec, **kwargs)

    def run(self, cmd: Sequence[str], cwd: Path | None = None, interactive: bool = False) -> int:
        """Run `cmd` inside with stdio and the environment passed through; its exit code.

        Not interactive, the command gets a session of its own: a Ctrl-C or a signal to the
        runner's process group then reaches only the runner, whose teardown stops the command
        through systemd. (Killed together, nsenter could die before its child, whose zombie would
        go to the host's init, and systemd-shutdown would wait 10 s for it to vanish.)
        Interactive, the command keeps the terminal and Ctrl-C, and the runner ignores SIGINT."""
        # Interrupted, the command is left to teardown, which powers off and reaps it.
        self._running = self.popen(cmd, cwd, start_new_session=not interactive)
        if not interactive:
            return self._running.wait()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return self._running.wait()
        finally:
            signal.signal(signal.SIGINT, old)

    # -- teardown --------------------------------------------------------------------------

    def teardown(self) -> None:
        """Power off, kill what is left after POWEROFF_TIMEOUT_S, remove the cgroups."""
        try:
            if self.unshare is not None and self.unshare.poll() is None:
                self._poweroff()
        finally:
            _kill_cgroup_tree(self.cgroups)
            if self._running is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._running.wait(timeout=10.0)  # killed just above if it was still there
            if self.console is not None:
                self.console.close()
                self.console = None
            busy = [path for cg in self.cgroups for path in _remove_cgroup_tree(cg)]
            self.cgroups = []
            if busy:
                raise TestBedError(f"cgroups still busy: {', '.join(map(str, busy))}")

    def _poweroff(self) -> None:
        assert self.unshare is not None
        if self.init_pid:
            self._systemctl(["poweroff", "--no-block"], timeout=5.0)
        try:
            self.unshare.wait(timeout=POWEROFF_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            log(f"poweroff took over {POWEROFF_TIMEOUT_S:.0f} s: killing the bed")
        # SIGKILL to the namespace's init makes the kernel kill every process in the namespace.
        if self.init_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.init_pid, signal.SIGKILL)
        _kill_cgroup_tree(self.cgroups)
        self.unshare.wait(timeout=10.0)


@contextlib.contextmanager
def booted(
    checkout: Path | None = None,
    keep_going: bool = False,
    quiet: bool = False,
    state_dir: Path | None = None,
) -> Iterator[TestBed]:
    """Boot a bed, yield it once systemd runs, always tear it down. `state_dir`: a host
    directory that is the bed's /var/lib/scopebox (kept from one bed to the next)."""
    if os.geteuid() != 0:
        raise TestBedError("the test bed needs root")
    if state_dir is not None and not state_dir.is_dir():
        raise TestBedError(f"state dir {state_dir} is not a directory")
    bed = TestBed(checkout or find_checkout(), state_dir)
    try:
        started = time.monotonic()
        bed.start()
        state = bed.wait_booted(keep_going=keep_going)
        took = time.monotonic() - started
        if not quiet:
            log(f"{bed.name}: systemd booted in {took:.2f} s ({state})")
        if state == "degraded":
            log(f"degraded, failed units: {', '.join(bed.failed_units()) or '(none listed)'}")
        yield bed
    finally:
        with _signals_ignored():
            bed.teardown()


# ---------------------------------------------------------------------------------------------
# CLI


def _raise_interrupted(signum: int, _frame: types.FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """A second Ctrl-C must not abort teardown half-way."""
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _cmd_run(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        log("nothing to run: testbed.py run -- CMD ARGS...")
        return 2
    with booted(keep_going=args.keep_going, state_dir=args.state_dir) as bed:
        return bed.run(cmd)


def _cmd_shell(_args: argparse.Namespace) -> int:
    with booted() as bed:
        log("shell inside the bed; exit to power it off")
        return bed.run([os.environ.get("SHELL", "/bin/bash"), "-l"], interactive=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_init"]:
        init_stage(BedSpec.from_json(argv[1]))
        return 127  # not reached: init_stage execs systemd
    parser = argparse.ArgumentParser(prog="testbed.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    run = sub.add_parser("run", help="boot, run CMD inside, power off; exits with CMD's code")
    run.add_argument(
        "--keep-going", action="store_true", help="run CMD even if the boot did not finish"
    )
    run.add_argument(
        "--state-dir",
        type=Path,
        metavar="HOSTDIR",
        help="bind HOSTDIR on /var/lib/scopebox instead of a tmpfs (kept for the next bed)",
    )
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    sub.add_parser("shell", help="an interactive shell inside a bed")
    args = parser.parse_args(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_interrupted)
    try:
        return int(_cmd_run(args) if args.verb == "run" else _cmd_shell(args))
    except Interrupted as exc:
        log(str(exc))
        return 128 + exc.signum
    except TestBedError as exc:
        log(f"error: {exc}")
        return 125


if __name__ == "__main__":
    sys.exit(main())
