"""Scenarios of the pod verbs (issue 15) against Podman 4.3: exit codes, error text, the
JSON keys of `pod ps --format json` and `pod inspect`, status after each step."""

from __future__ import annotations

from tests.compat.scenarios import Case

_P = "pod create --name {u}"
_PS_KEYS = ("0.Id", "0.Name", "0.Status", "0.InfraId", "0.Containers", "0.Labels",
            "0.Networks", "0.Created")
_INSPECT_KEYS = ("Id", "Name", "State", "SharedNamespaces", "NumContainers", "Containers",
                 "InfraContainerID", "CreateInfra", "ExitPolicy", "CreateCommand")
_STATS_KEYS = ("0.CPU", "0.MemUsage", "0.MemUsageBytes", "0.Mem", "0.NetIO", "0.BlockIO",
               "0.PIDS", "0.Pod", "0.CID", "0.Name")

PODS = [
    Case("pod rm nosuch"),
    Case("pod stop nosuch", "rc err"),
    Case("pod start nosuch", "rc err"),
    Case("pod inspect nosuch", "rc err"),
    Case("pod exists nosuch", "rc"),
    Case("pod exists {u}", "rc", setup=(_P,)),
    Case("pod rm --ignore nosuch", "rc out"),
    Case("pod create --share mnt", "rc err"),
    Case(_P, "rc", setup=(_P,)),
    Case("pod ps --format json", json=_PS_KEYS, setup=(_P,)),
    Case("pod inspect {u}", json=_INSPECT_KEYS, setup=(_P,)),
    Case("pod inspect --format {{.State}} {u}", "rc out", setup=(_P,)),
    Case("pod inspect --format {{.State}} {u}", "rc out",
         setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("pod inspect --format {{.State}} {u}", "rc out",
         setup=(_P, "run -d --pod {u} busybox sleep 100", "run --pod {u} busybox true")),
    Case("pod inspect --format {{.NumContainers}} {u}", "rc out",
         setup=(_P, "create --pod {u} busybox true")),
    Case("pod rm {u}", "rc", setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("run --rm --pod {u} busybox hostname", "rc out", setup=(_P,)),
    Case("run --rm --pod nosuch busybox true", "rc"),
    Case("pod exists {u}", "rc", setup=(_P, "pod rm {u}")),
    # podbats (Podman's 200-pod.bats): --force ignores a missing pod; a running infra alone
    # does not hold a pod back; --share +NS; the infra keeps --network without net shared;
    # new: takes --hostname; members share the infra's /dev/shm
    Case("pod rm --force nosuch", "rc out"),
    Case("pod rm {u}", "rc", setup=(_P, "pod start {u}")),
    Case("pod create --name {u} --exit-policy bogus", "rc err"),
    Case("pod inspect --format '{{len .SharedNamespaces}}' {u}", "rc out",
         setup=("pod create --name {u} --share +pid",)),
    Case("pod create --name {u} --share bogus", "rc err"),
    Case("pod inspect --format {{.InfraConfig.HostNetwork}} {u}", "rc out",
         setup=("pod create --name {u} --share ipc --network host",)),
    Case("run --rm --pod new:{u} --hostname {u}-h busybox hostname", "rc out"),
    Case("run --rm --pod {u} busybox ls /dev/shm/f", "rc out",
         setup=(_P, "run --rm --pod {u} busybox touch /dev/shm/f")),
    Case("run --rm --pod {u} --hostname h busybox true", "rc err", setup=(_P,)),
    Case("pod inspect --format '{{(index .Containers 0).ID}}' {u}", "rc", setup=(_P,)),
    # a Go struct prints as one ({ 8080}), not as a map (podbats: 700-play.bats "hostport")
    Case("pod inspect --format {{.InfraConfig.PortBindings}} {u}", "rc out",
         setup=("pod create --name {u} --network bridge -p 127.0.0.1:18931:80",)),
    # looking into a pod (helper podsx): top, logs, stats
    Case("pod top nosuch", "rc tail"),
    Case("pod top", "rc err"),
    Case("pod top {u}", "rc out", setup=(_P,)),
    Case("pod top {u} nosuchdescriptor", "rc", setup=(_P,)),
    Case("pod top {u} nosuchdescriptor", "rc", setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("pod top {u} pid", "rc", setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("pod logs nosuch", "rc err"),
    Case("pod logs", "rc err"),
    Case("pod logs --names {u}", "rc out",
         setup=(_P, "run --pod {u} --name {u}-b busybox echo hi")),
    Case("pod logs -c {u}-b {u}", "rc out",
         setup=(_P, "run --pod {u} --name {u}-b busybox sh -c 'echo a; echo b'")),
    Case("pod logs --tail 1 -c {u}-b {u}", "rc out",
         setup=(_P, "run --pod {u} --name {u}-b busybox sh -c 'echo a; echo b'")),
    Case("pod logs -c nosuch {u}", "rc err", setup=(_P,)),
    Case("pod stats --no-stream nosuch", "rc tail"),
    Case("pod stats --no-stream --format json {u}", json=_STATS_KEYS, setup=(_P,)),
    Case("pod stats --no-stream --format json {u}", json=_STATS_KEYS,
         setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("pod stats --no-stream --format {{.CPU}} {u}", "rc out", setup=(_P,)),
    # the pod's cgroup (helper podsx): --cpus, --memory, --cgroup-parent
    Case("pod inspect {u}", json=("cpu_period", "cpu_quota", "memory_limit", "memory_swap",
                                  "InfraConfig.cpu_quota", "CgroupParent", "CgroupPath"),
         setup=("pod create --name {u} --cpus 1.5 -m 64m",)),
    Case("pod inspect --format {{.CPUQuota}}:{{.CPUPeriod}}:{{.MemoryLimit}} {u}", "rc out",
         setup=("pod create --name {u} --cpus 0.5 --memory 32m",)),
    # issue 19: the other limits of the pod's cgroup
    Case("pod inspect {u}", json=("cpu_shares", "cpuset_cpus", "cpuset_mems", "memory_limit",
                                  "memory_swap", "InfraConfig.cpuset_cpus"),
         setup=("pod create --name {u} -c 512 --cpuset-cpus 0 --cpuset-mems 0 -m 64m"
                " --memory-swap 128m",)),
    Case("pod inspect --format {{.CPUShares}}:{{.CPUSetCPUs}}:{{.CPUSetMems}}:{{.MemorySwap}}"
         " {u}", "rc out", setup=("pod create --name {u} --cpu-shares 256 --cpuset-cpus 0"
                                  " -m 64m --memory-swap -1",)),
    Case("pod start {u}", "rc", setup=("pod create --name {u} -c 512 --cpuset-cpus 0 -m 32m"
                                       " --memory-swap 64m",)),
    Case("pod create --name {u} -c abc", "rc"),
    Case("pod inspect --format {{.CPUShares}}:{{.CPUSetCPUs}}:{{.MemorySwap}} {u}-b", "rc out",
         setup=("pod create --name {u} -m 64m",
                "pod clone -c 256 --cpuset-cpus 0 -m 64m --memory-swap 96m {u} {u}-b")),
    Case("pod create --name {u} --cpuset-cpus abc"),
    # (a CPU or node the host lacks, swap below memory: Podman 4.3 refuses them from the
    # kernel and leaves the pod's cgroup behind, so they are tested on scopebox alone, in
    # tests/host/test_pods_cgroup_host.py and tests/unit/test_pods_limits.py)
    Case("pod create --name {u} --cpus 9", "rc"),
    Case("pod create --name {u} --cpus x", "rc"),
    Case("pod start {u}", "rc", setup=("pod create --name {u} --cpus 0.5 -m 32m",)),
    Case("pod create --name {u} --cgroup-parent ../x", diff="pod-cgroup-parent",
         want=(125, "invalid --cgroup-parent")),
    Case("pod create --name {u} -m 1k", diff="pod-memory-minimum",
         want=(125, "minimum memory limit allowed is")),
    # helper pods: Podman 4.3's other pod create / pod clone flags
    Case("run --rm --pod {u} busybox cat /proc/1/comm", "rc out",
         setup=("pod create --name {u} --pid host",)),  # the infra's only: members private
    Case("run --rm --pod {u} busybox test -d /proc/1/ns", "rc",  # members join: the host's
         setup=("pod create --name {u} --pid host --share pid,net",)),
    Case("run --rm --pod {u} busybox hostname", "rc out",
         setup=("pod create --name {u} --uts host",)),
    Case("run --rm --pod {u} busybox test -c /dev/podzero", "rc",
         setup=("pod create --name {u} --device /dev/zero:/dev/podzero",)),
    Case("run --rm --pod {u} busybox test -f /data/hostname", "rc",
         setup=("pod create --name {u} -v /etc:/data:ro",)),
    Case("run --rm --pod {u} busybox test -e /vdata", "rc",  # the infra's only, as Podman's
         setup=("run -d --name {u}-b -v /etc:/vdata:ro busybox sleep 100",
                "pod create --name {u} --volumes-from {u}-b")),
    Case("run --rm --pod {u} busybox grep Seccomp: /proc/self/status", "rc out",
         setup=("pod create --name {u} --security-opt seccomp=unconfined",)),
    Case("run --rm --pod {u} busybox cat /proc/self/uid_map /proc/self/gid_map", "rc out",
         setup=("pod create --name {u} --uidmap 0:100000:65536 --gidmap 0:100000:65536",)),
    Case("pod create --name {u} --pid bogus", "rc err"),
    Case("pod create --name {u} --device /dev/nosuch", "rc err"),
    Case("pod create --name {u} --uidmap 0:100000:65536 --userns host", "rc err"),
    Case("run --rm --pod {u}-b busybox sh -c 'hostname; test -e /data; test -c /dev/podzero'",
         "rc out",  # as Podman's clone: the volume is kept, the device is not
         setup=("pod create --name {u} --device /dev/zero:/dev/podzero -v /etc:/data:ro",
                "pod clone --uts host --label-file /dev/null --name {u}-b {u}")),
    Case("run --rm --pod {u}-b busybox test -c /dev/podzero", "rc",
         setup=("pod create --name {u}",
                "pod clone --device /dev/zero:/dev/podzero --name {u}-b {u}")),
    Case("pod create --name {u} --blkio-weight 500", diff="pod-blkio",
         want=(125, "takes no block I/O limits")),
    # generate systemd of a pod (helper podsx): the units' text differs (scopebox's command)
    Case("generate systemd --name {u}", "rc", setup=(_P, "create --pod {u} busybox true")),
    Case("generate systemd --new --name {u}", "rc", setup=(_P,)),
    Case("generate systemd {u}", "rc", setup=("pod create --infra=false --name {u}",)),
    Case("pod ps --filter name={u} --format '{{.Name}} {{.ContainerStatuses}} "
         "{{.NumberOfContainers}}'", "rc out", setup=(_P,)),
    Case("pod ps --ctr-names --ctr-status --ctr-ids --filter name={u} --noheading "
         "--format '{{.Status}}'", "rc out", setup=(_P, "run -d --pod {u} busybox sleep 100")),
    # --pod-id-file (generated units name their pod by it)
    Case("pod start --pod-id-file /nonexistent"),
    Case("pod stop --ignore --pod-id-file /nonexistent"),
    Case("pod rm --ignore --pod-id-file /nonexistent"),
    Case("run --rm --pod-id-file /nonexistent busybox true"),
    Case("pod create --name {u} --exit-policy bad", "rc tail"),
    # pod clone (helper podsx)
    Case("pod clone nosuch", "rc err"),
    Case("pod clone", "rc err"),
    Case("pod clone --name {u}-b {u}", "rc",
         setup=(_P, "create --pod {u} --name {u}-c busybox true")),
    # (not --start: Podman 4.3's clone puts the copy's infra on its default bridge network,
    # whatever containers.conf says, and the compat tier never touches this host's network)
    Case("pod inspect --format {{.NumContainers}}:{{.State}} {u}-b", "rc out",
         setup=(_P, "create --pod {u} busybox sleep 100", "pod clone {u} {u}-b")),
    # the verbs acting on a running pod: exit codes, errors, the state after each
    *[Case(f"pod {verb} nosuch", "rc err") for verb in ("kill", "pause", "unpause", "restart")],
    Case("pod kill {u}", "rc", setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("pod inspect --format {{.State}} {u}", "rc out",
         setup=(_P, "run -d --pod {u} busybox sleep 100", "pod kill {u}")),
    Case("pod kill --signal BOGUS {u}", "rc", setup=(_P, "run -d --pod {u} busybox sleep 100")),
    Case("pod inspect --format {{.State}} {u}", "rc out",
         setup=(_P, "run -d --pod {u} busybox sleep 100", "pod pause {u}")),
    Case("pod inspect --format {{.State}} {u}", "rc out",
         setup=(_P, "run -d --pod {u} busybox sleep 100", "pod pause {u}", "pod unpause {u}")),
    Case("pod inspect --format {{.State}} {u}", "rc out",
         setup=(_P, "run -d --pod {u} busybox sleep 100", "pod restart {u}")),
    Case("pod prune -f", "rc"),
    Case("pod exists {u}", "rc", setup=(_P, "pod prune -f")),
]
