"""scopebox pod clone [--name N] [--destroy] [--start] [options] POD [NAME]"""

from __future__ import annotations

import os

from supervisor.cli.main import new_parser
from supervisor.cli.pod_create import (  # issue 19, helper pods
    _more_limits,
    add_infra_flags,
    infra_fields,
    label_files,
    refuse_blkio,
)
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod clone", "Create an exact copy of a pod and the containers within it.")
    a = p.add_argument
    a("-n", "--name", default="", help="name the new pod (default NAME-clone)")
    a("--destroy", action="store_true", help="destroy the original pod")
    a("--start", action="store_true", help="start the new pod")
    a("--hostname", default=None, help="the new pod's host name")
    a("-l", "--label", action="append", default=[], help="key=value, added to the pod's")
    a("--cpus", default="", help="CPUs of the new pod")
    a("-m", "--memory", default="", help="memory limit of the new pod")
    a("-c", "--cpu-shares", default="", help="CPU shares of the new pod")  # issue 19
    a("--cpuset-cpus", default="", help="CPUs the new pod's containers may run on")
    a("--cpuset-mems", default="", help="memory nodes the new pod's containers may use")
    a("--memory-swap", default="", help="memory plus swap of the new pod (-1: unlimited)")
    a("--cgroup-parent", default=None, help="parent of the new pod's cgroup")
    a("--infra-name", default="", help="the new infra container's name")
    a("--infra-command", default="", help="the new infra container's command")
    a("--infra-conmon-pidfile", default="", help="write the infra's monitor pid here")
    # issue 19 (helper "flags"): as pod create's, replacing the original's
    a("--sysctl", action="append", default=[], help="the new pod's namespaced kernel"
      " parameters (NAME=VALUE; replaces the original's)")
    a("--shm-size", default=None, help="size of the new pod's /dev/shm")
    add_infra_flags(p)  # helper pods: as pod create's, replacing the original's
    a("--userns", default="", help="the new pod's user namespace (replaces the original's)")
    a("--label-file", action="append", default=[], help="read key=value labels from a file")
    a("pod", metavar="POD", nargs="?")
    a("new_name", metavar="NAME", nargs="?")
    ns = p.parse_args(argv)
    refuse_blkio(ns)
    from supervisor.api import podtools
    from supervisor.sizes import parse_size

    if not ns.pod:
        raise UsageError("accepts between 1 and 2 arg(s), received 0")
    if ns.name and ns.new_name:
        raise UsageError("cannot specify --name and a name argument: give one")
    labels = label_files(ns.label_file)
    for item in ns.label:
        key, _, value = item.partition("=")
        labels[key] = value
    req = podtools.PodCloneRequest(
        name=ns.name or ns.new_name or "", destroy=ns.destroy, start=ns.start,
        hostname=ns.hostname, labels=labels,
        cpus=podtools.parse_cpus(ns.cpus) if ns.cpus else None,
        memory=parse_size(ns.memory) if ns.memory else None,
        cgroup_parent=ns.cgroup_parent, infra_name=ns.infra_name,
        infra_command=tuple(ns.infra_command.split()),
        sysctls=tuple(ns.sysctl) if ns.sysctl else None, shm_size=ns.shm_size,
        infra_conmon_pidfile=os.path.abspath(ns.infra_conmon_pidfile)
        if ns.infra_conmon_pidfile else "",
        limits={k: v for k, v in _more_limits(ns).items() if v},  # issue 19
        infra={**infra_fields(ns), "userns": ns.userns},  # helper pods
    )
    print(podtools.clone(settings, ns.pod, req))
    return 0
