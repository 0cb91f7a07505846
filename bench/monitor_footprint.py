"""Footprint of the per-container monitor: private memory (USS) when idle, and start-up time.

    sudo .venv/bin/python bench/monitor_footprint.py [N] [--health] [--events]

Starts N monitors (default 3) around `sleep` containers with real runc, as the engine would,
and reads Private_Clean + Private_Dirty from /proc/<pid>/smaps_rollup. With N >= 2 the
interpreter's and libraries' pages are shared between monitors, as on a host running many
containers; with N = 1 they count as private. Start-up is spawn -> `{"monitor_pid": N}` on the
sync fd (the interpreter start, imports, fork, setsid, subreaper), against a bare interpreter.
With --health each monitor also runs a healthcheck (`true` via `runc exec`) every second, and
USS is read after a few checks have run. With --events the monitor writes its events
(health_status, died) to a file, as `events_logger = "file"` makes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supervisor.monitor import MONITOR_FLAGS, monitor_python
from tests.host.test_conmon_runc import BOOTSTRAP, Harness, read_json_line

# What the engine runs the monitor under (Debian's static python3 where it is our version).
PYTHON = monitor_python()
FLAGS = tuple(f for f in MONITOR_FLAGS if f not in ("-I", "-S"))  # the harness gives -I -S


def load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def uss_kib(pid: int) -> int:
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Private_Clean", "Private_Dirty"):
                total += int(rest.split()[0])
    return total


def median_ms(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2] * 1000


def startup_samples(n: int) -> list[float]:
    samples = []
    for _ in range(n):
        with tempfile.TemporaryDirectory() as d:
            sync_r, sync_w = os.pipe()
            start_r, start_w = os.pipe()
            argv = [PYTHON, "-I", "-S", *FLAGS, "-c", BOOTSTRAP, "--cid=" + "a" * 64,
                    "--bundle=/nonexistent", f"--rundir={d}", f"--exit-file={d}/exit",
                    "--runtime=/bin/false", "--log-driver=none", f"--sync-fd={sync_w}",
                    f"--start-fd={start_r}"]  # fmt: skip
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, pass_fds=(sync_w, start_r), start_new_session=True)
            os.close(sync_w)
            os.close(start_r)
            read_json_line(sync_r)
            samples.append(time.perf_counter() - t0)
            os.write(start_w, b"1")  # go
            os.close(start_w)
            read_json_line(sync_r)  # the create error: /bin/false is no runtime
            proc.wait()
            os.close(sync_r)
    return samples


def bare_samples(n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([PYTHON, "-I", "-S", "-c", "pass"], check=True)
        samples.append(time.perf_counter() - t0)
    return samples


def health_args(h: Harness) -> list[str]:
    """Monitor arguments for a check running `true` every second (the bundle exists later:
    the process file is written from the harness' own spec by the caller)."""
    return [f"--health-process={h.base}/health-process.json",
            f"--health-file={h.base}/health.json", "--health-interval-ns=1000000000"]  # fmt: skip


def write_health_process(h: Harness) -> None:
    process = json.loads((h.bundle / "config.json").read_text())["process"]
    process["args"] = ["true"]
    (h.base / "health-process.json").write_text(json.dumps(process))


def events_args(h: Harness) -> list[str]:
    """events (issue 14): the monitor writes init, start, health_status and died to a file
    (the pieces the engine renders: supervisor.events.write.monitor_options)."""
    return ["--events-backend=file", f"--events-file={h.base}/events/events.log",
            '--events-head="ID":"' + "a" * 64 + '","Image":"localhost/busybox:latest"',
            '--events-tail="Attributes":{"app":"bench"}',
            "--events-message=" + "a" * 64 + " (image=localhost/busybox:latest, name=, app=bench)"]


def main() -> None:
    args = [a for a in sys.argv[1:] if a not in ("--health", "--events")]
    health = "--health" in sys.argv
    events = "--events" in sys.argv  # events (issue 14)
    count = int(args[0]) if args else 3
    harnesses: list[Harness] = []
    try:
        for _ in range(count):
            h = Harness(Path(tempfile.mkdtemp(prefix="conmon-bench-")))
            harnesses.append(h)
            (h.base / "events").mkdir()
            h.start_monitor(["sleep", "1000"], *(health_args(h) if health else []),
                            *(events_args(h) if events else []), python=PYTHON,
                            python_flags=FLAGS)  # fmt: skip
            if health:
                write_health_process(h)
        # Let start-up garbage settle (and, with --health, three checks run): a measurement,
        # not a wait.
        time.sleep(3.5 if health else 0.3)
        if health:
            for h in harnesses:
                print(f"monitor {h.monitor_pid}: {(h.base / 'health.json').read_text()[:60]}")
        if events:
            for h in harnesses:
                print(f"events: {(h.base / 'events' / 'events.log').read_text()[:100]}")
        print(f"interpreter: {PYTHON}; load average {load()}")
        sizes = sorted(uss_kib(h.monitor_pid) for h in harnesses)
        print(f"monitor USS: median {sizes[len(sizes) // 2]} KiB, min {sizes[0]}, max {sizes[-1]}"
              f" ({count} monitors)")  # fmt: skip
    finally:
        for h in harnesses:
            h.cleanup()
            shutil.rmtree(h.base, ignore_errors=True)
    # interleaved, so that the machine's load hits both alike
    started: list[float] = []
    bare: list[float] = []
    for _ in range(15):
        started += startup_samples(1)
        bare += bare_samples(1)
    print(f"start-up to monitor_pid: median {median_ms(started):.1f} ms; bare `python3 -I -S -c"
          f" pass`: median {median_ms(bare):.1f} ms; load average {load()}")  # fmt: skip


if __name__ == "__main__":
    main()
