"""The network DNS responder: private memory (USS), first-query latency after activation, warm
query latency.

    sudo .venv/bin/python bench/dns.py [RUNS]

Re-runs itself inside a private network namespace (`unshare --net`: nothing touches the
machine's own). There it makes a network with one container (`kernel.setup`, leases in a
throwaway store), binds the gateway's port 53 as systemd's socket unit would, and starts the
responder on those sockets (`--fd`, the same code path as socket activation). "First query"
is spawn -> the first answer to a query already waiting in the socket's queue (what the first
`nslookup` after activation sees, less systemd's fork+exec); "warm" is the median of 300
queries afterwards. USS is Private_Clean + Private_Dirty from /proc/<pid>/smaps_rollup after
those queries. Podman's resolver (aardvark-dns with netavark, or CNI's dnsname plugin) is
measured beside it when installed; the bench says so when it is not.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from supervisor.network import kernel  # noqa: E402
from supervisor.network.db import CreateSpec, NetworkDB  # noqa: E402
from supervisor.network.dns import lifecycle, message  # noqa: E402
from supervisor.paths import Paths  # noqa: E402
from supervisor.store import Store  # noqa: E402

GW = "10.97.0.1"


def uss_kib(pid: int) -> int:
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Private_Clean", "Private_Dirty"):
                total += int(rest.split()[0])
    return total


def ask(client: socket.socket, name: str, qid: int) -> message.Parsed:
    client.sendto(message.make_query(name, qid=qid), (GW, 53))
    while True:
        r = message.parse_reply(client.recv(512))
        if r.id == qid:
            return r


def one_run(paths: Paths, warm: int) -> tuple[float, float, int]:
    socks = lifecycle._bind("bench", [GW])
    argv = [*lifecycle._server_args(paths, "bench", "/etc/resolv.conf", 0.0),
            *(x for s in socks for x in ("--fd", str(s.fileno())))]
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(10)
    client.sendto(message.make_query("web", qid=1), (GW, 53))  # waits in the queue
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, pass_fds=[s.fileno() for s in socks])
    for s in socks:
        s.close()
    while message.parse_reply(client.recv(512)).id != 1:
        pass
    first = time.monotonic() - t0
    times = []
    for i in range(warm):
        t = time.monotonic()
        assert ask(client, "web", 2 + i).answers, "no answer"
        times.append(time.monotonic() - t)
    uss = uss_kib(proc.pid)
    proc.terminate()
    proc.wait()
    client.close()
    return first, sorted(times)[len(times) // 2], uss


def podman_resolver() -> str:
    backend = subprocess.run(["podman", "info", "--format", "{{.Host.NetworkBackend}}"],
                             capture_output=True, text=True).stdout.strip() or "unknown"
    found = [p for p in ("/usr/libexec/podman/aardvark-dns", "/usr/lib/podman/aardvark-dns",
                         "/usr/lib/cni/dnsname", "/opt/cni/bin/dnsname") if os.path.exists(p)]
    if not found:
        return (f"podman's network backend here: {backend}; no aardvark-dns and no CNI dnsname "
                "plugin installed: podman has no container DNS on this host, nothing to measure")
    return f"podman's network backend here: {backend}; resolver present: {found} (not measured)"


def inside(runs: int) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory() as d:
        paths = Paths(f"{d}/root", f"{d}/run")
        store = Store(paths)
        ndb = NetworkDB(store)
        ndb.create(CreateSpec(name="bench", subnets=["10.97.0.0/24"]), [])
        plan = kernel.make_plan(ndb, "ab" * 32, f"{d}/ns", ["bench"])
        with store.transaction() as db:
            db.execute("INSERT INTO containers (id, name, image_id, image_name, created,"
                       " status, config) VALUES (?, 'web', '', '', '', 'running', '{}')",
                       ("ab" * 32,))
        kernel.setup(plan, paths.locks)
        try:
            results = [one_run(paths, 300) for _ in range(runs)]
        finally:
            kernel.teardown(plan, paths.locks)
            store.close()
    firsts = sorted(r[0] for r in results)
    warms = sorted(r[1] for r in results)
    uss = sorted(r[2] for r in results)
    print(f"scopebox responder ({runs} runs, {sys.executable}):")
    print(f"  first query after activation: median {firsts[runs // 2] * 1000:.0f} ms"
          f" (min {firsts[0] * 1000:.0f}, max {firsts[-1] * 1000:.0f})")
    print(f"  warm query (UDP, store read per query): median {warms[runs // 2] * 1e6:.0f} us")
    print(f"  private memory (USS): median {uss[runs // 2] / 1024:.1f} MiB")
    bare = subprocess.Popen([sys.executable, "-I", "-S", "-c", "import time; time.sleep(5)"])
    time.sleep(0.3)
    print(f"  (a bare python3 -I -S here: {uss_kib(bare.pid) / 1024:.1f} MiB)")
    bare.kill()
    bare.wait()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
    if os.environ.get("SCOPEBOX_BENCH_NETNS") != "1":
        if shutil.which("podman"):
            print(podman_resolver())
        env = dict(os.environ, SCOPEBOX_BENCH_NETNS="1")
        sys.exit(subprocess.run(["unshare", "--net", sys.executable, __file__, str(runs)],
                                env=env).returncode)
    inside(runs)


if __name__ == "__main__":
    main()
