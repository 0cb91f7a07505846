"""Every figure of issue 16, scopebox beside podman, in one command (run it in the systemd test
bed for systemd's figures: `python tests/testbed.py run -- .venv/bin/python bench/performance.py`):

    python bench/performance.py [--quick]

It runs, one after the other, and prints under a heading each:
- bench/compare.py: `run --rm --network none true` latency, the read verbs on an empty store,
  monitor memory with N containers running;
- bench/read_verbs.py --containers 200: the read verbs with 200 containers;
- bench/exit_visible.py: exit -> visible in inspect, ps -a, wait;
- bench/run_many.py: 50 x run -d sequential and 8 at once, stop timings;
- bench/logs.py: k8s-file throughput, attached and detached, every line checked;
- bench/run_breakdown.py: where `run --rm`'s time goes, with --network none and bridge.
`--quick` cuts runs and sizes (a smoke run, not figures to report).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def steps(quick: bool) -> list[list[str]]:
    if quick:
        return [["compare.py", "--runs", "3", "--containers", "3", "--read-runs", "3"],
                ["read_verbs.py", "--containers", "10", "--runs", "3"],
                ["exit_visible.py", "--runs", "1"],
                ["run_many.py", "--count", "4", "--parallel", "2", "--stops", "1"],
                ["logs.py", "--runs", "1", "--mib", "16"],
                ["run_breakdown.py", "--runs", "2"],
                ["run_breakdown.py", "--runs", "2", "--network", "bridge"]]  # fmt: skip
    return [["compare.py"],
            ["read_verbs.py", "--containers", "200"],
            ["exit_visible.py"],
            ["run_many.py"],
            ["logs.py"],
            ["run_breakdown.py"],
            ["run_breakdown.py", "--network", "bridge"]]  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs, smaller sizes")
    args = ap.parse_args()
    failed = 0
    for step in steps(args.quick):
        print(f"\n## bench/{' '.join(step)}  (load average {os.getloadavg()[0]:.2f})",
              flush=True)
        start = time.monotonic()
        code = subprocess.run([sys.executable, str(BENCH / step[0]), *step[1:]]).returncode
        print(f"(exit {code}, {time.monotonic() - start:.0f} s)", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
