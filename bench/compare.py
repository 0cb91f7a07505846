"""scopebox vs podman (and bare runc), same machine, same run.

    python bench/compare.py [--runs 20] [--containers 50] [--baseline REV]

`--baseline REV` adds scopebox as of git revision REV (unpacked to a temp dir, its own store) to
the interleaved latency runs: before/after figures of a change, measured in one pass.

Prints: median/p90 latency of `run --rm --network none busybox true`; the read verbs' cold
start on an empty store (bench/read_verbs.py: median, min, p90 and the load average); and the
private (USS) and proportional (PSS) memory of the per-container monitors with N idle
containers running, plain and with a tty (scopebox's Python monitor vs podman's conmon).
Run it as root; inside the systemd test bed
(`python tests/testbed.py run -- .venv/bin/python bench/compare.py`) both engines use systemd.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench.read_verbs
SCOPEBOX = [sys.executable, "-m", "supervisor"]
PODMAN = ["podman", "--runtime", "runc", "--events-backend", "file"]
if not os.path.exists("/run/systemd/system"):
    PODMAN += ["--cgroup-manager", "cgroupfs"]
# This sandbox refuses podman's default rlimits (and even `--ulimit host`, measured): give it
# values that work here. They do not change what is measured.
_NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
ULIMITS = ["--ulimit", f"nofile={_NOFILE}:{_NOFILE}", "--ulimit", "nproc=4096:4096"]
PODMAN_RUN = [*PODMAN, "run", "--rm", "--network", "none", *ULIMITS]


def sh(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO, env=env)


def interleaved(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Each run times every engine once, in turn, so drift in machine load hits all alike."""
    for fn in fns.values():
        fn()  # warm caches
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t0)
    return out


def smaps(pid: int) -> tuple[int, int]:
    """(USS, PSS) in KiB from /proc/PID/smaps_rollup."""
    uss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Private_Clean", "Private_Dirty"):
            uss += int(rest.split()[0])
        elif key == "Pss":
            pss = int(rest.split()[0])
    return uss, pss


def podman_storage_for_testbed() -> None:
    """Inside tests/testbed.py `/` is an overlay: podman's overlay driver needs a real upper."""
    if os.environ.get("SCOPEBOX_TESTBED") == "1" and not os.path.ismount("/var/lib/containers"):
        os.makedirs("/var/lib/containers", exist_ok=True)
        sh(["mount", "-t", "tmpfs", "tmpfs", "/var/lib/containers"])


def prepare_images(tar: str) -> None:
    if subprocess.run([*SCOPEBOX, "image", "inspect", "busybox"], capture_output=True).returncode:
        sh([*SCOPEBOX, "import", "--change", 'CMD ["sh"]', tar, "busybox"])
    if shutil.which("podman"):
        sh([*PODMAN, "import", tar, "localhost/busybox-bench"])


def baseline_engine(rev: str, tar: str) -> tuple[Path, dict[str, str]]:
    """scopebox as of `rev`, unpacked from git, with a private store holding busybox."""
    work = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    code = work / "code"
    code.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    env = {**os.environ, "SCOPEBOX_ROOT": str(work / "root"), "SCOPEBOX_RUNROOT": str(work / "run")}
    subprocess.run(
        [*SCOPEBOX, "import", "--change", 'CMD ["sh"]', tar, "busybox"],
        cwd=code, env=env, capture_output=True, check=True,
    )
    return code, env


def latency(
    runs: int, rootfs: str, baseline: tuple[str, Path, dict[str, str]] | None = None
) -> dict[str, list[float]]:
    run = [*SCOPEBOX, "run", "--rm", "--network", "none", "busybox", "true"]
    fns: dict[str, Callable[[], object]] = {"scopebox": lambda: sh(run)}
    if baseline is not None:
        rev, code, env = baseline

        def old() -> None:
            subprocess.run(run, cwd=code, env=env, capture_output=True, check=True)

        fns[f"scopebox@{rev[:10]}"] = old
    runtime = sh([*SCOPEBOX, "info", "--format", "{{.host.ociRuntime.name}}"]).stdout.strip()
    if runtime != "runc":  # podman runs runc here: compare like with like too
        fns[f"scopebox ({runtime})"] = fns.pop("scopebox")
        fns["scopebox (runc)"] = lambda: sh(run, env={**os.environ, "SCOPEBOX_RUNTIME": "runc"})
    if shutil.which("podman"):
        fns["podman (runc)"] = lambda: sh([*PODMAN_RUN, "localhost/busybox-bench", "true"])
    fns["runc (bare)"] = lambda: bare_runc(rootfs)
    return interleaved(fns, runs)


def bare_runc(rootfs: str) -> None:
    bundle = Path(rootfs).parent
    cid = f"bench-{os.getpid()}"
    argv = ["runc", "--root", str(bundle / "state"), "run", "--bundle", str(bundle), cid]
    subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=True)


def make_bundle(tar: str) -> str:
    bundle = Path(tempfile.mkdtemp(prefix="bench-runc-"))
    rootfs = bundle / "rootfs"
    rootfs.mkdir()
    sh(["tar", "-C", str(rootfs), "-xf", tar])
    sh(["runc", "spec", "--bundle", str(bundle)])
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["true"]
    limit = os.sysconf("SC_OPEN_MAX")
    spec["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": limit, "soft": limit}]
    (bundle / "config.json").write_text(json.dumps(spec))
    return str(rootfs)


def monitors(n: int, tty: bool = False) -> dict[str, list[tuple[int, int]]]:
    """USS/PSS of each monitor with `n` idle containers; `tty`: `run -dt` (performance)."""
    res: dict[str, list[tuple[int, int]]] = {}
    names = [f"bench-mem-{i}" for i in range(n)]
    flags = ["-dt"] if tty else ["-d"]
    try:
        for name in names:
            sh([*SCOPEBOX, "run", *flags, "--name", name, "busybox", "sleep", "100000"])
        pids = [
            int(sh([*SCOPEBOX, "inspect", "-f", "{{.State.ConmonPid}}", name]).stdout)
            for name in names
        ]
        res["scopebox monitor"] = [smaps(p) for p in pids]
    finally:
        subprocess.run([*SCOPEBOX, "rm", "-f", *names], capture_output=True)
    if shutil.which("podman"):
        try:
            for name in names:
                sh(
                    [
                        *PODMAN,
                        "run",
                        *flags,
                        "--network",
                        "none",
                        *ULIMITS,
                        "--name",
                        name,
                        "localhost/busybox-bench",
                        "sleep",
                        "100000",
                    ]
                )
            pids = [
                int(sh([*PODMAN, "inspect", "-f", "{{.State.ConmonPid}}", name]).stdout)
                for name in names
            ]
            res["podman conmon"] = [smaps(p) for p in pids]
        finally:
            subprocess.run([*PODMAN, "rm", "-f", "-t", "0", *names], capture_output=True)
    return res


def monitor_memory(containers: int, ttys: tuple[bool, ...]) -> None:
    for tty in ttys:
        kind = "run -dt" if tty else "run -d"
        print(f"\n## per-container monitor memory, {containers} idle containers ({kind});"
              f" load average {Path('/proc/loadavg').read_text().split()[0]}")  # fmt: skip
        print(f"{'monitor':<18}{'USS KiB median':>15}{'PSS KiB median':>15}"
              f"{'USS total MiB':>15}")  # fmt: skip
        for name, values in monitors(containers, tty).items():
            uss = [u for u, _ in values]
            pss = [p for _, p in values]
            print(
                f"{name:<18}{statistics.median(uss):>15.0f}{statistics.median(pss):>15.0f}"
                f"{sum(uss) / 1024:>15.1f}"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--containers", type=int, default=50)
    ap.add_argument("--baseline", help="also time scopebox as of this git revision")
    ap.add_argument("--read-runs", type=int, default=20, help="runs of each read verb")
    ap.add_argument("--monitors-only", action="store_true",
                    help="only the monitors' memory with `run -d` (issue 16)")  # fmt: skip
    ns = ap.parse_args()
    systemd = os.path.exists("/run/systemd/system")
    print(
        f"# scopebox bench: {'with systemd' if systemd else 'no systemd (cgroupfs)'}, "
        f"{os.cpu_count()} cpus, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    tar = tempfile.mktemp(suffix=".tar")
    sh(["sh", "packaging/busybox-rootfs.sh", tar])
    rootfs = make_bundle(tar)
    base = None
    try:
        podman_storage_for_testbed()
        prepare_images(tar)
        if ns.baseline:
            code, env = baseline_engine(ns.baseline, tar)
            base = (ns.baseline, code, env)
        if ns.monitors_only:
            monitor_memory(ns.containers, (False,))
            return
        print(f"\n## run --rm --network none busybox true ({ns.runs} runs)")
        print(f"{'engine':<22}{'median ms':>10}{'p90 ms':>10}{'min ms':>10}")
        for name, times in latency(ns.runs, rootfs, base).items():
            ms = sorted(t * 1000 for t in times)
            p90 = ms[int(len(ms) * 0.9) - 1]
            print(f"{name:<22}{statistics.median(ms):>10.1f}{p90:>10.1f}{ms[0]:>10.1f}")
        # performance (issue 16): the read verbs' cold start, empty store, beside podman
        from bench.read_verbs import measure

        print("\n## read verbs (a launcher of this checkout shaped like the installed one)")
        print("\n".join(measure([], ns.read_runs, 0)))
        monitor_memory(ns.containers, (False, True))
    finally:
        os.unlink(tar)
        shutil.rmtree(Path(rootfs).parent, ignore_errors=True)
        if shutil.which("podman"):
            subprocess.run([*PODMAN, "rmi", "-f", "localhost/busybox-bench"], capture_output=True)
        if base is not None:
            shutil.rmtree(base[1].parent, ignore_errors=True)


if __name__ == "__main__":
    main()
