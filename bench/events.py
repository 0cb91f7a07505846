"""events (issue 14), scopebox beside podman 4.3, file backends, private stores, one run:

    sudo .venv/bin/python bench/events.py [--runs 10]

- delivery: a follower (`events --filter event=start --format json`) is running; `run -d`
  starts; the time from the event's own Time to the follower's line being read (the issue's
  goal: <= 50 ms);
- `events --stream=false` over the whole log (N runs' events), wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from supervisor.events.record import parse_rfc3339nano  # noqa: E402

_NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def engines(base: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    conf = base / "containers.conf"
    limits = f'"nofile={_NOFILE}:{_NOFILE}", "nproc=4096:4096"'
    conf.write_text(f"[containers]\ndefault_ulimits = [{limits}]\n"
                    'netns = "none"\n[engine]\nevents_logger = "file"\n')
    podman = ["podman", "--root", str(base / "p/root"), "--runroot", str(base / "p/run"),
              "--tmpdir", str(base / "p/tmp"), "--storage-driver", "vfs", "--runtime", "runc",
              "--events-backend", "file"]
    if not os.path.exists("/run/systemd/system"):
        podman += ["--cgroup-manager", "cgroupfs"]
    env = {"CONTAINERS_CONF": str(conf)}
    mine = {**env, "SCOPEBOX_ROOT": str(base / "s/root"), "SCOPEBOX_RUNROOT": str(base / "s/run")}
    return {"podman": (podman, env), "scopebox": ([sys.executable, "-m", "supervisor"], mine)}


def call(argv: list[str], env: dict[str, str], *args: str) -> str:
    return subprocess.run([*argv, *args], env={**os.environ, **env}, check=True, text=True,
                          capture_output=True, cwd=REPO).stdout


def first_line(proc: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, int]:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout.fileno(), selectors.EVENT_READ)
    buf = b""
    while b"\n" not in buf:
        assert sel.select(timeout), "no event line"
        buf += os.read(proc.stdout.fileno(), 65536)
    return buf.split(b"\n", 1)[0], time.time_ns()


def delivery_ms(argv: list[str], env: dict[str, str], name: str) -> float:
    follower = subprocess.Popen([*argv, "events", "--filter", f"container={name}", "--filter",
                                 "event=start", "--format", "json"],
                                env={**os.environ, **env}, stdout=subprocess.PIPE, cwd=REPO)
    try:
        time.sleep(1.0)  # the follower is set up
        run = subprocess.Popen([*argv, "run", "-d", "--name", name, "busybox", "sleep", "60"],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, cwd=REPO)
        line, seen = first_line(follower, 30)
        assert run.wait(60) == 0, "run -d failed"
        return (seen - parse_rfc3339nano(json.loads(line)["Time"])) / 1e6
    finally:
        follower.terminate()
        follower.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    runs = ap.parse_args().runs
    base = Path(tempfile.mkdtemp(prefix="events-bench-"))
    tar = base / "busybox.tar"
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                   capture_output=True)
    pair = engines(base)
    try:
        for argv, env in pair.values():
            call(argv, env, "import", "--change", 'CMD ["sh"]', str(tar), "busybox")
        samples: dict[str, list[float]] = {k: [] for k in pair}
        for i in range(runs):
            for label, (argv, env) in pair.items():
                samples[label].append(delivery_ms(argv, env, f"ev{i}"))
        for label, (argv, env) in pair.items():
            t0 = time.perf_counter()
            out = call(argv, env, "events", "--stream=false")
            read_ms = (time.perf_counter() - t0) * 1000
            print(f"{label:9} start event -> follower line: median "
                  f"{statistics.median(samples[label]):.1f} ms, max {max(samples[label]):.1f} ms;"
                  f" events --stream=false ({len(out.splitlines())} events): {read_ms:.0f} ms;"
                  f" load average {os.getloadavg()[0]:.2f}")
    finally:
        for argv, env in pair.values():
            subprocess.run([*argv, "rm", "-a", "-f", "-t", "0"], env={**os.environ, **env},
                           capture_output=True, cwd=REPO)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
