"""How soon a container's exit shows in `inspect`, `ps -a` and `wait`, scopebox beside podman.

    python bench/exit_visible.py [--runs 5]

Each engine runs `busybox sleep 1000` detached; the bench kills the container's process
(SIGKILL: exit code 137) at t0. Then:
- `inspect` and `ps -a`: both are started D ms after t0 (D = 0, 10, 20, 30, 50, 80 ms); the
  figure is the share of runs whose answer already shows the exit (Exited, 137). A CLI reads
  the state some ms after it starts (its own start-up), the same for every D.
- `wait`: started (and given 1 s to block) before t0; the figure is t0 -> `wait` returning
  137, median, and the CLI's own `wait` on an exited container beside it (its floor).
Podman runs with `--runtime runc` (cgroupfs outside systemd). The load average is printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench.terminal: both engines as the benches run them

from bench.terminal import engines  # noqa: E402

DELAYS_MS = (0, 10, 20, 30, 50, 80)


def out(argv: list[str], env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, cwd=REPO, check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def started(eng: list[str], env: dict[str, str], name: str) -> int:
    out([*eng, "run", "-d", "--name", name, "busybox", "sleep", "1000"], env)
    return int(out([*eng, "inspect", "-f", "{{.State.Pid}}", name], env))


def seen_at(eng: list[str], env: dict[str, str], name: str, delay: float) -> tuple[bool, bool]:
    """(inspect shows the exit, ps -a shows it), both asked `delay` s after the kill."""
    pid = started(eng, env, name)
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    time.sleep(max(0.0, delay - (time.perf_counter() - t0)))
    kw = {"env": env, "cwd": REPO, "stdout": subprocess.PIPE, "text": True}
    ins = subprocess.Popen([*eng, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                            name], **kw)  # type: ignore[call-overload]  # fmt: skip
    ps = subprocess.Popen([*eng, "ps", "-a", "--filter", f"name={name}", "--format",
                           "{{.Status}}"], **kw)  # type: ignore[call-overload]  # fmt: skip
    a, b = ins.communicate()[0].strip(), ps.communicate()[0].strip()
    out([*eng, "rm", "-f", name], env)
    return a == "exited 137", b.startswith("Exited (137)")


def wait_latency(eng: list[str], env: dict[str, str], name: str) -> tuple[float, float]:
    """(kill -> wait returning, wait on the exited container: the CLI's own time), in s."""
    pid = started(eng, env, name)
    w = subprocess.Popen([*eng, "wait", name], env=env, cwd=REPO, stdout=subprocess.PIPE,
                         text=True)  # fmt: skip
    time.sleep(1.0)  # its start-up done, it waits
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    code = w.communicate()[0].strip()
    latency = time.perf_counter() - t0
    if code != "137":
        raise SystemExit(f"{eng[0]} wait gave {code!r}")
    t1 = time.perf_counter()
    out([*eng, "wait", name], env)
    floor = time.perf_counter() - t1
    out([*eng, "rm", "-f", name], env)
    return latency, floor


def main() -> None:
    ap = argparse.ArgumentParser(allow_abbrev=False)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-exit-", dir="/var/tmp") as tmp:
        base = Path(tmp)
        pair = engines(base)
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)  # fmt: skip
        for eng, env in pair.values():
            out([*eng, "import", str(tar), "busybox"], env)
        seen: dict[tuple[str, int], list[tuple[bool, bool]]] = {}
        waits: dict[str, list[tuple[float, float]]] = {n: [] for n in pair}
        try:
            for i in range(args.runs):
                for name, (eng, env) in pair.items():
                    for d in DELAYS_MS:
                        seen.setdefault((name, d), []).append(
                            seen_at(eng, env, f"ev{i}d{d}", d / 1000))
                    waits[name].append(wait_latency(eng, env, f"ew{i}"))
        finally:
            for eng, env in pair.values():
                subprocess.run([*eng, "rm", "-a", "-f"], env=env, capture_output=True)
                subprocess.run([*eng, "rmi", "-a", "-f"], env=env, capture_output=True)
    print(f"exit -> visible, {args.runs} runs; load average {os.getloadavg()[0]:.2f}")
    print("asked D ms after the kill: runs whose answer shows it (inspect / ps -a)")
    print("  D ms   " + "".join(f"{d:>10}" for d in DELAYS_MS))
    for name in pair:
        cells = []
        for d in DELAYS_MS:
            got = seen[(name, d)]
            cells.append(f"{sum(a for a, _ in got)}/{sum(b for _, b in got)}")
        print(f"  {name:8}" + "".join(f"{c:>10}" for c in cells))
    for name in pair:
        lat = statistics.median(w for w, _ in waits[name]) * 1000
        floor = statistics.median(f for _, f in waits[name]) * 1000
        print(f"wait: {name:8} kill -> return {lat:6.1f} ms (its own wait on an exited "
              f"container: {floor:6.1f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
