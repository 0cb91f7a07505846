"""Rootless scopebox vs rootless podman, as the same unprivileged user, interleaved run by run.

    python bench/rootless.py USER [--runs 10]

Run as root (it switches to USER with runuser). USER needs /etc/subuid and /etc/subgid ranges
and busybox images in both stores (`scopebox import` / `podman import` of
packaging/busybox-rootfs.sh's tar, as USER). scopebox runs this checkout under the system's
python3 (the venv's often links into a root-only /root). Prints the median and minimum of
`run --rm busybox true` with `--network none`, with the rootless default (slirp4netns for
both) and with scopebox's `--network pasta`, and the load average. USER must be able to open
/dev/net/tun (mode 0666, udev's default).

    python bench/rootless.py USER --user-network [--runs 10]

User networks (rootless netns, both): `run --rm --network rlbench busybox true`, "cold" (the
only container: each run makes and removes the user's network namespace and its slirp4netns,
for scopebox; Podman 4.3 keeps its namespace between runs, see docs/DIFFERENCES.md) and
"warm" (a container of each side keeps the namespace up). The network and the keepers are
made and removed by the bench. Each figure is printed with the load average at its end.
With `--throughput MIB`: MIB MiB from the host into `nc -l` in a container through a
published port on the user network, each side in turn (podman: rootlessport; scopebox: its
port forwarder), MiB/s median and best.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE = [p for p in sys.path if p.endswith("site-packages")]
_NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def user_argv(user: str, *argv: str) -> list[str]:
    env = [f"PYTHONPATH={':'.join([str(REPO), *SITE])}", f"HOME=/home/{user}"]
    return ["runuser", "-u", user, "--", "env", *env, *argv]


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, text=True)
    took = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {res.stderr.strip()}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("user")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--user-network", action="store_true",
                    help="runs on a user network (the rootless netns) instead")
    ap.add_argument("--throughput", type=int, default=0, metavar="MIB",
                    help="with --user-network: MiB through a published port instead")
    args = ap.parse_args()
    sb = ["/usr/bin/python3", "-m", "supervisor"]
    pm = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
    if args.user_network:
        user_network(args.user, args.runs, sb, pm, args.throughput)
        return
    cases = {
        "scopebox none": [*sb, "run", "--rm", "--network", "none", "busybox", "true"],
        "podman none": [*pm, "run", "--rm", "--network", "none", "--ulimit",
                        f"nofile={_NOFILE}:{_NOFILE}", "localhost/busybox", "true"],
        "scopebox slirp4netns": [*sb, "run", "--rm", "busybox", "true"],
        "scopebox pasta": [*sb, "run", "--rm", "--network", "pasta", "busybox", "true"],
        "podman slirp4netns": [*pm, "run", "--rm", "--ulimit", f"nofile={_NOFILE}:{_NOFILE}",
                               "localhost/busybox", "true"],
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for argv in cases.values():  # warm up each once
        timed(user_argv(args.user, *argv))
    for _ in range(args.runs):
        for name, argv in cases.items():
            times[name].append(timed(user_argv(args.user, *argv)))
    for name, ts in times.items():
        print(f"{name:20s} median {statistics.median(ts) * 1000:6.0f} ms"
              f"   min {min(ts) * 1000:6.0f} ms")
    print(f"load average: {os.getloadavg()}")


def measure(user: str, runs: int, cases: dict[str, list[str]]) -> None:
    """Interleaved, one warm-up each; median and minimum, with the load average."""
    times: dict[str, list[float]] = {k: [] for k in cases}
    for argv in cases.values():
        timed(user_argv(user, *argv))
    for _ in range(runs):
        for name, argv in cases.items():
            times[name].append(timed(user_argv(user, *argv)))
    for name, ts in times.items():
        print(f"{name:28s} median {statistics.median(ts) * 1000:6.0f} ms"
              f"   min {min(ts) * 1000:6.0f} ms   load {os.getloadavg()[0]:.1f}")


def send(port: int, mib: int) -> float:
    """MiB/s of `mib` MiB into the port, until the receiver closes after our EOF; again when
    the forwarder found no listener yet (the container's next `nc -l` is starting)."""
    for _ in range(50):
        try:
            return _send(port, mib)
        except (ConnectionResetError, BrokenPipeError):
            time.sleep(0.2)
    raise SystemExit(f"port {port}: every connection was reset")


def _send(port: int, mib: int) -> float:
    import socket

    buf = b"\0" * (1 << 20)
    deadline = time.monotonic() + 20
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with s:
        start = time.perf_counter()
        for _ in range(mib):
            s.sendall(buf)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
        return mib / (time.perf_counter() - start)


def throughput(user: str, runs: int, mib: int, sides: dict[str, tuple[list[str], list[str],
                                                                    str]]) -> None:
    import socket

    ports = {}
    for side, (cli, extra, image) in sides.items():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports[side] = s.getsockname()[1]
        subprocess.run(user_argv(user, *cli, "run", "-d", *extra, "--name", "rlbench-keep",
                                 "--network", "rlbench", "-p", f"{ports[side]}:80", image,
                                 "sh", "-c", "while true; do nc -l -p 80 >/dev/null; done"),
                       check=True, capture_output=True)
    rates: dict[str, list[float]] = {k: [] for k in sides}
    for side in sides:
        send(ports[side], 16)  # warm-up
    for _ in range(runs):
        for side in sides:
            rates[side].append(send(ports[side], mib))
            time.sleep(0.2)  # the next nc -l
    for side, rs in rates.items():
        print(f"{side:10s} -p {mib} MiB   median {statistics.median(rs):5.0f} MiB/s"
              f"   best {max(rs):5.0f} MiB/s   load {os.getloadavg()[0]:.1f}")


def user_network(user: str, runs: int, sb: list[str], pm: list[str], mib: int = 0) -> None:
    ulimit = ["--ulimit", f"nofile={_NOFILE}:{_NOFILE}"]
    sides = {"scopebox": (sb, [], "busybox"), "podman": (pm, ulimit, "localhost/busybox")}
    for cli, _, _ in sides.values():
        subprocess.run(user_argv(user, *cli, "network", "create", "rlbench"),
                       capture_output=True)
    try:
        if mib:
            throughput(user, runs, mib, sides)
            return
        cases = {f"{side} usernet {{}}": [*cli, "run", "--rm", *extra, "--network", "rlbench",
                                          image, "true"]
                 for side, (cli, extra, image) in sides.items()}
        measure(user, runs, {k.format("cold"): v for k, v in cases.items()})
        for cli, extra, image in sides.values():
            subprocess.run(user_argv(user, *cli, "run", "-d", *extra, "--name", "rlbench-keep",
                                     "--network", "rlbench", image, "sleep", "3600"),
                           check=True, capture_output=True)
        measure(user, runs, {k.format("warm"): v for k, v in cases.items()})
    finally:
        for cli, _, _ in sides.values():
            subprocess.run(user_argv(user, *cli, "rm", "-f", "-t", "0", "rlbench-keep"),
                           capture_output=True)
            subprocess.run(user_argv(user, *cli, "network", "rm", "rlbench"),
                           capture_output=True)


if __name__ == "__main__":
    main()
