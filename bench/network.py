"""What a bridge network and a published port cost a container's whole life (setup, run,
teardown), scopebox beside podman, interleaved run by run: median and minimum wall time of

    run --rm --network none busybox true
    run --rm --network bridge busybox true
    run --rm --network bridge -p 8080:80 busybox true

    python bench/network.py [--runs N] [--no-podman] [--compare DIR] [--steps N] [--many N]

It runs itself in a private network namespace (`unshare -n`): the bridges, veths and nftables
tables of both engines are made there, never in this machine's own. Goal (issue 13): the
bridge adds at most 15 ms over `--network none`.

`--compare DIR`: a third engine, scopebox from another checkout (e.g. a `git worktree` of the
commit before a change), interleaved with the others: a before/after under the same load.
`--many N`: N containers with a published port each started (`run -d -p`), then removed
(`rm -f`), engines interleaved: the first and the last ten apart (goal: flat in the number of
ports). `--runs 0` skips the three cases.
`--steps N`: first, what the network resource does for one container, step by step, N times
in this process (the default network, a store on tmpfs or wherever TMPDIR is): median and
minimum of each step, setup and teardown. On a loaded machine (other jobs: see the load
average printed) prefer the minimums and the steps to the wall-clock medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASES = {
    "none": ["--network", "none"],
    "bridge": ["--network", "bridge"],
    "bridge -p": ["--network", "bridge", "-p", "8080:80"],
}


def engines(base: Path, podman: bool, compare: str = ""
            ) -> dict[str, tuple[list[str], dict[str, str]]]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = base / "containers.conf"
    limits = f'["nofile={hard}:{hard}", "nproc=4096:4096"]'
    conf.write_text(f"[containers]\ndefault_ulimits = {limits}\n")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    out = {"scopebox": ([sys.executable, "-m", "supervisor"],
                        {**env, "SCOPEBOX_ROOT": str(base / "sb-root"),
                         "SCOPEBOX_RUNROOT": str(base / "sb-run")})}
    if compare:  # another checkout's code, before this one's on the path
        boot = "import sys, runpy; sys.path.insert(0, sys.argv.pop(1)); runpy.run_module(" \
            "'supervisor', run_name='__main__')"
        out["scopebox@base"] = ([sys.executable, "-c", boot, compare],
                                {**env, "SCOPEBOX_ROOT": str(base / "sb2-root"),
                                 "SCOPEBOX_RUNROOT": str(base / "sb2-run")})
    if podman and shutil.which("podman"):
        argv = ["podman", "--root", str(base / "p-root"), "--runroot", str(base / "p-run"),
                "--tmpdir", str(base / "p-tmp"), "--storage-driver", "vfs", "--runtime", "runc",
                "--events-backend", "file", "--cgroup-manager", "cgroupfs"]
        out["podman"] = (argv, env)
    return out


CPU: dict[tuple[str, ...], float] = {}  # CPU ms of each timed command's last run


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall ms; the CPU ms of the command and the children it waited for (user + system: on a
    loaded machine the steadier figure) go to CPU[argv]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    elapsed = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[tuple(argv)] = (after.ru_utime - before.ru_utime + after.ru_stime
                        - before.ru_stime) * 1000
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {res.returncode}: {res.stderr.decode()}")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--no-podman", action="store_true")
    p.add_argument("--compare", default="", metavar="DIR")
    p.add_argument("--steps", type=int, default=0, metavar="N")
    p.add_argument("--many", type=int, default=0, metavar="N")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if not args.inside:  # into a private network namespace first
        os.execvp("unshare", ["unshare", "-n", sys.executable, *sys.argv, "--inside"])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} CPUs", flush=True)
    if args.steps:
        steps(args.steps)
    if not args.runs and not args.many:
        return
    with tempfile.TemporaryDirectory(prefix="bench-net-") as tmp:
        base = Path(tmp)
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)
        eng = engines(base, not args.no_podman, args.compare)
        for argv, env in eng.values():
            subprocess.run([*argv, "import", "--change", 'CMD ["sh"]', str(tar), "busybox"],
                           env=env, cwd=REPO, check=True, capture_output=True)
            for flags in CASES.values():  # warm up: default network made, caches filled
                timed([*argv, "run", "--rm", *flags, "busybox", "true"], env)
        if args.many:
            many(eng, args.many)
        ms: dict[tuple[str, str], list[float]] = {(e, c): [] for e in eng for c in CASES}
        cpu: dict[tuple[str, str], list[float]] = {(e, c): [] for e in eng for c in CASES}
        for _ in range(args.runs):
            for name, (argv, env) in eng.items():
                for case, flags in CASES.items():
                    cmd = [*argv, "run", "--rm", *flags, "busybox", "true"]
                    ms[name, case].append(timed(cmd, env))
                    cpu[name, case].append(CPU[tuple(cmd)])
        for (argv, env) in eng.values():
            subprocess.run([*argv, "rm", "-a", "-f"], env=env, cwd=REPO, capture_output=True)
    if not args.runs:
        return
    print(f"wall time, and CPU time of the command and the children it waits for "
          f"({args.runs} runs each; load average now "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}):")
    for name in eng:
        none = statistics.median(ms[name, "none"])
        none_cpu = statistics.median(cpu[name, "none"])
        for case in CASES:
            times = ms[name, case]
            med = statistics.median(times)
            extra = "" if case == "none" else f" (+{med - none:5.1f})"
            c = statistics.median(cpu[name, case])
            cextra = "" if case == "none" else f" (+{c - none_cpu:5.1f})"
            print(f"{name:<13} {case:<9} median {med:6.1f} ms{extra:<9} min {min(times):6.1f}"
                  f" ms | cpu median {c:6.1f} ms{cextra}")


def many(eng: dict[str, tuple[list[str], dict[str, str]]], n: int) -> None:
    """`n` containers with a published port each (`run -d -p`), then each removed
    (`rm -f -t 0`), the engines interleaved container by container: the time of each, first
    and last ten apart (flat: a port is a map element, not a rule)."""
    ms: dict[tuple[str, str], list[float]] = {(e, w): [] for e in eng for w in ("run", "rm")}
    for k in range(n):
        for name, (argv, env) in eng.items():
            ms[name, "run"].append(timed([*argv, "run", "-d", "--name", f"many{k}", "--network",
                                          "bridge", "-p", f"{20000 + k}:80", "busybox",
                                          "sleep", "600"], env))
    for k in range(n):
        for name, (argv, env) in eng.items():
            ms[name, "rm"].append(timed([*argv, "rm", "-f", "-t", "0", f"many{k}"], env))
    print(f"{n} containers with a published port each: median (min) of the first and last 10")
    for (name, what), times in ms.items():
        first, last = times[:10], times[-10:]
        verb = "run -d -p" if what == "run" else "rm -f"
        print(f"{name:<13} {verb:<9} first {statistics.median(first):6.1f} ms "
              f"({min(first):6.1f})  last {statistics.median(last):6.1f} ms "
              f"({min(last):6.1f})  all {sum(times) / 1000:5.1f} s", flush=True)


def steps(n: int) -> None:
    """The network resource's setup and teardown of one container (NetworkResource), step by
    step, `n` times: the same functions, timed one by one."""
    sys.path.insert(0, str(REPO))
    from supervisor.network import kernel, netlink, nft, resource
    from supervisor.network.db import NetworkDB, PortSpec
    from supervisor.paths import Paths
    from supervisor.store import Store

    ms: dict[str, list[float]] = {}

    def step(name: str, start: float) -> float:
        now = time.perf_counter()
        ms.setdefault(name, []).append((now - start) * 1000)
        return now

    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp:
        paths = Paths(f"{tmp}/root", f"{tmp}/run")
        store = Store(paths)
        ndb = NetworkDB(store)
        locks = paths.locks
        for i in range(n + 1):  # the first makes the bridge and the table: not counted
            cid = f"{i:064x}"
            ns = f"{tmp}/run/netns/{cid}"
            t0 = t = time.perf_counter()
            plan = kernel.make_plan(ndb, cid, ns, ["podman"], [PortSpec(80, "tcp", 8080)])
            t = step("setup: leases and port claims (store)", t)
            resource.check_host_ports(ndb.port_claims(cid))
            t = step("setup: host port probe", t)
            with kernel.nft_lock(locks):
                for rules, a in zip(plan.networks, plan.attachments, strict=True):
                    netlink.ensure_bridge(rules.bridge, rules.gateways, a.mtu)
            t = step("setup: bridge exists (lock, sysctls)", t)
            netlink.create_attached(plan.netns, plan.attachments)
            t = step("setup: netns, veth, addresses, routes", t)
            with kernel.nft_lock(locks), nft.Session() as s:
                elems = nft.forwards_add(plan.forwards) + nft.sources_add(plan.sources)
                try:
                    s.run(elems)
                except nft.NftError:
                    s.run(nft.skeleton() + "".join(map(nft.network_add, plan.networks))
                          + elems)
            t = step("setup: nft elements", t)
            t = step("SETUP total", t0)
            t0 = t
            leases = ndb.leases(cid)
            fwds = tuple(kernel.forwards_of(ndb.port_claims(cid), leases))
            bridges = {nw.name: nw.network_interface for nw in ndb.all()}
            srcs = tuple(nft.Source(x.address, bridges[x.network]) for x in leases)
            atts = tuple(netlink.Attachment("", "", x.host_iface, "", (), ()) for x in leases)
            t = step("teardown: read the store", t)
            with kernel.nft_lock(locks):
                s = nft.Session()
                s.run(nft.forwards_remove(fwds) + nft.sources_remove(srcs))
            t = step("teardown: nft elements", t)
            netlink.remove_netns(ns)
            t = step("teardown: netns unmounted", t)
            for a in atts:
                netlink.detach_later(a.host_iface, None, (s.fd,) if s.fd >= 0 else ())
            s.close()
            t = step("teardown: detached veth delete (spawn)", t)
            ndb.release(cid)
            t = step("teardown: release (store)", t)
            step("TEARDOWN total", t0)
            if i == 0:
                ms.clear()
            time.sleep(0.05)  # the kernel's deletions of the last one, not on the next's clock
        store.close()
    print(f"network resource, step by step ({n} containers, -p 8080:80):")
    for name, times in ms.items():
        print(f"  {name:<42} median {statistics.median(times):6.2f} ms  "
              f"min {min(times):6.2f} ms")


if __name__ == "__main__":
    main()
