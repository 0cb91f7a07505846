"""Scenarios of run/create's process and namespace flags (helper "runflags"): error paths,
exit codes, what the kernel shows inside, and inspect's keys, against Podman 4.3."""

from __future__ import annotations

from tests.compat.scenarios import Case

_RUN = "run --rm"
_FLAGS = ("--init --shm-size 32m --oom-score-adj 100 --annotation a=b --group-add 10 --tz UTC"
          " --timeout 5 --uts host --pid private --sysctl kernel.msgmax=1000")
_VALUES = ("{{.HostConfig.ShmSize}} {{.HostConfig.OomScoreAdj}} {{.HostConfig.OomKillDisable}}"
           " {{.HostConfig.Init}} {{.HostConfig.PidMode}} {{.HostConfig.UTSMode}}"
           " {{.HostConfig.IpcMode}} {{.HostConfig.CgroupMode}} {{.HostConfig.GroupAdd}}"
           " {{.Config.Timeout}} {{.Config.Timezone}} {{index .Config.Annotations \"a\"}}")
_KEYS = ("0.HostConfig.ShmSize", "0.HostConfig.OomScoreAdj", "0.HostConfig.OomKillDisable",
         "0.HostConfig.Init", "0.HostConfig.PidMode", "0.HostConfig.IpcMode",
         "0.HostConfig.UTSMode", "0.HostConfig.CgroupMode", "0.HostConfig.GroupAdd",
         "0.Config.Annotations", "0.Config.Timeout", "0.Config.Timezone")

RUNFLAGS = [
    # --sysctl: Podman's validation and messages; values in /proc/sys
    Case(f"{_RUN} --sysctl vm.swappiness=10 busybox true"),
    Case(f"{_RUN} --sysctl kernel.hostname=x busybox true"),
    Case(f"{_RUN} --sysctl bogus busybox true"),
    Case(f"{_RUN} --sysctl =1 busybox true"),
    Case(f"{_RUN} --network host --sysctl net.ipv4.ip_forward=1 busybox true"),
    # --dns* with --network host: the container's own resolv.conf (Podman's 500-networking)
    Case(f"{_RUN} --network host --dns 1.1.1.1 busybox cat /etc/resolv.conf"),
    Case(f"{_RUN} --network host --dns-option ndots:3 busybox cat /etc/resolv.conf"),
    # slirp4netns's cidr: the container's .100, its DNS forwarder .3 (Podman's 500-networking)
    Case(f"{_RUN} --network slirp4netns:cidr=10.0.3.0/24 busybox sh -c"
         " 'ip -4 addr show tap0 | grep inet; grep 10.0 /etc/resolv.conf; grep -c 10.0.3.100"
         " /etc/hosts'"),
    Case(f"{_RUN} --sysctl net.ipv4.ip_forward=1 busybox cat /proc/sys/net/ipv4/ip_forward"),
    Case(f"{_RUN} --sysctl kernel.msgmax=1000,kernel.msgmnb=2000 busybox cat"
         " /proc/sys/kernel/msgmax /proc/sys/kernel/msgmnb"),
    Case(f"{_RUN} --sysctl fs.mqueue.msg_max=20 busybox cat /proc/sys/fs/mqueue/msg_max"),
    # namespaces
    Case(f"{_RUN} --pid bogus busybox true"),
    Case(f"{_RUN} --cgroupns bogus busybox true"),
    Case(f"{_RUN} --pid container:nosuch busybox true"),
    Case(f"{_RUN} --ipc ns:/nonexistent busybox true"),
    Case(f"{_RUN} --uts ns:/nonexistent busybox true"),
    Case(f"{_RUN} --uts container:web busybox hostname"),
    # A created container is started first (Podman's dependencies; helper "flags"): with
    # `true` it may have exited again before the join, so it sleeps here.
    Case(f"{_RUN} --uts container:{{u}} busybox hostname",
         setup=("create --name {u} busybox sleep 100",)),
    Case(f"{_RUN} --ipc none busybox ls /dev/shm", "rc out"),
    Case("exec {u} ls /dev/shm", setup=("run -d --name {u} busybox sleep 100",
                                        f"{_RUN} --ipc container:{{u}} busybox touch /dev/shm/f"),
         diff="ipc-container-shm", want=(0, "=")),
    Case(f"{_RUN} --ipc private busybox true"),
    Case(f"{_RUN} --uts private busybox true"),
    Case(f"{_RUN} --pid host busybox sh -c 'test $$ != 1'"),
    # (web's sleep is seen; a count of matching lines would also count the shell's own
    # pipeline, whose forks race with ps)
    Case(f"{_RUN} --pid container:web busybox sh -c 'ps -o args | grep -q \"^sleep 100000\"'"),
    # --init
    Case(f"{_RUN} --init busybox ps -o args"),  # (the child's pid varies)
    Case(f"{_RUN} --init --pid host busybox true"),
    Case(f"{_RUN} --init --pid container:web busybox true"),
    Case(f"{_RUN} --init-path /nonexistent --init busybox true"),
    # (the child's pid varies from run to run: only the command lines are compared)
    Case(f"{_RUN} --init-path /usr/bin/catatonit --init busybox ps -o args"),
    # /dev/shm
    Case(f"{_RUN} busybox grep /dev/shm /proc/mounts"),
    Case(f"{_RUN} --shm-size 32m busybox grep /dev/shm /proc/mounts"),
    Case(f"{_RUN} --shm-size 1g busybox grep /dev/shm /proc/mounts"),
    Case(f"{_RUN} --shm-size 0 busybox grep /dev/shm /proc/mounts"),
    Case(f"{_RUN} --shm-size bogus busybox true"),
    Case(f"{_RUN} --shm-size -1 busybox true"),
    # process
    Case(f"{_RUN} --oom-score-adj 500 busybox cat /proc/self/oom_score_adj"),
    Case(f"{_RUN} --oom-score-adj abc busybox true", "rc"),
    Case(f"{_RUN} --oom-kill-disable busybox true"),
    Case(f"{_RUN} --group-add 10 --group-add nogroup busybox id"),
    Case(f"{_RUN} --group-add keep-groups busybox id"),
    Case(f"{_RUN} --group-add keep-groups --group-add 10 busybox true"),
    Case(f"{_RUN} --annotation bogus busybox true"),
    Case(f"{_RUN} --annotation a= busybox true"),
    Case(f"{_RUN} --env-host busybox sh -c 'echo $CONTAINERS_CONF'"),
    Case(f"{_RUN} --tz Asia/Tokyo busybox date +%Z"),
    Case(f"{_RUN} --tz UTC busybox date +%Z"),
    Case(f"{_RUN} --tz Nowhere/Bogus busybox true"),
    Case(f"{_RUN} --timeout -1 busybox true", "rc"),
    Case(f"{_RUN} --timeout 30 busybox true"),
    Case(f"{_RUN} --timeout 1 busybox sleep 30"),  # conmon's -1: exit 255
    # -p outside a bridge: Podman runs it without the ports, with its warning (bats 030-run)
    Case(f"{_RUN} -p 8080 --network host busybox echo hi"),
    Case(f"{_RUN} -p 8080 --network none busybox echo hi"),
    # --ipc=private is non-shareable (bats 190-run-ipcns)
    Case(f"{_RUN} --ipc container:{{u}} busybox true", "rc tail",
         setup=("run -d --ipc private --name {u} busybox sleep 100",)),
    # --rmi: the name given goes with the container
    Case("image exists localhost/{u}:v1",
         setup=("tag busybox localhost/{u}:v1", "run --rmi localhost/{u}:v1 true")),
    Case("ps -a --filter name={u} --format {{.Names}}",
         setup=("tag busybox localhost/{u}:v1", "run --rmi --name {u} localhost/{u}:v1 true"),
         diff="rmi-implies-rm", want=(0, "=")),
    # inspect
    Case(f"inspect --format '{_VALUES}' {{u}}", setup=(f"create --name {{u}} {_FLAGS} busybox"
                                                        " true",)),
    Case("inspect {u}", json=_KEYS, setup=(f"create --name {{u}} {_FLAGS} busybox true",)),
    Case(f"inspect --format '{_VALUES}' {{u}}", setup=("create --name {u} busybox true",)),
    Case("inspect --format '{{.HostConfig.PidMode}} {{.HostConfig.UTSMode}}' {u}",
         setup=("create --name {u} --pid host --uts container:web busybox true",)),
]
