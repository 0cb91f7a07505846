"""How long the Quadlet generator adds to every boot and `systemctl daemon-reload`.

    .venv/bin/python bench/quadlet_generator.py [FILES] [RUNS]

Runs the shipped generator script (packaging/systemd/scopebox-quadlet-generator.in, filled in
as packaging/install.sh does) over FILES .container files (default 20), RUNS times (default
30), against a bare `python3 -I -S -c pass` run the same way. Prints medians and the spread.
(Debian 12's podman 4.3 has no Quadlet, so there is nothing to put side by side here.)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supervisor.quadlet import DIRS_ENV
from tests.unit.test_quadlet import render_generator

CONTAINER = """\
[Unit]
Description=bench {i}

[Container]
Image=busybox
ContainerName=bench{i}
Exec=sh -c 'echo hello; exec sleep 1000'
Environment=A=1 "B=two words"
Label=tier=front
Volume=/srv:/srv:ro

[Service]
Restart=always

[Install]
WantedBy=multi-user.target
"""


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def show(label: str, ms: list[float]) -> None:
    q = statistics.quantiles(ms, n=10)
    print(f"{label:<28} median {statistics.median(ms):6.1f} ms  (p10 {q[0]:.1f}, p90 {q[-1]:.1f})")


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "src"), Path(tmp, "out")
        src.mkdir()
        for i in range(files):
            (src / f"bench{i}.container").write_text(CONTAINER.format(i=i))
        gen = render_generator(Path(tmp, "scopebox-quadlet-generator"))
        env = {"PATH": "/usr/bin:/bin", DIRS_ENV: str(src)}
        bare = timed(["/usr/bin/python3", "-I", "-S", "-c", "pass"], env, runs)
        full = timed([str(gen), "--no-kmsg-log", str(out)], env, runs)
        assert len(list(out.glob("*.service"))) == files
    show("python3 -I -S -c pass", bare)
    show(f"generator, {files} files", full)


if __name__ == "__main__":
    main()
