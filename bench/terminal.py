"""Terminals and the data path, scopebox beside podman (`--runtime runc`), same machine, same
run, interleaved (not bench/tty.py: run as a script, that name would hide the standard
library's `tty`).

    python bench/terminal.py [--runs 7] [--mib 128] [--cp-mib 100]

Each engine gets private storage and one running busybox container. Measured, as a user's
shell would see them (each CLI on a fresh pseudo-terminal):
- `exec CTR true` and `exec -it CTR true`: start latency;
- `run -it --rm busybox sh`: the round trip from typing the command to the prompt, `exit 3`
  typed, and the CLI gone with 3;
- `attach` to a running `-dit` shell: from starting `attach` to the echo of a typed line
  (then detached with ctrl-p ctrl-q, typed one key at a time as Podman needs them);
- throughput through the pty: `run -t --rm` printing `--mib` MiB, read from our terminal: `cat`
  of a file of 80-byte lines bind-mounted read-only (lines, as real output: the log frames
  each; busybox `yes` would write one line a syscall);
- `cp` of a `--cp-mib` MiB tree into the running container and back out.
Prints the medians (the first round warms caches and is dropped) and scopebox/podman ratios.
scopebox runs as the installed command does (`python3 -IS`, bench/read_verbs.py's launcher for
this checkout), not as `python -m supervisor` (site and runpy: ~10 ms more per command).
"""

from __future__ import annotations

import argparse
import fcntl
import math
import os
import pty
import resource
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.read_verbs import checkout_launcher  # noqa: E402

MIB = 1 << 20
LATENCY = ("exec", "exec -it", "run -it", "attach")
RATES = ("run -t output", "cp in", "cp out")
Engine = tuple[list[str], dict[str, str]]


def engines(base: Path) -> dict[str, Engine]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = base / "containers.conf"
    conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={hard}:{hard}", '
                    '"nproc=4096:4096"]\nnetns = "none"\n')  # fmt: skip
    podman = ["podman", "--root", str(base / "p/root"), "--runroot", str(base / "p/run"),
              "--tmpdir", str(base / "p/tmp"), "--storage-driver", "vfs", "--runtime", "runc",
              "--events-backend", "file"]  # fmt: skip
    if not os.path.exists("/run/systemd/system"):
        podman += ["--cgroup-manager", "cgroupfs"]
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    sb_env = {**env, "SCOPEBOX_ROOT": str(base / "s/root"), "SCOPEBOX_RUNROOT": str(base / "s/run")}
    return {"podman": (podman, env), "scopebox": ([sys.executable, "-m", "supervisor"], sb_env)}


def with_busybox(base: Path) -> dict[str, Engine]:
    """Both engines (as `engines`), each with packaging/busybox-rootfs.sh's busybox imported."""
    tar = base / "busybox.tar"
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    pair = engines(base)
    for argv, env in pair.values():
        subprocess.run([*argv, "import", str(tar), "busybox"], env=env, cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    return pair


class Pty:
    """A CLI on the follower end of a fresh pty (its controlling terminal), us on the other."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.leader, follower = pty.openpty()
        fcntl.ioctl(self.leader, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

        def own_terminal() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower,
                                     env=env, cwd=REPO, start_new_session=True,
                                     preexec_fn=own_terminal)  # fmt: skip
        os.close(follower)
        self.seen = b""
        self.total = 0

    def expect(self, want: bytes, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while want not in self.seen:
            left = end - time.monotonic()
            if left <= 0 or not self._read(left):
                raise SystemExit(f"{want!r} not seen; the terminal showed {self.seen[-300:]!r}")
        self.seen = self.seen.partition(want)[2]

    def _read(self, timeout: float) -> bool:
        if not select.select([self.leader], [], [], timeout)[0]:
            return False
        try:
            chunk = os.read(self.leader, 1 << 16)
        except OSError:
            return False
        self.total += len(chunk)
        self.seen = (self.seen + chunk)[-4096:]
        return bool(chunk)

    def drain(self) -> None:
        """Read until the CLI has exited and its terminal went quiet (or hung up)."""
        while True:
            running = self.proc.poll() is None
            if not self._read(1.0 if running else 0.05) and not running:
                return

    def wait(self, want: int = 0) -> None:
        self.drain()
        code = self.proc.wait(timeout=60)
        os.close(self.leader)
        if code != want:
            raise SystemExit(f"{self.proc.args} exited {code}, not {want}: {self.seen[-300:]!r}")


def timed_exec(eng: Engine, tty: bool) -> float:
    argv, env = eng
    start = time.perf_counter()
    if tty:
        t = Pty([*argv, "exec", "-it", "bt", "true"], env)
        t.wait()
    else:
        subprocess.run([*argv, "exec", "bt", "true"], env=env, cwd=REPO, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def run_it(eng: Engine) -> float:
    argv, env = eng
    start = time.perf_counter()
    t = Pty([*argv, "run", "-it", "--rm", "busybox", "sh"], env)
    t.expect(b"/ # ")
    os.write(t.leader, b"exit 3\r")
    t.wait(3)
    return time.perf_counter() - start


def attach(eng: Engine, mark: int) -> float:
    argv, env = eng
    start = time.perf_counter()
    t = Pty([*argv, "attach", "bsh"], env)
    # Buffered by the terminal until attach reads it; the answer is the container's (the
    # terminal's own echo of the line, before attach makes it raw, does not hold it).
    os.write(t.leader, b"echo =$((%d+1))\r" % mark)
    t.expect(b"=%d\r\n" % (mark + 1))
    elapsed = time.perf_counter() - start
    for key in (b"\x10", b"\x11"):  # one read each: Podman 4.3 matches keys read alone
        time.sleep(0.1)
        os.write(t.leader, key)
    t.wait()
    return elapsed


def make_lines(path: Path, mib: int) -> int:
    """`mib` MiB of 80-byte lines; the bytes a terminal shows of them (ONLCR: "\\r\\n")."""
    line = b"%-79s\n" % b"the container's output, one line of many"
    count = mib * MIB // len(line)
    with path.open("wb") as f:
        for _ in range(count // 1024):
            f.write(line * 1024)
        f.write(line * (count % 1024))
    return count * (len(line) + 1)


def throughput(eng: Engine, lines: Path, shown: int) -> float:
    """MiB/s of `run -t` output (`cat` of `lines`) read from our terminal; NaN when some of it
    never came (the monitor drops a client that stalls: counted, not timed)."""
    argv, env = eng
    start = time.perf_counter()
    t = Pty([*argv, "run", "-t", "--rm", "-v", f"{lines}:/lines:ro", "busybox",
             "cat", "/lines"], env)  # fmt: skip
    t.wait()
    elapsed = time.perf_counter() - start
    mib = lines.stat().st_size / MIB
    if t.total < shown:
        print(f"{argv[0]}: run -t: {t.total} bytes of {mib} MiB came through", file=sys.stderr)
        return math.nan
    return mib / elapsed


def make_tree(top: Path, mib: int) -> int:
    """`mib` MiB in files of 1 MiB over 4 dirs, plus 500 small ones."""
    total = 0
    for i in range(mib):
        d = top / f"d{i % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"big{i}").write_bytes(os.urandom(MIB))
        total += MIB
    (top / "small").mkdir()
    for i in range(500):
        (top / f"small/f{i}").write_bytes(b"x" * 4096)
        total += 4096
    return total


def copy(eng: Engine, tree: Path, out: Path, size: int) -> tuple[float, float]:
    """MiB/s of `cp` in and out."""
    argv, env = eng

    def timed(*args: str) -> float:
        start = time.perf_counter()
        subprocess.run([*argv, *args], env=env, cwd=REPO, check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)  # fmt: skip
        return time.perf_counter() - start

    t_in = timed("cp", str(tree), "bt:/tmp/tree")
    t_out = timed("cp", "bt:/tmp/tree", str(out))
    shutil.rmtree(out)
    subprocess.run([*argv, "exec", "bt", "rm", "-rf", "/tmp/tree"], env=env, check=True)
    return size / MIB / t_in, size / MIB / t_out


def setup(pair: dict[str, Engine], tar: Path) -> None:
    for argv, env in pair.values():
        for args in (["import", str(tar), "busybox"],
                     ["run", "-d", "--name", "bt", "busybox", "sleep", "100000"],
                     ["run", "-dit", "--name", "bsh", "busybox", "sh"]):  # fmt: skip
            subprocess.run([*argv, *args], env=env, check=True, capture_output=True)


def _median(values: list[float]) -> float:
    whole = [v for v in values if not math.isnan(v)]
    return statistics.median(whole) if whole else math.nan


def report(label: str, unit: str, med: dict[str, float]) -> None:
    scale = 1000 if unit == "ms" else 1
    print(f"{label:14} podman {med['podman'] * scale:8.1f} {unit:5} scopebox "
          f"{med['scopebox'] * scale:8.1f} {unit:5} ratio {med['scopebox'] / med['podman']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(allow_abbrev=False)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--mib", type=int, default=128, help="run -t output, MiB")
    ap.add_argument("--cp-mib", type=int, default=100, help="cp tree, MiB")
    ap.add_argument("--only", default="", help="comma-separated: exec,exec -it,run -it,attach,"
                    "run -t output,cp (default: all)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tty-", dir="/var/tmp") as tmp:
        base = Path(tmp)
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)  # fmt: skip
        only = set(args.only.split(",")) if args.only else {*LATENCY, *RATES[:1], "cp"}
        size = make_tree(base / "tree", args.cp_mib) if "cp" in only else 0
        lines = base / "lines"
        shown = make_lines(lines, args.mib) if "run -t output" in only else 0
        pair = engines(base)
        pair["scopebox"] = ([checkout_launcher(base)], pair["scopebox"][1])
        setup(pair, tar)
        results: dict[tuple[str, str], list[float]] = {}
        try:
            for i in range(args.runs + 1):  # the first round warms caches and is dropped
                for name, eng in pair.items():
                    measures: dict[str, Callable[[Engine, int], float]] = {
                        "exec": lambda e, _: timed_exec(e, False),
                        "exec -it": lambda e, _: timed_exec(e, True),
                        "run -it": lambda e, _: run_it(e),
                        "attach": attach,
                        "run -t output": lambda e, _: throughput(e, lines, shown),
                    }
                    row = {k: fn(eng, i) for k, fn in measures.items() if k in only}
                    if "cp" in only:
                        row["cp in"], row["cp out"] = copy(eng, base / "tree", base / "out", size)
                    for label, value in row.items():
                        results.setdefault((name, label), []).append(value)
                    results.setdefault((name, "load"), []).append(os.getloadavg()[0])
            print(f"medians of {args.runs} runs; run -t output {args.mib} MiB, "
                  f"cp {size / MIB:.0f} MiB; load average {os.getloadavg()[0]:.2f}")
            for n in pair:  # each pass's figures, for the spread (the load moves meanwhile)
                rates = results.get((n, "run -t output"), [])[1:]
                if rates:
                    loads = results[(n, "load")][1:]
                    each = zip(rates, loads, strict=True)
                    print(f"  {n}: run -t output MiB/s (load) "
                          + " ".join(f"{r:.1f} ({x:.1f})" for r, x in each))
            for label in LATENCY:
                if (next(iter(pair)), label) in results:
                    report(label, "ms",
                           {n: statistics.median(results[(n, label)][1:]) for n in pair})
            for label in RATES:
                if (next(iter(pair)), label) in results:
                    report(label, "MiB/s", {n: _median(results[(n, label)][1:]) for n in pair})
            for n in pair:
                if (n, "run -t output") not in results:
                    continue
                lost = sum(math.isnan(v) for v in results[(n, "run -t output")][1:])
                if lost:
                    print(f"  {n}: run -t lost output in {lost} of {args.runs} runs")
        finally:
            for argv, env in pair.values():
                subprocess.run([*argv, "rm", "-f", "-t", "0", "bt", "bsh"], env=env,
                               capture_output=True)  # fmt: skip
                subprocess.run([*argv, "rmi", "-a", "-f"], env=env, capture_output=True)


if __name__ == "__main__":
    main()
