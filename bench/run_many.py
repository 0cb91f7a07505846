"""Many detached containers and their stops, scopebox beside podman (issue 16's figures):

    python bench/run_many.py [--count 50] [--parallel 8] [--stops 5]

- `run -d busybox sleep 1000`, `--count` times one after another, then `--count` times with
  `--parallel` at once: wall time per container (total / count), and the slowest single call
  (a stall shows there);
- `stop` of a container whose command exits on SIGTERM (a shell trapping it), and `stop -t 1`
  of one that ignores it (`sleep` as PID 1 has no handler): median of `--stops`.
Engines as bench/terminal.py makes them (private stores, podman `--runtime runc`). Inside the
systemd test bed (`python tests/testbed.py run -- .venv/bin/python bench/run_many.py`) both use
systemd. The load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench.terminal: both engines as the benches run them

from bench.terminal import Engine, with_busybox  # noqa: E402

TRAPS_TERM = ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]


def call(eng: Engine, *args: str) -> float:
    argv, env = eng
    start = time.perf_counter()
    subprocess.run([*argv, *args], env=env, cwd=REPO, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def many(eng: Engine, count: int, parallel: int) -> tuple[float, float]:
    """(wall time per container, the slowest call) of `count` run -d, `parallel` at once."""
    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        took = list(pool.map(lambda _: call(eng, "run", "-d", "busybox", "sleep", "1000"),
                             range(count)))  # fmt: skip
    per = (time.perf_counter() - start) / count
    call(eng, "rm", "-a", "-f", "-t", "0")
    return per, max(took)


def stops(eng: Engine, runs: int) -> tuple[float, float]:
    """(median stop of a container exiting on SIGTERM, median stop -t 1 of one ignoring it)."""
    term, ignore = [], []
    for i in range(runs):
        call(eng, "run", "-d", "--name", f"t{i}", "busybox", *TRAPS_TERM)
        call(eng, "run", "-d", "--name", f"i{i}", "busybox", "sleep", "1000")
        time.sleep(0.3)  # the shell has set its trap
        term.append(call(eng, "stop", f"t{i}"))
        ignore.append(call(eng, "stop", "-t", "1", f"i{i}"))
    call(eng, "rm", "-a", "-f", "-t", "0")
    return statistics.median(term), statistics.median(ignore)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--stops", type=int, default=5)
    ap.add_argument("--only-stops", action="store_true", help="no run -d figures")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-many-") as tmp:
        engs = with_busybox(Path(tmp))
        rows: dict[str, dict[str, str]] = {label: {} for label in engs}
        try:
            for width in () if args.only_stops else (1, args.parallel):
                for label, eng in engs.items():
                    per, worst = many(eng, args.count, width)
                    rows[label][f"run -d x{args.count}, {width} at once"] = (
                        f"{per * 1000:6.0f} ms/ctr (slowest call {worst * 1000:.0f} ms)")
            for label, eng in engs.items():
                term, ignore = stops(eng, args.stops)
                rows[label]["stop (exits on SIGTERM)"] = f"{term * 1000:6.0f} ms"
                rows[label]["stop -t 1 (ignores SIGTERM)"] = f"{ignore * 1000:6.0f} ms"
        finally:
            for argv, env in engs.values():
                subprocess.run([*argv, "rm", "-a", "-f", "-t", "0"], env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.2f}")
        for figure in rows["scopebox"]:
            print(f"{figure:32} " + "  ".join(f"{label} {rows[label][figure]}"
                                               for label in engs))


if __name__ == "__main__":
    main()
