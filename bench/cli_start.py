"""The CLI's cold start: `version` and `ps` (an empty private store) of one or more scopebox
commands, interleaved run by run, median and minimum wall time.

    python bench/cli_start.py [--runs N] [LABEL=]COMMAND...

e.g. `python bench/cli_start.py installed=/usr/local/bin/scopebox dev=.venv/bin/scopebox`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time

VERBS = ("version", "ps")


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    res = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = (time.perf_counter() - start) * 1000
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {res.returncode}: {res.stderr.decode()}")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("commands", nargs="+", metavar="[LABEL=]COMMAND")
    args = p.parse_args()
    commands = dict(c.split("=", 1) if "=" in c else (c, c) for c in args.commands)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SCOPEBOX_ROOT": f"{tmp}/root", "SCOPEBOX_RUNROOT": f"{tmp}/run"}
        ms: dict[tuple[str, str], list[float]] = {(c, v): [] for c in commands for v in VERBS}
        for _ in range(args.runs):
            for label, command in commands.items():
                for verb in VERBS:
                    ms[label, verb].append(timed([command, verb], env))
    for (label, verb), times in ms.items():
        print(f"{label:<16} {verb:<8} median {statistics.median(times):6.1f} ms"
              f"  min {min(times):6.1f} ms  ({args.runs} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
