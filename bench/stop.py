"""`stop`, `kill`, `rm -f` and `wait`, scopebox beside podman, with where stop's time goes.

    python bench/stop.py [--runs 7] [--no-trace]

Each round, for each engine in turn (interleaved), on private stores (bench/terminal.py's
engines; podman `--runtime runc`, cgroupfs outside systemd; scopebox as the installed command
runs, `python3 -I -S`: bench/read_verbs.py's launcher for this checkout):
- `stop` of a container whose command exits on SIGTERM (a shell trapping it);
- `stop -t 1` of one that ignores it (`sleep` as PID 1 has no handler): the floor is 1000 ms;
- `rm -f` of a running container (the shell trapping SIGTERM: Podman's `rm -f` stops with
  the stop timeout first, scopebox's kills at once);
- `kill` (SIGKILL) of a running container: the CLI's own time;
- `wait`: started (and given 1 s to block) before the container's init is SIGKILLed at t0;
  t0 -> `wait` returning 137.
Medians of `--runs` (the first round warms caches and is dropped); the load average is
printed with each figure's round. Inside the systemd test bed (`python tests/testbed.py run --
.venv/bin/python bench/stop.py`) both engines use systemd.

Then, unless --no-trace, a breakdown of scopebox's `stop` (the SIGTERM case), traced with
`strace` (the CLI with `--seccomp-bpf`, the monitor attached by pid): CLI start -> signal sent
(interpreter, imports, store; the bare interpreter and the imports measured apart), the
signal -> the container's exit (reaped by the monitor), exit -> exit record (the monitor:
logs flushed, `died` event, record fsync'd and renamed), record -> the CLI's end, and of
that what the CLI ran itself (runtime processes, the wait for the monitor's end).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # bench.terminal: both engines as the benches run them

from bench.read_verbs import checkout_launcher  # noqa: E402
from bench.terminal import Engine, with_busybox  # noqa: E402

TRAPS_TERM = ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
FIGURES = ("stop (exits on SIGTERM)", "stop -t 1 (ignores SIGTERM)", "rm -f (running)",
           "kill", "kill -> wait returns")  # fmt: skip
LINE = re.compile(r"^(\d+) +(\d+\.\d+) (.*)$")
REAPED = re.compile(r"\) = [1-9]\d*$")


def call(eng: Engine, *args: str) -> float:
    argv, env = eng
    start = time.perf_counter()
    subprocess.run([*argv, *args], env=env, cwd=REPO, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return (time.perf_counter() - start) * 1000


def out(eng: Engine, *args: str) -> str:
    argv, env = eng
    return subprocess.run([*argv, *args], env=env, cwd=REPO, check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def start(eng: Engine, name: str, *command: str) -> None:
    out(eng, "run", "-d", "--name", name, "busybox", *command)


def one_round(eng: Engine, i: int) -> dict[str, float]:
    got = {}
    start(eng, f"bt{i}", *TRAPS_TERM)
    start(eng, f"bi{i}", "sleep", "1000")
    start(eng, f"br{i}", *TRAPS_TERM)
    start(eng, f"bk{i}", "sleep", "1000")
    time.sleep(0.3)  # the shells have set their traps
    got[FIGURES[0]] = call(eng, "stop", f"bt{i}")
    got[FIGURES[1]] = call(eng, "stop", "-t", "1", f"bi{i}")
    got[FIGURES[2]] = call(eng, "rm", "-f", f"br{i}")
    got[FIGURES[3]] = call(eng, "kill", f"bk{i}")
    got[FIGURES[4]] = wait_latency(eng, f"bw{i}")
    call(eng, "rm", "-f", f"bt{i}", f"bi{i}", f"bk{i}", f"bw{i}")
    return got


def wait_latency(eng: Engine, name: str) -> float:
    start(eng, name, "sleep", "1000")
    pid = int(out(eng, "inspect", "-f", "{{.State.Pid}}", name))
    argv, env = eng
    w = subprocess.Popen([*argv, "wait", name], env=env, cwd=REPO, stdout=subprocess.PIPE,
                         text=True)  # fmt: skip
    time.sleep(1.0)  # its start-up done, it waits
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    code = w.communicate()[0].strip()
    took = (time.perf_counter() - t0) * 1000
    if code != "137":
        raise SystemExit(f"{argv[0]} wait gave {code!r}")
    return took


# -- the breakdown ---------------------------------------------------------------------------


def events(path: Path) -> list[tuple[int, float, str]]:
    got = []
    for raw in path.read_text().splitlines():
        m = LINE.match(raw)
        if m is not None:
            got.append((int(m[1]), float(m[2]), m[3]))
    return got


def traced_stop(eng: Engine, base: Path, i: int) -> dict[str, float]:
    name = f"bs{i}"
    start(eng, name, *TRAPS_TERM)
    time.sleep(0.3)
    monitor = int(out(eng, "inspect", "-f", "{{.State.ConmonPid}}", name))
    argv, env = eng
    mon_trace, cli_trace = base / "monitor.trace", base / "cli.trace"
    tracer = subprocess.Popen(["strace", "-f", "-q", "-ttt", "-o", str(mon_trace), "-e",
                               "trace=execve,wait4,rename,exit_group", "-e", "signal=none",
                               "-p", str(monitor)], stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(0.5)  # attached
    subprocess.run(["strace", "-f", "-q", "-ttt", "--seccomp-bpf", "-o", str(cli_trace), "-e",
                    "trace=execve,pidfd_send_signal,kill,exit_group", "-e", "signal=none",
                    *argv, "stop", name], env=env, cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while tracer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the monitor's end ends its tracer
    if tracer.poll() is None:
        tracer.terminate()
        tracer.wait()
    call(eng, "rm", "-f", name)
    cli, mon = events(cli_trace), events(mon_trace)
    cli_pid = cli[0][0]
    t_start = cli[0][1]
    t_signal = next(t for p, t, c in cli if c.startswith(("pidfd_send_signal", "kill(")))
    t_end = max(t for p, t, c in cli if p == cli_pid and c.startswith("+++"))
    kids: dict[int, list[float]] = {}
    for p, t, c in cli:
        if p != cli_pid and (c.startswith("execve(") or c.startswith("+++")):
            kids.setdefault(p, []).append(t)
    children = sum(max(ts) - min(ts) for ts in kids.values() if len(ts) > 1)
    t_exit = next(t for p, t, c in mon if p == monitor and c.startswith("wait4(")
                  and REAPED.search(c))  # fmt: skip
    t_record = next(t for p, t, c in mon if c.startswith("rename(") and '/exit"' in c)
    mon_end = [t for p, t, c in mon if p == monitor and c.startswith("+++")]
    t_mon_end = mon_end[0] if mon_end else float("nan")
    return {
        "cli start -> signal sent": t_signal - t_start,
        "signal -> container exit": t_exit - t_signal,
        "exit -> exit record": t_record - t_exit,
        "exit record -> cli end": t_end - t_record,
        "  of it, processes the cli ran": children,
        "monitor end - cli end": t_mon_end - t_end,
        "traced total": t_end - t_start,
    }


def imports_ms(python: str, launcher: str, env: dict[str, str]) -> float:
    """-X importtime's self times of `stop -i` of no container (the CLI's imports), in ms."""
    res = subprocess.run([python, "-I", "-S", "-X", "importtime", launcher, "stop", "-i",
                          "no-such-bench-container"], env=env, cwd=REPO, capture_output=True,
                         text=True)  # fmt: skip
    total = 0
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            field = line.split(":", 1)[1].split("|")[0].strip()
            total += int(field) if field.isdigit() else 0
    return total / 1000


def main() -> None:
    ap = argparse.ArgumentParser(allow_abbrev=False)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-trace", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stop-") as tmp:  # the bed: /tmp is a tmpfs
        base = Path(tmp)
        engs = with_busybox(base)
        launcher = checkout_launcher(base)
        python = Path(launcher).read_text().split("\n", 1)[0][2:].split()[0]
        engs["scopebox"] = ([launcher], engs["scopebox"][1])
        figures: dict[str, dict[str, list[float]]] = {n: {f: [] for f in FIGURES} for n in engs}
        loads: list[float] = []
        parts: dict[str, list[float]] = {}
        bare: list[float] = []
        imports: list[float] = []
        try:
            for i in range(args.runs + 1):
                for name, eng in engs.items():
                    got = one_round(eng, i)
                    if i:
                        for f, ms in got.items():
                            figures[name][f].append(ms)
                if not i:
                    continue
                loads.append(os.getloadavg()[0])
                if not args.no_trace:
                    for k, sec in traced_stop(engs["scopebox"], base, i).items():
                        parts.setdefault(k, []).append(sec * 1000)
                    t0 = time.perf_counter()
                    subprocess.run([python, "-I", "-S", "-c", "pass"], check=True)
                    bare.append((time.perf_counter() - t0) * 1000)
                    imports.append(imports_ms(python, launcher, engs["scopebox"][1]))
        finally:
            for argv, env in engs.values():
                subprocess.run([*argv, "rm", "-a", "-f", "-t", "0"], env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
                subprocess.run([*argv, "rmi", "-a", "-f"], env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    where = "systemd" if os.path.exists("/run/systemd/system") else "cgroupfs, no systemd"
    print(
        f"stop/kill/rm -f/wait, medians of {args.runs} ({where}); load average per round: "
        + " ".join(f"{x:.1f}" for x in loads)
    )
    for f in FIGURES:
        pm = statistics.median(figures["podman"][f])
        sb = statistics.median(figures["scopebox"][f])
        print(f"  {f:28} podman {pm:7.1f} ms  scopebox {sb:7.1f} ms  ratio {sb / pm:.2f}")
    if parts:
        med = {k: statistics.median(v) for k, v in parts.items()}
        print(f"breakdown of scopebox's stop (traced, total {med.pop('traced total'):.1f} ms):")
        for k, v in med.items():
            print(f"  {k:32} {v:7.1f} ms")
        print(f"    of the first: interpreter {statistics.median(bare):.1f} ms (bare python -I "
              f"-S), imports {statistics.median(imports):.1f} ms (-X importtime)")  # fmt: skip


if __name__ == "__main__":
    main()
