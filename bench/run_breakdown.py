"""Where the time of `run --rm --network none busybox true` goes, beside podman's total.

    python bench/run_breakdown.py [--runs 9] [--network none|bridge] [--module]

scopebox runs as the installed command does (`python3 -I -S`, bench/read_verbs.py's launcher
for this checkout; `--module`: `python -m supervisor` from .venv, as before). `--network
bridge`: the default bridge of each engine (podman's against scopebox's), the whole bench in a
private network namespace (`unshare -n`): bridges, veths and firewall rules are made there,
never in this machine's own.

Each run is traced with `strace -f --seccomp-bpf` (only execve and process exits stop: a few
ms of overhead, the same for every phase) and split at the processes' starts and ends:

- cli before monitor: the CLI's interpreter, imports, store and spec, up to the monitor's
  start; of it `interpreter` (a bare `python3 -I -S -c pass`, measured apart) and `imports`
  (-X importtime's sum of the CLI's own run, measured apart as well);
- monitor spawn: the monitor's interpreter up to its ready message (the parent's exit);
- before create: monitor ready -> `runc create` (attach socket, units, state);
- runtime create, create->start (the CLI between them), runtime start;
- container: the process (`true`) from its exec to its exit;
- teardown: the container's exit -> the CLI's exit (exit record, cleanup, rm).

Untraced totals of both engines are measured in the same pass, interleaved. Medians; the
load average is printed. Podman runs with `--runtime runc` (and cgroupfs outside systemd).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench.terminal: both engines as the benches run them

from bench.read_verbs import checkout_launcher  # noqa: E402
from bench.terminal import engines  # noqa: E402

LINE = re.compile(r"^(\d+) +(\d+):(\d+):(\d+\.\d+) (.*)$")
PHASES = ("cli before monitor", "monitor spawn", "before create", "runtime create",
          "create->start", "runtime start", "container", "teardown")  # fmt: skip


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=REPO, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return (time.perf_counter() - start) * 1000


def traced(argv: list[str], env: dict[str, str], out: Path, cli_pattern: str) -> dict[str, float]:
    subprocess.run(["strace", "-f", "--seccomp-bpf", "-q", "-tt", "-s", "300", "-e", "trace=execve",
                    "-e", "signal=none", "-o", str(out), *argv],
                   env=env, cwd=REPO, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    starts: dict[int, tuple[float, str]] = {}
    ends: dict[int, float] = {}
    for raw in out.read_text().splitlines():
        m = LINE.match(raw)
        if m is None:
            continue
        pid = int(m[1])
        t = (int(m[2]) * 60 + int(m[3])) * 60 + float(m[4])
        rest = m[5]
        if rest.startswith("execve("):
            starts.setdefault(pid, (t, rest))
        elif rest.startswith("+++ exited") or rest.startswith("+++ killed"):
            ends[pid] = t

    def first(pattern: str) -> int:
        for pid, (_, call) in sorted(starts.items(), key=lambda kv: kv[1][0]):
            if re.search(pattern, call):
                return pid
        raise SystemExit(f"no process matched {pattern!r} in {out}")

    cli = first(cli_pattern)
    monitor = first(r"conmon\.main")
    create = first(r"runc.*\"create\"")
    start = first(r"runc.*\"start\"")
    ctr = first(r'execve\("/bin/true"')
    s = {pid: starts[pid][0] for pid in (cli, monitor, create, start, ctr)}
    return {
        "cli before monitor": s[monitor] - s[cli],
        "monitor spawn": ends[monitor] - s[monitor],
        "before create": s[create] - ends[monitor],
        "runtime create": ends[create] - s[create],
        "create->start": s[start] - ends[create],
        "runtime start": ends[start] - s[start],
        "container": ends[ctr] - s[ctr],
        "teardown": ends[cli] - ends[ctr],
        "traced total": ends[cli] - s[cli],
    }


def imports_ms(python: list[str], argv: list[str], env: dict[str, str]) -> float:
    """The sum of -X importtime's self times of one `run --rm` (microseconds -> ms); `python`:
    the interpreter and its flags that run `argv`'s script (or module)."""
    res = subprocess.run([*python, "-X", "importtime", *argv], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)  # fmt: skip
    total = 0
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            field = line.split(":", 1)[1].split("|")[0].strip()
            total += int(field) if field.isdigit() else 0
    return total / 1000


def main() -> None:
    ap = argparse.ArgumentParser(allow_abbrev=False)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--network", choices=("none", "bridge"), default="none")
    ap.add_argument("--module", action="store_true", help="scopebox as python -m supervisor")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.network == "bridge" and not args.inside:  # into a private network namespace
        os.execvp("unshare", ["unshare", "-n", sys.executable, *sys.argv, "--inside"])
    if args.inside:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    run = ["run", "--rm", "--network", args.network, "busybox", "true"]
    with tempfile.TemporaryDirectory(prefix="bench-run-", dir="/var/tmp") as tmp:
        base = Path(tmp)
        pair = engines(base)
        (scopebox, env), (podman, podman_env) = pair["scopebox"], pair["podman"]
        if args.module:
            python, cli_pattern, imp_argv = [sys.executable], r"supervisor", scopebox[1:]
        else:
            launcher = checkout_launcher(base)
            python = [Path(launcher).read_text().split("\n", 1)[0][2:].split()[0], "-I", "-S"]
            scopebox, cli_pattern, imp_argv = [launcher], re.escape(launcher), [launcher]
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)  # fmt: skip
        for eng, eng_env in ((scopebox, env), (podman, podman_env)):
            subprocess.run([*eng, "import", str(tar), "busybox"], env=eng_env, check=True,
                           capture_output=True)  # fmt: skip
        totals: dict[str, list[float]] = {"scopebox": [], "podman": []}
        phases: dict[str, list[float]] = {}
        bare: list[float] = []
        imports: list[float] = []
        try:
            for i in range(args.runs + 1):  # the first round warms caches and is dropped
                row = {
                    "scopebox": timed([*scopebox, *run], env),
                    "podman": timed([*podman, *run], podman_env),
                }
                parts = traced([*scopebox, *run], env, base / "trace", cli_pattern)
                b = timed([python[0], "-I", "-S", "-c", "pass"], env)
                imp = imports_ms(python, [*imp_argv, *run], env)
                if i == 0:
                    continue
                for name, ms in row.items():
                    totals[name].append(ms)
                for name, sec in parts.items():
                    phases.setdefault(name, []).append(sec * 1000)
                bare.append(b)
                imports.append(imp)
        finally:
            for eng, eng_env in ((scopebox, env), (podman, podman_env)):
                subprocess.run([*eng, "rm", "-a", "-f"], env=eng_env, capture_output=True)
                subprocess.run([*eng, "rmi", "-a", "-f"], env=eng_env, capture_output=True)
    med = {k: statistics.median(v) for k, v in phases.items()}
    sb, pm = statistics.median(totals["scopebox"]), statistics.median(totals["podman"])
    print(f"{' '.join(run)}, medians of {args.runs}; scopebox as"
          f" {'python -m supervisor' if args.module else 'python3 -I -S (installed)'}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"  podman   {pm:7.1f} ms")
    print(f"  scopebox {sb:7.1f} ms  ratio {sb / pm:.2f}")
    print(f"breakdown of scopebox (traced, total {med['traced total']:.1f} ms):")
    for name in PHASES:
        print(f"  {name:20} {med[name]:7.1f} ms")
    print(f"    of the first: interpreter {statistics.median(bare):.1f} ms (bare python -I -S), "
          f"imports {statistics.median(imports):.1f} ms (-X importtime, whole run)")  # fmt: skip


if __name__ == "__main__":
    main()
