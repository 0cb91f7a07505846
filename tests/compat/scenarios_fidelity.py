"""More scenarios (helper "fidelity"): inspect's keys and values for several container shapes,
ps/images fields, sorts and filters, and the exit codes and messages of the lifecycle verbs.

`compare="rc keys"`: every key of Podman's JSON, with its type, must be in scopebox's
(tests/compat/harness.py `missing_keys`); KEY_SKIP lists what other areas own or what differs
on purpose.
"""

from __future__ import annotations

from tests.compat.scenarios import Case

KEY_SKIP = (
    "NetworkSettings",  # networking's (helper netrun)
    "EffectiveCaps", "BoundingCaps",  # security's
    "Config.Annotations",  # Podman's own bookkeeping (io.podman.annotations.*)
    "Config.Entrypoint",  # a list, as Docker's: DIFFERENCES.md inspect-entrypoint
    "GraphDriver.Data",  # null for podman's vfs store here; overlay's dirs in scopebox
    "State.CgroupPath",  # the container's cgroup: not recorded yet
    "State.Health",  # only with a healthcheck, as Docker (tests/cases_health.py)
    "HostConfig.Tmpfs",  # its keys are mount points (podman: /run, /tmp with --read-only)
    # info: Podman's machinery scopebox has none of (conmon, buildah, slirp, remote socket...)
    "host.buildahVersion", "host.conmon", "host.slirp4netns", "host.remoteSocket",
    "host.serviceIsRemote", "host.idMappings", "host.cgroupControllers", "host.security",
    "plugins", "registries", "host.databaseBackend", "host.networkBackendInfo",
)

RESOURCES = ("create --name {u} -m 64m --memory-reservation 32m --cpus 1.5 --cpu-shares 512"
             " --pids-limit 100 -e FOO=bar -w /tmp -u 1000 --stop-signal SIGINT busybox true")
SHAPES = (
    RESOURCES,
    "create --name {u} -v /tmp:/mnt:ro busybox true",
    "create --name {u} --tmpfs /scratch --read-only busybox true",
    "create --name {u} --health-cmd true busybox true",
    "create --name {u} --ulimit nofile=100:200 busybox true",
    "create --name {u} --log-driver k8s-file busybox true",
    "create --name {u} --cpuset-cpus 0 --cpu-quota 50000 --cpu-period 100000 busybox true",
    "create --name {u} --label a=b --hostname h1 --entrypoint sh busybox -c true",
    "run -d --name {u} busybox sleep 100",
    "run -d --name {u} busybox sh -c 'exit 4'",
)
INSPECT_KEYS = [
    Case("inspect web", "rc keys"),
    Case("inspect done", "rc keys"),
    Case("inspect fresh", "rc keys"),
    Case("container inspect web", "rc keys"),
    Case("inspect -s web", "rc keys"),
    Case("inspect --size done", "rc keys"),
    *[Case("inspect {u}", "rc keys", setup=(s, "wait {u}") if "exit" in s else (s,))
      for s in SHAPES],
    Case("image inspect busybox", "rc keys"),
    Case("inspect busybox", "rc keys"),
    Case("image inspect localhost/extra:v1", "rc keys"),
    Case("ps -a --format json", "rc keys"),
    Case("ps -a --size --format json", "rc keys"),
    Case("ps --ns --format json", "rc keys"),
    Case("images --format json", "rc keys"),
    Case("version --format json", "rc keys"),
]

HOST_FIELDS = ("Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuQuota",
               "CpuPeriod", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight",
               "OomKillDisable", "OomScoreAdj", "Privileged", "ReadonlyRootfs", "AutoRemove",
               "NetworkMode", "CgroupParent",
               "RestartPolicy.MaximumRetryCount", "LogConfig.Type", "PidMode", "UTSMode",
               "UsernsMode", "CgroupMode", "Cgroups", "Runtime", "MemorySwappiness",
               "PublishAllPorts", "VolumeDriver", "ContainerIDFile", "Isolation", "DiskQuota",
               "CpuCount", "CpuPercent", "KernelMemory", "IOMaximumIOps", "CapAdd",
               # CapDrop: scenarios_flags.py CAPS (the default set differs on purpose)
               "Dns", "GroupAdd", "SecurityOpt", "Devices", "Tmpfs", "Binds")
CONFIG_FIELDS = ("User", "Env", "Cmd", "Image", "WorkingDir", "Labels", "StopSignal",
                 "StopTimeout", "Umask", "Timeout", "OpenStdin", "Tty",
                 "StdinOnce", "AttachStdin", "Passwd")
TOP_FIELDS = ("ImageName", "Rootfs", "Pod", "MountLabel", "ProcessLabel", "AppArmorProfile",
              "Namespace", "IsInfra", "IsService", "RestartCount", "Dependencies", "ExecIDs",
              "Path", "Name", "OCIRuntime")
STATE_FIELDS = ("Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "ExitCode",
                "Error", "StartedAt", "FinishedAt",
                "CheckpointedAt", "RestoredAt")
INSPECT_VALUES = [
    *[Case(f"inspect --format {{{{.HostConfig.{f}}}}} {{u}}", "rc out", setup=(RESOURCES,))
      for f in HOST_FIELDS],
    *[Case(f"inspect --format {{{{.Config.{f}}}}} {{u}}", "rc out", setup=(RESOURCES,))
      for f in CONFIG_FIELDS if f != "Env"],
    *[Case(f"inspect --format {{{{.{f}}}}} fresh", "rc out") for f in TOP_FIELDS],
    *[Case(f"inspect --format {{{{.State.{f}}}}} {c}", "rc out")
      for f in STATE_FIELDS for c in ("done", "fresh")],
    Case("inspect --format {{.State.Status}}/{{.State.Running}} web", "rc out"),
    Case("inspect --format {{.HostConfig.Memory}} {u}", diff="update-inspect",
         want=(0, "=134217728\n"),
         setup=("run -d --name {u} busybox sleep 100", "update --memory 128m {u}")),
    Case("inspect --format '{{json .Config.Entrypoint}}' {u}", setup=(RESOURCES.replace(
         "busybox true", "--entrypoint sh busybox -c true"),), diff="inspect-entrypoint",
         want=(0, '["sh"]')),
    Case("inspect -l --format {{.Name}}", "rc out", setup=("create --name {u} busybox true",)),
    Case("inspect -l web", "rc err"),
    Case("inspect", "rc err"),
    Case("inspect --type bogus web", "rc"),
]

PS_MORE = [
    *[Case(f"ps -a --filter name=^done$ --format {{{{.{f}}}}}", "rc out")
      for f in ("Size", "Pod", "PodName", "IsInfra", "CreatedHuman", "AutoRemove", "ImageID",
                "Exited")],
    # each engine's "done" exited at its own second: the value is compared by its shape
    Case("ps -a --filter name=^done$ --format {{.ExitedAt}}", "rc"),
    Case("ps -a --filter name=^fresh$ --format {{.StartedAt}}"),
    Case("inspect --format {{.Config.CreateCommand}} {u}",
         setup=("create --name {u} --creds u:s3cret busybox true",),
         diff="create-command-creds", want=(0, "--creds *****")),
    Case("ps -a --filter name=^fresh$ --format {{.ExitedAt}}"),
    Case("ps -a --filter name=^done$ --size --format {{.Names}}"),
    Case("ps -a --filter name=^web$ --ns --format {{.Names}}:{{.Pid}}", "rc"),
    Case("ps --filter name=^web$ --ns", "rc"),
    Case("ps -a --filter name=^fresh$ --size", "rc labels"),
    *[Case(f"ps -a --format {{{{.Names}}}} --sort {k}")
      for k in ("names",)],
    Case("ps -a --filter until=1h --format {{.Names}}"),
    Case("ps -a --filter until=2000-01-01T00:00:00Z --format {{.Names}}"),
    Case("ps -a --filter until=bogus --format {{.Names}}", "rc"),
    Case("ps -a --filter volume=/tmp --format {{.Names}}", setup=(
         "create --name {u} -v /tmp:/mnt busybox true",)),
    Case("ps -a --filter volume=/nosuch --format {{.Names}}"),
    Case("ps -a --filter network=none --format {{.Names}}"),
    Case("ps -a --filter pod=nosuch --format {{.Names}}"),
    Case("ps -a --filter restart-policy=always --format {{.Names}}"),
    Case("ps -a --filter label!=app=web --format {{.Names}}", "rc"),
    Case("ps -a --filter id=zzz --format {{.Names}}"),
    Case("ps -a --filter name=^fresh$ --filter status=created --format {{.Names}}"),
    Case("ps -a --filter name=^fresh$ --filter status=exited --format {{.Names}}"),
    Case("ps -a --filter status=removing --format {{.Names}}"),
    Case("ps -a --filter status=stopping --format {{.Names}}", "rc"),
    Case("ps -a --filter status=configured --format {{.Names}}", "rc"),
    Case("ps -a --filter status=stopped --format {{.Names}}", "rc"),
    Case("ps -a --filter exited=3 --filter exited=0 --format {{.Names}}"),
    Case("ps -a --filter health=bogus --format {{.Names}}", "rc", diff="filter-checked",
         want=(125, "invalid health filter 'bogus'")),
    Case("ps -a --filter name=^{u}$ --filter health=healthy --format {{.Names}}",
         setup=("create --name {u} --health-cmd true busybox true",)),
    Case("ps -q --filter name=^zzz$"),
    Case("ps -a --filter name=^done$ --format {{.Command}} --no-trunc"),
    Case("ps -a --filter name=^done$ --format '{{.Names}} {{.ExitCode}}'"),
    Case("ps -a --filter name=^done$ --format 'table {{.Names}}\t{{.ExitCode}}'"),
    Case("ps -a --filter name=^done$ --format {{.Names", "rc"),
    Case("ps -a --filter name=^done$ --format '{{upper .Names}}'"),
    Case("ps -a --filter name=^done$ --format '{{json .Names}}'"),
]

IMAGE_FIELDS = ("Repository", "Tag", "Digest", "CreatedSince", "CreatedAt", "Size",
                "SharedSize", "ReadOnly", "Labels", "Names", "Dangling", "Created",
                "IsReadOnly", "ParentId", "RepoTags", "RepoDigests", "ID", "Id")
IMAGES_MORE = [
    *[Case(f"images busybox --format {{{{.{f}}}}}", "rc out") for f in IMAGE_FIELDS],
    *[Case(f"images --format {{{{.Repository}}}}:{{{{.Tag}}}} --sort {k}")
      for k in ("repository", "tag")],
    Case("images --digests busybox", "rc labels"),
    Case("images --noheading busybox --format {{.Tag}}"),
    Case("images -n busybox --format {{.Tag}}"),
    Case("images --no-trunc -q busybox", "rc"),
    Case("images -a --format {{.Repository}} busybox"),
    Case("images busybox extra", "rc"),
    Case("image ls busybox --format {{.Tag}}"),
    Case("image list busybox --format {{.Tag}}"),
]

LIFECYCLE = [
    Case("stop {u}", setup=("create --name {u} busybox true",)),
    Case("stop --ignore nosuch"),
    Case("stop --time 0 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("stop -t 0 {u} nosuch", "rc", setup=("run -d --name {u} busybox sleep 100",)),
    Case("kill {u}", "rc", setup=("create --name {u} busybox true",)),
    Case("kill -s KILL {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("kill --signal 9 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("kill -s SIGKILL {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("kill nosuch", "rc tail"),
    Case("rm {u}", "rc", setup=("run -d --name {u} busybox sleep 100",)),
    Case("rm -f {u}", "rc out", setup=("run -d --name {u} busybox sleep 100",)),
    Case("rm --force --time 0 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("rm nosuch", "rc tail"),
    Case("wait {u}", setup=("run -d --name {u} busybox sh -c 'exit 5'",)),
    # a container of its own: podman 4.3 forgets exit codes after 5 minutes ("done" is older)
    Case("wait --condition stopped {u}", setup=("create --name {u} busybox sh -c 'exit 3'",
                                                "start {u}")),
    Case("wait --condition bogus done", "rc"),
    # states other than the exit: polled, -1 printed when reached (Podman 4.3)
    Case("wait --condition running -i 50ms {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("wait --condition created --condition running {u}",
         setup=("create --name {u} busybox true",)),
    Case("wait --condition paused {u}", setup=("run -d --name {u} busybox sleep 100",
                                               "pause {u}")),
    Case("wait --condition healthy {u}", "rc err", setup=("create --name {u} busybox true",)),
    Case("wait --condition running nosuch", "rc err"),
    Case("wait -i nosuch", "rc"),
    Case("pause {u}", setup=("create --name {u} busybox true",)),
    Case("pause {u}", setup=("run -d --name {u} busybox sleep 100", "pause {u}")),
    Case("unpause {u}", setup=("run -d --name {u} busybox sleep 100", "pause {u}")),
    Case("unpause {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("restart -t 0 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("restart --time 0 {u}", setup=("create --name {u} busybox sleep 100",)),
    Case("restart nosuch", "rc tail"),
    Case("rename {u} web", "rc", setup=("create --name {u} busybox true",)),
    Case("rename nosuch {u}", "rc tail"),
    Case("rename {u} 'bad name!'", "rc", setup=("create --name {u} busybox true",)),
    Case("rename {u}", "rc", setup=("create --name {u} busybox true",)),
    Case("start -a {u}", setup=("create --name {u} busybox echo attached",)),
    Case("start --attach {u}", setup=("create --name {u} busybox sh -c 'exit 6'",)),
    Case("start nosuch {u}", "rc", setup=("create --name {u} busybox true",)),
    Case("run --rm --name {u} busybox sh -c 'echo $0' hello"),
    Case("run --rm -e X=1 busybox sh -c 'echo $X'"),
    Case("run --rm -w /tmp busybox pwd"),
    Case("run --rm -u 1000 busybox id -u"),
    Case("run --rm --entrypoint echo busybox hi"),
    Case("run --rm --hostname h1 busybox hostname"),
    Case("run --rm --hostname a_b busybox hostname"),  # Podman takes any name (pods' too)
    Case("run --rm --label a=b busybox true"),
    Case("run --rm --read-only busybox touch /x", "rc"),
    Case("run --rm --tmpfs /x busybox touch /x/y"),
    Case("run --rm busybox sh -c 'exit 125'"),
    Case("run --rm busybox sh -c 'kill -9 $$'"),
    Case("run --bogus busybox true", "rc"),
    Case("run", "rc"),
    Case("create", "rc"),
    Case("exec nosuch true", "rc tail"),
    Case("exec -u 1000 web id -u"),
    Case("exec -i web cat", "rc out"),
]

OTHER_VERBS = [
    Case("tag busybox", "rc"),
    Case("tag", "rc"),
    Case("rmi", "rc"),
    Case("save -o /dev/null nosuch", "rc"),
    Case("save --format bogus -o /dev/null busybox", "rc"),
    Case("load -i /nonexistent.tar", "rc"),
    Case("history busybox --format {{.CreatedBy}}", "rc"),
    Case("history -q busybox", "rc"),
    Case("history --format json busybox", "rc"),
    Case("generate systemd --restart-policy=bogus web", "rc"),
    Case("generate systemd --restart-policy=always web", "rc"),
    Case("generate systemd --restart-sec 5 web", "rc"),
    Case("generate systemd --stop-timeout 5 web", "rc"),
    Case("generate systemd --container-prefix x --separator _ web", "rc"),
    Case("generate systemd --new --name web", "rc"),
    Case("generate systemd nosuch", "rc"),
    Case("generate systemd", "rc"),
    Case("update --memory 128m {u}", "rc", setup=("run -d --name {u} busybox sleep 100",)),
    Case("update --cpus 1 {u}", "rc", setup=("run -d --name {u} busybox sleep 100",)),
    Case("update --cpu-shares 100 {u}", "rc", setup=("run -d --name {u} busybox sleep 100",)),
    Case("update --bogus 1 web", "rc"),
    Case("update --memory bogus web", "rc"),
    Case("top web", "rc"),
    Case("top web pid comm", "rc"),
    Case("top web user pid args", "rc"),
    Case("top done", "rc"),
    Case("top fresh", "rc"),
    # psgo's columns: pids in the container's namespace, args with their trailing space
    Case("top {u} pid ppid args user", "rc out",
         setup=("run -d --name {u} busybox sleep 100",)),
    Case("top {u} pid,tty,pgid,nice,comm", "rc out",
         setup=("run -d --name {u} busybox sleep 100",)),
    Case("stats --no-stream --format {{.Name}} web"),
    Case("stats --no-stream --format {{.ID}} web"),
    Case("stats --no-stream --no-trunc --format {{.ID}} web"),
    Case("stats --no-stream done", "rc"),
    Case("stats --no-stream fresh", "rc"),
    Case("healthcheck run web", "rc"),
    Case("healthcheck run done", "rc"),
    Case("healthcheck run {u}", setup=("run -d --name {u} --health-cmd true busybox sleep 100",)),
    Case("healthcheck run {u}", "rc",
         setup=("run -d --name {u} --health-cmd false busybox sleep 100",)),
    Case("port done"),
    Case("port nosuch", "rc tail"),
    Case("logs fresh"),
    Case("logs -f done"),
    Case("logs --follow --tail 1 done"),
    Case("logs --since 10m done"),
    Case("logs --timestamps --tail 1 done", "rc"),
    Case("logs -t done", "rc"),
    Case("logs", "rc"),
    Case("info --format {{.Host.Kernel}}"),
    # Podman's own tests (220-healthcheck.bats, 300-cli-parsing.bats) read these
    Case("create --health-on-failure=kill busybox", "rc err"),
    Case("run --name", "rc"),
    Case("inspect --format {{.State.Healthcheck.Status}}/{{.State.Health.Status}} {u}",
         setup=("run -d --name {u} --health-cmd true busybox sleep 100", "healthcheck run {u}")),
    # Podman's own tests (005-info.bats) read these
    Case("info --format {{.Host.Linkmode}}/{{.Store.ImageCopyTmpDir}}"),
    Case("info --format {{.Host.Security.SECCOMPEnabled}}/{{.Host.Security.SELinuxEnabled}}"),
    Case("info --format {{.Host.Slirp4NetNS.Executable}}/{{.Host.Slirp4NetNS.Package}}"),
    Case("--storage-opt= info --format {{.Store.GraphOptions}}"),
    Case("info --format {{.Host.CgroupControllers}}"),
    Case("info --format {{.Host.Hostname}}"),
    Case("info --format {{.Host.CgroupsVersion}}"),
    Case("info --format {{.Host.Distribution.Distribution}}"),
    Case("info --format {{.Host.Distribution.Version}}"),
    Case("info --format {{.Host.MemTotal}}"),
    Case("info --format {{.Host.CPUs}}"),
    Case("info --format {{.Store.ContainerStore.Paused}}"),
    Case("info --format {{.Store.ContainerStore.Stopped}}"),
    Case("version --format {{.Client.GoVersion}}", "rc"),
    Case("system df", "rc"),
    *[Case(f"{verb} --help", "rc") for verb in (
        "ps", "images", "inspect", "run", "create", "rm", "stop", "kill", "logs", "wait",
        "pause", "restart", "rename", "tag", "rmi", "info", "version", "top", "stats", "update",
        "generate systemd", "healthcheck run", "exec", "port", "save", "load", "history")],
]

FIDELITY: list[Case] = [*INSPECT_KEYS, *INSPECT_VALUES, *PS_MORE, *IMAGES_MORE, *LIFECYCLE,
                        *OTHER_VERBS]
