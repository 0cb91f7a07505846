"""Cold start of the read verbs (issue 16), scopebox beside podman, interleaved run by run.

    python bench/read_verbs.py [--runs N] [--containers N] [LABEL=]COMMAND...

Each COMMAND is a scopebox launcher (default: one for this checkout, shaped like the installed
`scopebox`: `python3 -IS`); podman (`podman --runtime runc`) is added when present.
Times `ps`, `ps -a --format json`, `inspect`, `images`, `logs --tail 1`, `version` on a
private empty store (podman: its own --root/--runroot in a temp dir), or with --containers N
created (not started) containers in each; prints median, min and p90 per verb with the load
average before and after, so a noisy run shows as one.

`--instructions`: also each scopebox verb's user-space instructions (valgrind's callgrind, one
run each, in millions): a count that does not depend on the machine's load, to compare two
revisions (e.g. `main=... branch=...`) on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VERBS: tuple[tuple[str, ...], ...] = (
    ("ps",),
    ("ps", "-a", "--format", "json"),
    ("inspect", "bench0"),
    ("images",),
    ("logs", "--tail", "1", "bench0"),
    ("version",),
)
PODMAN = ["podman", "--runtime", "runc", "--events-backend", "none", "--cgroup-manager", "cgroupfs"]


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def engines(commands: list[str], tmp: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    out: dict[str, tuple[list[str], dict[str, str]]] = {}
    for spec in commands or [f"checkout={checkout_launcher(tmp)}"]:
        label, _, command = spec.rpartition("=")
        label = label or Path(command).name
        store = tmp / label
        env = {**os.environ, "SCOPEBOX_ROOT": f"{store}/root", "SCOPEBOX_RUNROOT": f"{store}/run"}
        out[label] = ([command], env)
    if shutil.which("podman"):
        argv = [*PODMAN, "--root", f"{tmp}/podman/root", "--runroot", f"{tmp}/podman/run"]
        out["podman"] = (argv, dict(os.environ))
    return out


def checkout_launcher(tmp: Path) -> str:
    """A `scopebox` command for this checkout shaped like the installed one (packaging/,
    `scopebox-install-units`): `python3 -IS`, the checkout first on sys.path, the install's
    (or this interpreter's) site-packages after it."""
    repo = Path(__file__).resolve().parents[1]
    installed = Path("/usr/lib/scopebox/bin/python3")
    python = str(installed) if installed.exists() else sys.executable
    site = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    path = tmp / "scopebox-checkout"
    path.write_text(
        f"#!{python} -IS\nimport sys\nsys.path.insert(0, {str(repo)!r})\n"
        f"sys.path.append({site!r})\nfrom supervisor.launcher import main\nmain()\n"
    )
    path.chmod(0o755)
    return str(path)


def populate(argv: list[str], env: dict[str, str], n: int, tar: str) -> None:
    """`bench0` .. `bench{n-1}`, created from a busybox image imported into that store."""
    run = lambda *a: subprocess.run([*argv, *a], env=env, capture_output=True, check=True)  # noqa: E731
    run("import", tar, "localhost/busybox")
    for i in range(n):
        run("create", "--name", f"bench{i}", "--network", "none", "localhost/busybox", "true")


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def instructions(argv: list[str], env: dict[str, str]) -> int:
    """User-space instructions of one run (callgrind's `Collected`), 0 when it cannot say."""
    tool = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    res = subprocess.run([*tool, *argv], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)  # fmt: skip
    for line in res.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    return 0


def measure(commands: list[str], runs: int, containers: int, counts: bool = False) -> list[str]:
    """The report's lines: every verb on every engine, interleaved run by run (and with
    `counts`, each scopebox verb's instructions)."""
    with tempfile.TemporaryDirectory(prefix="bench-read-") as d:
        tmp = Path(d)
        which = engines(commands, tmp)
        if containers:
            tar = str(tmp / "busybox.tar")
            repo = Path(__file__).resolve().parents[1]
            subprocess.run(["sh", str(repo / "packaging/busybox-rootfs.sh"), tar], check=True,
                           capture_output=True)  # fmt: skip
            for argv, env in which.values():
                populate(argv, env, containers, tar)
        times: dict[tuple[str, str], list[float]] = {}
        before = load()
        for _ in range(runs):
            for verb in VERBS:
                for label, (argv, env) in which.items():
                    times.setdefault((" ".join(verb), label), []).append(timed([*argv, *verb], env))
        after = load()
        ir: dict[tuple[str, str], int] = {}
        if counts and shutil.which("valgrind"):
            for words in VERBS:
                for label, (argv, env) in which.items():
                    if label != "podman":  # a Go binary: its threads' counts say little
                        ir[(" ".join(words), label)] = instructions([*argv, *words], env)
        if "podman" in which:
            subprocess.run([*which["podman"][0], "system", "reset", "-f"], capture_output=True)
    lines = [f"# read verbs, {containers} containers, {runs} runs each, interleaved;"
             f" load average {before} -> {after}, {os.cpu_count()} cpus",
             f"{'verb':<24}{'engine':<14}{'median ms':>10}{'min ms':>9}{'p90 ms':>9}"
             + (f"{'instr. M':>10}" if ir else "")]  # fmt: skip
    for (verb, label), ms in times.items():
        ms.sort()
        p90 = ms[max(0, int(len(ms) * 0.9) - 1)]
        count = f"{ir[verb, label] / 1e6:>10.0f}" if (verb, label) in ir else ""
        lines.append(f"{verb:<24}{label:<14}{statistics.median(ms):>10.1f}{ms[0]:>9.1f}{p90:>9.1f}"
                     + count)  # fmt: skip
    return lines


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--containers", type=int, default=0, help="create N containers first")
    p.add_argument("--instructions", action="store_true",
                   help="also count each scopebox verb's instructions (valgrind)")  # fmt: skip
    p.add_argument("commands", nargs="*", metavar="[LABEL=]COMMAND")
    ns = p.parse_args()
    print("\n".join(measure(ns.commands, ns.runs, ns.containers, ns.instructions)))


if __name__ == "__main__":
    main()
