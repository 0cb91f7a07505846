"""scopebox update [flags] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser
from supervisor.resources import ResourceOptions


def main(argv: list[str]) -> int:
    p = new_parser("update", "Change the resource limits of created or running containers.")
    a = p.add_argument
    a("-m", "--memory", help="memory limit, e.g. 512m")
    a("--memory-swap", help="memory plus swap limit, or -1 for unlimited swap")
    a("--memory-reservation", help="memory soft limit")
    a("--cpus", help="number of CPUs, e.g. 0.5")
    a("--cpu-shares", "-c", type=int, help="relative CPU weight")
    a("--cpu-quota", type=int, help="CFS quota in µs per period")
    a("--cpu-period", type=int, help="CFS period in µs")
    a("--cpuset-cpus", help="CPUs to run on, e.g. 0-1")
    a("--cpuset-mems", help="memory nodes to use, e.g. 0")
    a("--pids-limit", type=int, help="process limit (-1 for unlimited)")
    a("--blkio-weight", type=int, help="block I/O weight, 10 to 1000")
    a("containers", nargs="+")
    ns = p.parse_args(argv)
    overrides = ResourceOptions(
        memory=ns.memory,
        memory_swap=ns.memory_swap,
        memory_reservation=ns.memory_reservation,
        cpus=ns.cpus,
        cpu_shares=ns.cpu_shares,
        cpu_quota=ns.cpu_quota,
        cpu_period=ns.cpu_period,
        cpuset_cpus=ns.cpuset_cpus,
        cpuset_mems=ns.cpuset_mems,
        pids_limit=ns.pids_limit,
        blkio_weight=ns.blkio_weight,
    )
    from supervisor.update import update

    with engine() as eng:
        return for_each(ns.containers, lambda ref: update(eng, ref, overrides) and None)
