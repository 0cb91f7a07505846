"""Scenarios of run/create's --userns, --uidmap, --gidmap, --subuidname, --subgidname (issues
17/19) against Podman 4.3 as root: Podman's messages and exit codes for bad input, the maps
the kernel shows inside, the owners of the container's files, inspect and top."""

from __future__ import annotations

from tests.compat.scenarios import Case

_MAP = "--uidmap 0:100000:65536 --gidmap 0:200000:1000"
_MODE = "{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}"

BAD = [
    Case(f"create {flags} busybox true", "rc out err")
    for flags in (
        "--userns bogus", "--userns private", "--userns keep-id", "--userns keep-id:uid=5",
        "--userns nomap", "--userns ns:/nonexistent", "--userns container:nosuch",
        "--userns container:", "--uidmap bad", "--uidmap 0:1", "--uidmap 0:x:1",
        "--uidmap=-1:1:1", "--gidmap 0:1:1,bad", "--subuidname nosuch", "--subgidname nosuch",
        "--userns auto --uidmap 0:1:1", "--userns host --gidmap 0:1:1", "--userns auto:bad=1",
        "--userns auto:size=abc", "--userns auto:uidmapping=bad",
    )
]

USERNS = [
    *BAD,
    # no `containers` entry in /etc/subuid here (Podman logs one more line before its error)
    Case("create --userns auto busybox true", "rc tail"),
    Case(f"run --rm {_MAP} busybox cat /proc/self/uid_map /proc/self/gid_map"),
    Case(f"run --rm {_MAP} busybox sh -c 'id; stat -c \"%u %g %n\" / /bin/busybox /etc/hosts"
         " /etc/hostname /etc/passwd'"),
    Case("run --rm --uidmap 0:100000:65536 busybox sh -c 'touch /x && stat -c %u:%g /x'"),
    Case("run --rm --userns host busybox cat /proc/self/uid_map"),
    *[Case(f"inspect --format '{_MODE}' {{u}}", setup=(f"create --name {{u}} {flags} busybox"
                                                       " true",))
      for flags in ("", "--userns host", "--userns=", _MAP, "--uidmap 0:1:1,5:6:1",
                    "--uidmap 0:1:1 --uidmap 5:6:1", "--gidmap 0:100000:500")],
    Case("inspect {u}", json=("0.HostConfig.UsernsMode", "0.HostConfig.IDMappings"),
         setup=(f"create --name {{u}} {_MAP} busybox true",)),
    Case("top {u} user huser group hgroup",
         setup=(f"run -d --name {{u}} {_MAP} busybox sleep 1000",)),
    Case("run --rm --userns container:{u} busybox cat /proc/self/uid_map",
         setup=(f"run -d --name {{u}} {_MAP} busybox sleep 1000",)),
]

# pod create --userns: the infra's, joined by the pod's containers
USERNS += [Case(f"pod create --name {{u}} --userns {mode}", "rc out err")
           for mode in ("bogus", "keep-id")]
