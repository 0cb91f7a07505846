"""Container output through the log path, scopebox beside podman (`--runtime runc`), same
machine, same run, interleaved (issue 16's log figures):

    python bench/logs.py [--runs 3] [--mib 512] [--line 64]

Each run prints `--mib` MiB of `--line`-byte lines (`cat` of a 1 MiB file) with `--log-driver
k8s-file` (no rotation), in two ways:
- attached: `run --rm`, its stdout a pipe this script drains (the attached client keeps up);
- detached: `run -d` + `wait`: the monitor alone writes the file.
Throughput is MiB over the wall time of the whole command (both include the container's start,
~0.3 s here); after every run the log file is read back and must hold every line, whole and in
order (no line lost). Prints medians, their ratio, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.terminal: the engines
from bench.terminal import MIB, REPO, Engine, with_busybox

# one file, as Podman's default (scopebox's own default rotates at 10 MiB x 5 files)
LOG = ["--log-driver", "k8s-file", "--log-opt", "max-size=4g"]


def producer(mib: int, line: int) -> list[str]:
    """1 MiB of lines made once in the container, then `cat` of it `mib` times: busybox `yes`
    writes a line per system call, slower than either engine's log path."""
    text = "x" * (line - 1)
    script = (f"yes {text} | head -c {MIB} > /tmp/mib; i=0; while [ $i -lt {mib} ];"
              " do cat /tmp/mib; i=$((i+1)); done")
    return ["busybox", "sh", "-c", script]


def log_lines(eng: Engine, ref: str) -> tuple[int, int]:
    """(lines, bytes of content) in the container's k8s-file log; every line checked."""
    argv, env = eng
    path = subprocess.run([*argv, "inspect", "-f", "{{.HostConfig.LogConfig.Path}}", ref],
                          env=env, cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    lines = size = 0
    with open(path, "rb") as f:
        for rec in f:
            _ts, _stream, flag, data = rec.split(b" ", 3)
            lines += flag == b"F"
            size += len(data)
    return lines, size


def attached(eng: Engine, mib: int, line: int) -> tuple[float, str]:
    argv, env = eng
    name = f"logs{time.monotonic_ns()}"
    start = time.perf_counter()
    proc = subprocess.Popen([*argv, "run", "--name", name, *LOG, *producer(mib, line)],
                            env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None
    got = 0
    while chunk := os.read(proc.stdout.fileno(), 1 << 20):
        got += len(chunk)
    code = proc.wait()
    took = time.perf_counter() - start
    if code != 0 or got != mib * MIB:
        raise SystemExit(f"attached run: exit {code}, {got} bytes of {mib * MIB}")
    return took, name


def detached(eng: Engine, mib: int, line: int) -> tuple[float, str]:
    argv, env = eng
    name = f"logs{time.monotonic_ns()}"
    start = time.perf_counter()
    for args in (["run", "-d", "--name", name, *LOG, *producer(mib, line)],
                 ["wait", name]):  # fmt: skip
        subprocess.run([*argv, *args], env=env, cwd=REPO, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start, name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--line", type=int, default=64, help="bytes per line, newline included")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as tmp:
        engs = with_busybox(Path(tmp))
        want_lines = args.mib * MIB // args.line
        times: dict[tuple[str, str], list[float]] = {}
        try:
            for _ in range(args.runs):
                for mode, fn in (("attached", attached), ("detached", detached)):
                    for label, eng in engs.items():
                        took, name = fn(eng, args.mib, args.line)
                        lines, size = log_lines(eng, name)
                        if (lines, size) != (want_lines, args.mib * MIB):  # data keeps its newline
                            raise SystemExit(f"{label} {mode}: the log holds {lines} lines,"
                                             f" {size} bytes; {want_lines} lines sent")
                        subprocess.run([*eng[0], "rm", "-f", name], env=eng[1], cwd=REPO,
                                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
                        times.setdefault((label, mode), []).append(took)
        finally:
            for argv, env in engs.values():
                subprocess.run([*argv, "rm", "-a", "-f"], env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        print(f"{args.mib} MiB in {args.line}-byte lines, k8s-file, {args.runs} runs, median;"
              f" load average {os.getloadavg()[0]:.2f}; every line found in each log")
        for mode in ("attached", "detached"):
            rates = {label: args.mib / statistics.median(times[label, mode]) for label in engs}
            print(f"{mode:9} " + "  ".join(f"{label} {rate:6.1f} MiB/s"
                                           for label, rate in rates.items())
                  + f"  scopebox/podman {rates['scopebox'] / rates['podman']:.2f}")


if __name__ == "__main__":
    main()
