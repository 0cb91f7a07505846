#!/usr/bin/env python3
"""The pure cgroup v2 lane: part of the suite on a real v2 host with systemd, in qemu.

    python tests/vm/lane.py build                 build (or reuse) the cached root file system
    python tests/vm/lane.py run [--record DIR]    boot it with this checkout and run the lane
    python tests/vm/lane.py shell                 boot it with a root shell on the console

This machine is hybrid (cgroup v1 controllers) and nested KVM does not work, so the lane boots
Debian's cloud kernel in qemu with software emulation (TCG) and systemd as PID 1 on a pure v2
hierarchy (/work/shared/MACHINE.md). The whole root file system (debootstrap of bookworm, cached
under /var/cache/scopebox-vm keyed by the package list and BUILDER_VERSION) and a copy of this
checkout are the initramfs; a unit in the VM runs tests/vm/guest.sh, which writes its report to
the second serial port (a file here). The exit status is non-zero when anything failed, did not
run, or the VM did not finish in time. Nothing stays behind: the VM's files live in one temporary
directory, and qemu is killed on timeout.

Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = Path(os.environ.get("SCOPEBOX_VM_CACHE", "/var/cache/scopebox-vm"))
SUITE = "bookworm"
MIRROR = os.environ.get("SCOPEBOX_VM_MIRROR", "http://deb.debian.org/debian")
BUILDER_VERSION = "2"  # bump when the build steps change in a way the package list does not show
KERNEL_PACKAGE = "linux-image-cloud-amd64"
PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "kmod", "procps", "util-linux", "iproute2",
    "nftables",  # the default bridge network (packaging/install.sh installs it too)
    "busybox-static", "e2fsprogs", "runc", "crun",
    "python3", "python3-jeepney", "python3-systemd", "python3-pytest", "python3-hypothesis",
    # rootless (issue 17): newuidmap/newgidmap, and the user's D-Bus (the runtimes' systemd
    # cgroup driver reaches the user's manager through it, as Podman's does)
    "uidmap", "dbus-user-session",
)  # fmt: skip
# Units a test VM does not need: they slow the boot or wait for what is not there.
MASKED = (
    "getty@tty1.service", "serial-getty@ttyS0.service", "serial-getty@ttyS1.service",
    "console-getty.service", "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer",
    "e2scrub_reap.service", "fstrim.timer", "systemd-timesyncd.service",
)  # fmt: skip
KERNEL_CMDLINE = (
    "console=ttyS0 panic=-1 quiet loglevel=3 systemd.unified_cgroup_hierarchy=1"
    " systemd.show_status=0 systemd.log_target=console systemd.log_level=warning"
    " rd.udev.log_level=3 mitigations=off"
)
# qemu64, not max: with AVX2/AVX-512 offered, glibc takes code paths TCG emulates ~3x slower.
CPU = os.environ.get("SCOPEBOX_VM_CPU", "qemu64")
GUEST_DIR = "/opt/scopebox"
END = "LANE-EXIT "  # guest.sh's last line: "LANE-EXIT <status>"
FILE = "LANE-FILE "  # "LANE-FILE <relative path> <base64>": a recording brought back


def log(msg: str) -> None:
    print(f"v2lane: {msg}", file=sys.stderr, flush=True)


def cache_key() -> str:
    parts = [BUILDER_VERSION, SUITE, MIRROR, KERNEL_PACKAGE, *PACKAGES, *MASKED, *KEEP_MODULES]
    text = "\n".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "HOME": "/root"}


def run(cmd: list[str], **kw: object) -> None:
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def build() -> Path:
    """The cached image directory (vmlinuz, rootfs.cpio), built when missing."""
    image = CACHE / cache_key()
    if (image / "rootfs.cpio").exists():
        return image
    with locked(CACHE / ".lock"):
        if (image / "rootfs.cpio").exists():
            return image  # another lane built it meanwhile
        for old in CACHE.glob("build-*"):
            shutil.rmtree(old, ignore_errors=True)  # an interrupted build
        work = Path(tempfile.mkdtemp(prefix="build-", dir=CACHE))
        try:
            started = time.monotonic()
            _build_into(work)
            (work / "root").rename(work / "unused")
            shutil.rmtree(work / "unused")
            for stale in CACHE.iterdir():  # older keys: one image is enough
                if stale.is_dir() and not stale.name.startswith("build-"):
                    shutil.rmtree(stale, ignore_errors=True)
            work.rename(image)
            log(f"built {image} in {time.monotonic() - started:.0f} s")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return image


def _build_into(work: Path) -> None:
    root = work / "root"
    log(f"debootstrap {SUITE} into {root} (a few minutes)")
    debootstrap = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}"]
    run(
        [*debootstrap, SUITE, str(root), MIRROR],
        stdout=subprocess.DEVNULL,
        env={**os.environ, **CHROOT_ENV},
    )
    # The kernel is unpacked, not installed: its initramfs hooks are not wanted.
    script = (
        "set -e; cd /tmp; "
        f"dep=$(apt-cache depends {KERNEL_PACKAGE} | sed -n 's/.*Depends: \\(linux-image-.*\\)/\\1/p' | head -1); "  # noqa: E501
        'apt-get download -q "$dep" >/dev/null; ls /tmp/linux-image-*.deb'
    )
    deb = subprocess.run(
        ["chroot", str(root), "sh", "-c", script],
        check=True,
        capture_output=True,
        text=True,
        env=CHROOT_ENV,
    ).stdout.split()[-1]
    # Beside the root, not into it: tar would replace its /lib symlink (merged /usr) by a dir.
    unpacked = work / "kernel"
    run(["dpkg-deb", "-x", str(root) + deb, str(unpacked)])
    os.unlink(str(root) + deb)
    (kernel,) = (unpacked / "boot").glob("vmlinuz-*")
    version = kernel.name.removeprefix("vmlinuz-")
    shutil.copy(kernel, work / "vmlinuz")
    (root / "usr/lib/modules").mkdir(exist_ok=True)
    (unpacked / "lib/modules" / version).rename(root / "usr/lib/modules" / version)
    shutil.rmtree(unpacked)
    _prune_modules(root / "usr/lib/modules" / version)
    run(["chroot", str(root), "depmod", version], env=CHROOT_ENV)
    _configure(root)
    log("packing the root file system")
    with open(work / "rootfs.cpio", "wb") as out:
        _cpio(root, out)


# Kernel modules a container host in a VM loads (overlay, veth, bridge, netfilter, the virtio
# disk); the rest is most of the initramfs's size, and the kernel unpacks it slowly under TCG.
KEEP_MODULES = (
    "kernel/fs/overlayfs/", "kernel/fs/fuse/", "kernel/drivers/block/virtio_blk.ko",
    "kernel/drivers/net/veth.ko", "kernel/drivers/net/dummy.ko", "kernel/drivers/char/",
    "kernel/drivers/virtio/", "kernel/net/bridge/", "kernel/net/netfilter/", "kernel/net/ipv4/",
    "kernel/net/ipv6/", "kernel/net/llc/", "kernel/net/802/", "kernel/net/sched/",
    "kernel/net/core/", "kernel/lib/", "kernel/crypto/",
)  # fmt: skip


def _prune_modules(modules: Path) -> None:
    for ko in modules.glob("kernel/**/*.ko"):
        if not ko.relative_to(modules).as_posix().startswith(KEEP_MODULES):
            ko.unlink()


def _configure(root: Path) -> None:
    etc = root / "etc"
    (etc / "hostname").write_text("scopebox-vm\n")
    (etc / "machine-id").write_text(hashlib.md5(os.urandom(16)).hexdigest() + "\n")
    (etc / "fstab").write_text("")
    for ids in ("subuid", "subgid"):  # rootless tests add their users' ranges (issue 17)
        (etc / ids).write_text("")
    for unit in MASKED:
        link = etc / "systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    dropin = etc / "systemd/journald.conf.d"
    dropin.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "supervisor/data/journald-50-scopebox.conf", dropin / "50-scopebox.conf")
    (dropin / "60-vm.conf").write_text("[Journal]\nStorage=volatile\n")
    for junk in ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"):
        shutil.rmtree(root / junk, ignore_errors=True)
    for pattern in (
        "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_*",
        "usr/lib/x86_64-linux-gnu/*.a", "var/cache/debconf/*-old",
    ):  # fmt: skip
        for path in root.glob(pattern):
            path.unlink()
    (root / "initbin").mkdir()
    shutil.copy(root / "bin/busybox", root / "initbin/busybox")


def _cpio(directory: Path, out: object) -> None:
    names = subprocess.run(
        ["find", ".", "-mindepth", "1", "-print0"], cwd=directory, check=True, capture_output=True
    ).stdout
    run(
        ["cpio", "--quiet", "--null", "-o", "-H", "newc", "--owner=0:0"],
        cwd=directory,
        input=names,
        stdout=out,
    )


def checkout_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


def stage_checkout(stage: Path, env: dict[str, str]) -> None:
    """This checkout at /opt/scopebox, the lane's unit, its settings, and /init."""
    shutil.copy(HERE / "init", stage / "init")
    os.chmod(stage / "init", 0o755)
    dest = stage / GUEST_DIR.lstrip("/")
    for name in checkout_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    # Byte-compiled here, where CPU is cheap: each CLI call in the VM would compile it all.
    # The VM's python3 is Debian 12's 3.11, like the host's own /usr/bin/python3.
    if Path("/usr/bin/python3.11").exists():
        subprocess.run(
            ["/usr/bin/python3.11", "-m", "compileall", "-q", "-j0", str(dest)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    units = stage / "etc/systemd/system"
    (units / "multi-user.target.wants").mkdir(parents=True)
    shutil.copy(HERE / "scopebox-lane.service", units)
    (units / "multi-user.target.wants/scopebox-lane.service").symlink_to(
        "/etc/systemd/system/scopebox-lane.service"
    )
    (stage / "etc/scopebox-lane.env").write_text(
        "".join(f"{k}={v}\n" for k, v in sorted(env.items()))
    )


def boot(
    image: Path, env: dict[str, str], timeout: float, record: Path | None, interactive: bool
) -> int:
    with tempfile.TemporaryDirectory(prefix="scopebox-vm-") as tmp_name:
        tmp = Path(tmp_name)
        stage = tmp / "stage"
        stage.mkdir()
        if not interactive:
            stage_checkout(stage, env)
        else:
            shutil.copy(HERE / "init", stage / "init")
        initrd = tmp / "initrd"
        with open(initrd, "wb") as out:
            with open(image / "rootfs.cpio", "rb") as base:
                shutil.copyfileobj(base, out, 1 << 20)
            _cpio(stage, out)  # later archive entries win: the checkout and the unit
        shutil.rmtree(stage)
        scratch = tmp / "scratch.img"
        with open(scratch, "wb") as f:
            f.truncate(512 << 20)  # a sparse virtio disk: block I/O for io.stat
        report = tmp / "report"
        report.touch()
        cmdline = KERNEL_CMDLINE + ("" if not interactive else " systemd.unit=rescue.target")
        argv = [
            "qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", CPU,
            "-m", "4G", "-smp", "2", "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", str(image / "vmlinuz"), "-initrd", str(initrd), "-append", cmdline,
            "-drive", f"file={scratch},if=virtio,format=raw",
        ]  # fmt: skip
        if interactive:
            os.execvp(argv[0], [*argv, "-serial", "mon:stdio"])
        console = tmp / "console.log"
        argv += ["-serial", f"file:{console}", "-serial", f"file:{report}"]
        started = time.monotonic()
        qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            status = _follow(qemu, report, started + timeout)
        finally:
            if qemu.poll() is None:
                qemu.terminate()
                try:
                    qemu.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    qemu.kill()
                    qemu.wait()
        log(f"VM done in {time.monotonic() - started:.0f} s")
        text = report.read_text(errors="replace")
        if record is not None:
            _unpack_recordings(text, record)
        if status is None:
            log("no LANE-EXIT from the VM: the console said")
            sys.stderr.write(_tail(console.read_text(errors="replace"), 60))
            return 1
        return status


def _follow(qemu: subprocess.Popen[bytes], report: Path, deadline: float) -> int | None:
    """Print the report as it grows; its LANE-EXIT line once qemu has powered off."""
    status: int | None = None
    done = 0
    with open(report, "rb") as f:
        buf = b""
        while True:
            chunk = f.read()
            if chunk:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    line = raw.decode(errors="replace").rstrip("\r")
                    if line.startswith(END):
                        status = int(line.removeprefix(END).strip() or 1)
                    elif not line.startswith(FILE):
                        print(line, flush=True)
                continue
            if qemu.poll() is not None:
                done += 1
                if done > 1:  # one more read after exit: nothing is left in the file
                    return status
            elif time.monotonic() > deadline:
                log(f"timed out: killing the VM (pid {qemu.pid})")
                os.killpg(qemu.pid, signal.SIGKILL)
                qemu.wait()
                return None
            time.sleep(0.2)


def _unpack_recordings(text: str, record: Path) -> None:
    for line in text.splitlines():
        if not line.startswith(FILE):
            continue
        _, rel, data = line.rstrip("\r").split(" ", 2)
        if ".." in Path(rel).parts or rel.startswith("/"):
            raise ValueError(f"bad recording name {rel!r}")
        target = record / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(data))
        log(f"recorded {target}")


def _tail(text: str, n: int) -> str:
    return "".join(f"  | {line}\n" for line in re.split(r"\r?\n", text)[-n:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build")
    run_p = sub.add_parser("run")
    run_p.add_argument("--timeout", type=float, default=2700.0, help="for the whole VM (s)")
    run_p.add_argument("--runtimes", default="crun runc", help="in the order they run")
    run_p.add_argument("--record", type=Path, help="bring cgroup recordings back into DIR")
    run_p.add_argument("--tier", default="systemd", help="for pytest_args: systemd or host")
    run_p.add_argument("--sh", default="", help="a shell command to run first (debugging)")
    run_p.add_argument("pytest_args", nargs="*", help="instead of the lane's selection")
    sub.add_parser("shell")
    args = parser.parse_args(argv)
    # SIGTERM (a CI timeout, kill) unwinds like ^C: qemu is killed and the temp dir removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if os.geteuid() != 0:
        parser.error("needs root (debootstrap, chroot)")
    t0 = time.monotonic()
    image = build()
    log(f"image ready in {time.monotonic() - t0:.0f} s: {image}")
    if args.cmd == "build":
        return 0
    if args.cmd == "shell":
        return boot(image, {}, 0, None, interactive=True)
    env = {
        "LANE_RUNTIMES": args.runtimes,
        "LANE_RECORD": "1" if args.record else "",
        "LANE_PYTEST_ARGS": " ".join(args.pytest_args),
        "LANE_TIER": args.tier,
        "LANE_SH": base64.b64encode(args.sh.encode()).decode(),
    }
    status = boot(image, env, args.timeout, args.record, interactive=False)
    log(f"lane {'passed' if status == 0 else 'FAILED'} in {time.monotonic() - t0:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
