"""The scenarios, as data: a call compared between podman and scopebox, optional setup calls.

`{u}` is a name unique to the scenario (removed afterwards); web, done, fresh and the images
busybox and localhost/extra:v1 are shared (tests/compat/conftest.py) and must not be changed.
`diff` names an intended difference in docs/DIFFERENCES.md: then scopebox's result is asserted
to be `want` (exit code, a text its stdout or stderr holds; `=TEXT`: stdout is exactly TEXT)
instead of podman's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    argv: str
    compare: str = "rc out err"  # the result's fields to compare (tail: err's last part)
    setup: tuple[str, ...] = ()
    json: tuple[str, ...] = ()  # compare keys and types at these paths instead of stdout
    diff: str | None = None
    want: tuple[int, str] | None = None

    @property
    def id(self) -> str:
        return self.argv + (f" after {self.setup[-1]}" if self.setup else "")


CONTAINER_VERBS = (
    "start", "stop", "kill", "logs", "wait", "pause", "unpause", "restart", "top", "port",
    "rm", "export -o /dev/null", "healthcheck run", "stats --no-stream",
    "update --memory 64m",
    "container inspect", "exec nosuch true", "port", "generate systemd", "rename nosuch",
)
# Podman's wording varies with the verb before its last part: scripts match on the last part.
NO_SUCH = [Case(f"{verb} nosuch".replace("nosuch true nosuch", "nosuch true"), "rc tail")
           for verb in CONTAINER_VERBS]

EXIT_CODES = [
    Case("rm web", "rc"),
    Case("rm {u}", "rc tail", setup=("run -d --name {u} busybox sleep 100",)),  # bats 055-rm
    Case("rm nosuch web", "rc"),
    Case("rm -i nosuch", "rc out err"),
    Case("rm -f nosuch", "rc out err"),
    Case("rm --force --ignore -t 0 nosuch"),
    Case("rm -f -t 0 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("rm -v {u}", setup=("create --name {u} busybox true",)),
    # a restart policy without systemd: wait answers at the last run's exit (bats 500, 700)
    Case("inspect --format '{{.HostConfig.RestartPolicy}} {{.RestartCount}} {{.State.ExitCode}}"
         " {{.State.Status}}' {u}", setup=("run -d --name {u} --restart on-failure:2 busybox"
                                         " sh -c 'exit 3'", "wait {u}")),
    Case("rm --volumes --depend {u}", setup=("create --name {u} busybox true",)),
    Case("start nosuch", "rc err"),
    Case("stop -i nosuch"),
    Case("inspect nosuch", "rc out"),
    Case("inspect --type container nosuch", "rc out"),
    Case("container exists web"),
    Case("container exists done"),
    Case("container exists nosuch"),
    Case("image exists busybox"),
    Case("image exists localhost/extra:v1"),
    Case("image exists nosuch"),
    Case("rmi nosuch", "rc"),
    Case("rmi --ignore nosuch"),
    Case("rmi -i nosuch"),
    Case("image rm nosuch", "rc"),
    Case("rmi localhost/{u}:v1", "rc",
         setup=("tag busybox localhost/{u}:v1", "create --name {u} localhost/{u}:v1 true")),
    Case("tag nosuch foo", "rc"),
    Case("image inspect nosuch", "rc"),
    Case("history nosuch", "rc"),
    Case("tag busybox Foo:v1", "rc"),
    Case("tag busybox localhost/{u}:UPPER_Case", "rc out err"),
    Case("wait done"),
    Case("start done", "rc"),
    Case("kill done", "rc"),
    Case("run --rm busybox sh -c 'exit 7'"),
    Case("run --rm busybox nosuchcmd", "rc tail"),
    Case("run --rm busybox /etc/passwd", "rc tail"),
    Case("run --rm busybox /etc", "rc tail"),
    Case("run --rm busybox sh -c 'echo $container'", diff="container-env",
         want=(0, "=scopebox\n")),
    Case("run --rm busybox sh -c 'echo $TERM'"),
    Case("inspect --format '{{json .HostConfig.LogConfig.Config}}' fresh",
         diff="log-rotation-default", want=(0, '={"max_size":"10485760","max_file":"5"}\n')),
    # sorted: podman's order is a Go map's, random (TERM before PATH in 2 of 10 runs here)
    Case("run --rm busybox sh -c 'env -u container | sort'"),
    # start failures that are not the command's: run's 126, start's 125
    Case("run --rm --mount type=bind,src=/etc/passwd,dst=/bin busybox true", "rc"),
    Case("run --rm -w /etc/passwd busybox true", "rc"),
    Case("start {u}", "rc err", setup=("create --name {u} busybox nosuchcmd",)),
    Case("start -a {u}", "rc err", setup=("create --name {u} busybox nosuchcmd",)),
    Case("run --rm nosuchimage:latest true", "rc", setup=()),
    Case("nosuchverb", "rc"),
    Case("ps --nosuchflag", "rc"),
]

PS_FIELDS = ("Names", "Image", "Command", "ID", "Labels", "Status", "CreatedAt",
             "RunningFor", "Ports", "Pid", "ExitCode", "Exited", "Mounts")
PS = [
    *[Case(f"ps -a --filter name=^done$ --format {{{{.{f}}}}}", "rc out") for f in PS_FIELDS],
    Case("ps -a --filter name=^web$ --format {{.State}}", diff="ps-state", want=(0, "running")),
    Case("ps --format {{.Names}}"),
    Case("ps -a --format {{.Names}} --sort names"),
    Case("ps -a --format {{.Names}} --sort created"),
    Case("ps -a --external --format {{.Names}} --sort names"),
    Case("ps -a --filter name=^web$ --format {{.Names}}"),
    Case("ps -a --filter name=we --format {{.Names}}"),
    Case("ps -a --filter name=^d.n --format {{.Names}}"),
    Case("ps -a --filter status=exited --format {{.Names}}"),
    Case("ps -a --filter status=created --format {{.Names}}"),
    Case("ps -a --filter status=running --format {{.Names}}"),
    Case("ps -a --filter status=bogus --format {{.Names}}", "rc"),
    Case("ps -a --filter exited=3 --format {{.Names}}"),
    Case("ps -a --filter exited=0 --format {{.Names}}"),
    Case("ps -a --filter label=app --format {{.Names}} --sort names"),
    Case("ps -a --filter label=app=web --format {{.Names}}"),
    Case("ps -a --filter label=tier=front --filter label=app=batch --format {{.Names}}"
         " --sort names"),
    Case("ps -a --filter ancestor=localhost/busybox --format {{.Names}} --sort names"),
    Case("ps -a --filter ancestor=localhost/busybox:latest --format {{.Names}} --sort names"),
    Case("ps -a --filter ancestor=busybox --format {{.Names}} --sort names",
         diff="ancestor-short-name", want=(0, "=done\nfresh\nweb\n")),
    Case("ps -a --filter ancestor=nosuch --format {{.Names}}"),
    Case("ps -a --filter since=done --format {{.Names}}"),
    Case("ps -a --filter before=fresh --format {{.Names}} --sort names"),
    Case("ps -a --filter health=healthy --format {{.Names}}"),
    Case("ps -a --filter bogus=1", "rc"),
    Case("ps -a --filter name=web --filter status=running --format {{.Names}}"),
    Case("ps -a --filter name=^web$ -q", "rc"),
    Case("ps -a --filter name=^web$ --size --format {{.Names}}"),
    Case("ps -a --filter name=^web$ --ns --format {{.Names}}"),
    Case("ps -a --filter name=^web$ --pod --format {{.Names}}"),
    Case("ps -a --filter name=^web$ --noheading --format {{.Names}}"),
    Case("ps -a --filter name=^done$ --format json", json=("0.Names", "0.Id", "0.Image", "0.State",
         "0.ExitCode", "0.Labels", "0.Command", "0.Created", "0.Exited", "0.Pid")),
    Case("ps -a --filter name=^zzz$"),
    Case("ps -a --filter name=^zzz$ --format json"),
    Case("ps -a --last 1 --format {{.Names}}"),
    Case("ps -a -n --format {{.Names}}", "rc"),
    Case("ps -l --format {{.Names}}"),
]

IMAGES = [
    Case("images busybox --format {{.Repository}}:{{.Tag}}"),
    Case("images localhost/extra --format {{.Repository}}:{{.Tag}}"),
    Case("images nosuch --format {{.Repository}}"),
    Case("images --format {{.Repository}}:{{.Tag}} --sort repository"),
    Case("images -q busybox", "rc"),
    Case("images --filter reference=busybox --format {{.Repository}}"),
    Case("images busybox --format json", json=("0.Id", "0.Names", "0.Size", "0.Created")),
    Case("image exists busybox"),
    Case("image inspect busybox --format {{.Os}}/{{.Architecture}}"),
    Case("rmi -a -f --ignore", "rc", setup=()),  # replaced below: must not drop shared images
]
IMAGES.pop()  # (kept out: rmi -a would remove the shared images; see MUTATING)

INSPECT_FIELDS = ("State.Status", "State.ExitCode", "State.Running", "Name", "Config.Labels.app",
                  "Config.Cmd", "ImageName", "State.Paused", "RestartCount", "Config.StopSignal")
INSPECT = [
    *[Case(f"inspect --format {{{{.{f}}}}} done", "rc out") for f in INSPECT_FIELDS],
    Case("inspect done", json=("0.Id", "0.Name", "0.State.Status", "0.State.ExitCode",
                               "0.Config.Labels", "0.Image", "0.Created", "0.Args")),
    Case("container inspect -f {{.State.Status}} web fresh"),
]

INFO_KEYS = ("Host.OCIRuntime.Name", "Host.NetworkBackend", "Host.CgroupManager",
             "Host.CgroupsVersion", "Host.Arch", "Host.Os", "Host.Kernel", "Host.Hostname",
             "Host.LogDriver", "Host.EventLogger", "Host.Distribution.Distribution",
             "Store.GraphRoot", "Store.RunRoot", "Store.GraphDriverName",
             "Store.ContainerStore.Number", "Store.ImageStore.Number", "Version.Version",
             "Version.APIVersion", "Version.GoVersion", "Version.OsArch")
INFO = [
    Case("info --format json", json=INFO_KEYS),
    Case("info --format {{.Host.OCIRuntime.Name}}"),
    Case("info --format {{.Host.CgroupManager}}"),
    Case("info --format {{.Host.OS}}/{{.Host.Arch}}"),
    Case("info --format {{.Store.ContainerStore.Number}}"),
    Case("info --format {{.Store.ImageStore.Number}}"),
    Case("info --format {{.Host.NetworkBackend}}", diff="network-backend",
         want=(0, "scopebox")),
    Case("info --format {{.Version.Version}}", diff="version-number", want=(0, "0.")),
    Case("system info --format {{.Host.OCIRuntime.Name}}"),
    Case("version --format json", json=("Client.Version", "Client.APIVersion", "Client.OsArch",
                                        "Client.Os", "Client.Built")),
    Case("version --format {{.Client.Os}}"),
    Case("version", "rc"),
    Case("version --format {{.Server.Version}}", diff="version-number", want=(0, "0.")),
    Case("version --format {{.Client.Version}}", diff="version-number", want=(0, "0.")),
    Case("--version", "rc"),
    Case("-v", "rc"),
    Case("version --format {{.Client.OsArch}}"),
]

GLOBALS = [
    Case("--log-level error ps -a --filter name=^web$ --format {{.Names}}"),
    Case("--log-level=warn ps -a --filter name=^web$ --format {{.Names}}"),
    Case("--log-level bogus ps", "rc err"),  # Podman's own tests read its words too
    Case("--events-backend file ps -a --filter name=^web$ --format {{.Names}}"),
    Case("--noout ps -a --filter name=^web$ --format {{.Names}}", diff="noout", want=(0, "=")),
    Case("--storage-driver vfs images -q nosuch", "rc"),
    Case("--storage-driver bogus images -q nosuch", "rc"),
    Case("--url unix:///nosuch.sock ps", "rc"),
    Case("--remote ps", "rc"),
    Case("--connection foo ps", "rc"),
    Case("--syslog ps -a --filter name=^web$ --format {{.Names}}", diff="syslog", want=(0, "web")),
    Case("--cgroup-manager bogus ps", "rc"),
    Case("--help", "rc"),
    Case("--version", "rc"),
    # Podman's own tests (001-basic.bats) read these words and codes
    Case("--debug --log-level=panic ps", "rc err"),
    Case("", "rc"),
    Case("--remote", "rc"),
    Case("--config /nonexistent ps -q --filter name=^web$", "rc out"),
    Case("--log-level=warn ps -q --filter name=^web$", "rc out err"),
]

LOGS = [
    Case("logs done"),
    Case("logs --since 2000-01-01T00:00:00+00:00 done"),
    Case("logs --since 2000-01-01T00:00:00Z done"),
    Case("logs --until 2000-01-01T00:00:00+00:00 done"),
    Case("logs --since 1h done"),
    Case("logs --tail 1 done"),
    Case("logs --since bogus done", "rc"),
]

GENERATE = [
    Case("generate systemd --new=false web", "rc"),
    Case("generate systemd --new=true web", "rc"),
    Case("generate systemd --new=bogus web", "rc"),
    Case("generate systemd --no-header=true web", "rc"),
]

MUTATING = [
    Case("rm {u}", setup=("create --name {u} busybox true",)),
    Case("start {u}", "rc", setup=("create --name {u} busybox true",)),
    Case("stop -t 0 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("kill {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("kill -s TERM {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("pause {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("rename {u} {u}-b", "rc out err", setup=("create --name {u} busybox true",)),
    Case("run --name {u} busybox echo hello"),
    Case("run --rm -i busybox cat", "rc out"),
    Case("run --name {u} busybox true", "rc", setup=("create --name {u} busybox true",)),
    Case("rm -f -t 0 {u} nosuch", setup=("create --name {u} busybox true",), diff="rm-partial",
         want=(0, "={u}\n")),
    Case("create --name {u} busybox true", "rc", setup=("create --name {u} busybox true",)),
    Case("rmi localhost/{u}:v1", setup=("tag busybox localhost/{u}:v1",)),
    Case("rmi -f localhost/{u}:v1", setup=("tag busybox localhost/{u}:v1",)),
    Case("rmi -f nosuch"),  # Podman's own tests (010-images.bats): --force ignores a miss
    Case("image rm --force nosuch"),
    Case("image inspect --format {{.ID}} busybox", "rc"),
    Case("inspect --format {{.XYZ}} --format {{.ID}} busybox", "rc"),
    Case("image rm localhost/{u}:v1", setup=("tag busybox localhost/{u}:v1",)),
    Case("tag busybox localhost/{u}:V1"),
]

# Podman's global flags scopebox refuses, each with the reason (no remote API, no hooks...).
REFUSED_GLOBALS = ("--conmon /usr/bin/conmon", "--hooks-dir /nonexistent", "--namespace ns1",
                   "--network-config-dir /tmp", "--storage-opt x=y",
                   "--network-cmd-path /bin/true")
REFUSED = [Case(f"{flag} ps -q --filter name=^web$", "rc", diff="refused-global",
                want=(125, f"Error: {flag.split()[0]}: ")) for flag in REFUSED_GLOBALS]
# --runtime-flag: before the verb of the runtime's calls (bats 030-run: an unknown one is 126)
REFUSED += [Case("--runtime-flag invalidflag run --rm busybox true", "rc tail"),
            Case("--runtime-flag debug run --rm busybox echo ok")]

MORE = [
    Case("stop done"),
    Case("stop -t 0 nosuch", "rc tail"),
    Case("pause done", "rc"),
    Case("unpause web", "rc"),
    Case("kill -s BOGUS web", "rc"),
    Case("exec web echo hi"),
    Case("exec web sh -c 'exit 5'"),
    Case("exec web nosuchcmd", "rc"),
    Case("exec done true", "rc", diff="exec-stopped", want=(125, "")),
    # terminals: -t with no terminal (the harness's stdin is /dev/null, stdout a pipe)
    Case("exec -t web sh -c 'test -t 0 && test -t 1 && echo tty; exit 3'", "rc out"),
    Case("exec -i web tty"),
    Case("attach done", "rc err"),
    Case("attach fresh", "rc err"),
    Case("attach nosuch", "rc err"),
    Case("attach --detach-keys=bogus web", "rc tail"),
    Case("exec -e A=1 web sh -c 'echo $A'"),
    Case("exec -w /tmp web pwd"),
    Case("ps -a --filter id=^zzz --format {{.Names}}"),
    Case("ps -a --filter name=web --filter name=done --format {{.Names}} --sort names"),
    Case("ps -a --filter status=paused --format {{.Names}}"),
    Case("ps -a --filter label=nosuch --format {{.Names}}"),
    Case("ps -a --filter name=[ --format {{.Names}}", "rc"),
    Case("ps -a --filter exited=x --format {{.Names}}", "rc"),
    Case("ps -a --filter since=nosuch --format {{.Names}}", "rc"),
    Case("ps -a --filter name=^web$ --format {{.Names}} --sort bogus", "rc"),
    Case("ps -a --filter name=^web$ --format 'table {{.Names}}'"),
    Case("ps -a --filter name=^web$ --format {{.Names}} --no-trunc"),
    Case("images --format {{.Tag}} busybox"),
    Case("images --noheading --format {{.Repository}} busybox"),
    Case("images -q localhost/extra:v1", "rc"),
    Case("images --filter reference=localhost/extra --format {{.Repository}}:{{.Tag}}"),
    Case("images --filter bogus=1", "rc"),
    Case("images --sort bogus", "rc"),
    Case("image inspect --format {{.Config.Cmd}} busybox"),
    Case("inspect --type image --format {{.Os}} busybox"),
    Case("inspect --type container busybox", "rc"),
    Case("logs --timestamps done", "rc out"),
    Case("logs --tail 1 done"),
    Case("logs -n 1 done", diff="logs-n", want=(0, "err")),
    Case("logs --tail=0 done"),
    Case("logs --since 2999-01-01T00:00:00+00:00 done"),
    Case("logs --until 2999-01-01T00:00:00Z done"),
    Case("logs --until bogus done", "rc"),
    Case("tag busybox localhost/{u}:v1 localhost/{u}:V1"),
    Case("tag busybox localhost/{u}:bad:tag", "rc"),
    Case("wait nosuch done", "rc"),
    Case("rm -i nosuch web", "rc"),
    Case("container exists --bogus web", "rc"),
    Case("image exists", "rc"),
    Case("generate systemd --new=false --name web", "rc"),
    Case("generate systemd --name=true --no-header web", "rc"),
    Case("port web"),
    Case("port -a"),
]

# cp, diff, mount (supervisor/copy/): error paths and outputs
COPY = [
    Case("cp README.md nosuch:/x"),
    Case("cp nosuch:/x /tmp"),
    Case("cp README.md web:/nosuch/x"),
    Case("cp README.md web:/tmp/nodir/"),
    Case("cp web:/nosuch /tmp"),
    Case("cp packaging web:/etc/passwd"),
    Case("cp README.md README.md"),
    Case("cp README.md web:"),
    Case("cp web:/etc/passwd /nonexistent-cp/x"),
    Case("cp web:/etc /nonexistent-cp/"),
    Case("cp README.md fresh:/tmp/readme"),
    Case("cp README.md web:/tmp/{u}"),
    Case("cp -a=bogus README.md web:/tmp/{u}", "rc"),
    Case("cp web:/dev/null /tmp/{u}", "rc", diff="cp-device",
         want=(125, "is a device or socket")),
    Case("diff nosuch"),
    Case("diff --format bogus web", "rc"),
    Case("diff {u}", setup=("run --name {u} busybox sh -c 'echo x > /newf; rm /bin/ls'",),
         diff="diff-order", want=(0, "=C /bin\nD /bin/ls\nA /newf\n")),
    Case("diff --format json {u}", "rc", setup=("run --name {u} busybox rm /bin/ls",)),
    Case("mount nosuch"),
    Case("umount nosuch"),
    Case("umount", "rc"),
    Case("umount -a"),
    Case("mount {u}", "rc", setup=("create --name {u} busybox true",)),
    Case("umount {u}", setup=("create --name {u} busybox true",)),
    Case("commit nosuch"),
    Case("commit -f bogus done"),
    Case("commit -c 'FROM x' done", "rc"),
    # the `container` group's names for them
    Case("container cp README.md nosuch:/x"),
    Case("container cp README.md fresh:/tmp/readme"),
    Case("container diff nosuch"),
    Case("container mount nosuch"),
    Case("container umount nosuch"),
    Case("container unmount nosuch"),
    Case("container commit nosuch"),
    Case("container rm nosuch"),
    Case("container ls -a --filter name=^fresh$ --format {{.Names}}"),
    Case("container list -a --filter name=^fresh$ --format {{.Names}}"),
]

# security (supervisor/security): flags, errors and what the kernel shows. Podman here reads
# the tier's own containers.conf (no default_capabilities: its compiled-in 14), so the cases
# compare sets made explicit with --cap-drop all, and the default set is an intended difference.
_RUN = "run --rm"
_STATUS = "busybox grep -E"
SECURITY = [
    *[Case(f"{_RUN} {flags} busybox true", "rc err") for flags in (
        "--cap-add bogus", "--cap-drop bogus", "--cap-add CAP_bogus",
        "--cap-add chown --cap-drop chown", "--device /dev/nosuch",
        "--device /dev/null:/dev/x:rwz", "--device /dev/null:rel",
        "--device-cgroup-rule bogus", "--device-cgroup-rule 'x 1:3 rwm'",
        "--device-cgroup-rule 'b 7:* rmX'", "--device-cgroup-rule 'c 7: rw'",
        "--device-cgroup-rule 'c 7:x rw'",
        "--security-opt systempaths=foo",
    )],
    *[Case(f"{_RUN} {flags} busybox true", "rc") for flags in (
        "--security-opt foo", "--security-opt foo=bar", "--security-opt seccomp",
        "--security-opt no-new-privileges=maybe", "--security-opt seccomp=/nonexistent.json",
        "--security-opt apparmor=myprof",
    )],
    *[Case(f"{_RUN} {flags} busybox true") for flags in (
        "--cap-add ''", "--security-opt label=disable", "--security-opt apparmor=unconfined",
        "--security-opt unmask=ALL", "--security-opt systempaths=unconfined",
        "--security-opt proc-opts=hidepid=2", "--security-opt no-new-privileges=false",
        "--device-cgroup-rule 'c 1:3 rwm'", "--device-cgroup-rule 'c *:* m'",
        "--device-cgroup-rule 'a 7 rmw'", "--security-opt no-new-privileges:true",
        "--privileged", "--cap-add all",
    )],
    Case(f"{_RUN} --cap-drop all {_STATUS} 'Cap(Eff|Bnd|Amb)' /proc/self/status"),
    Case(f"{_RUN} --cap-drop all --cap-add net_raw,KILL {_STATUS} Cap /proc/self/status"),
    Case(f"{_RUN} --cap-drop ALL --cap-add all {_STATUS} CapBnd /proc/self/status"),
    Case(f"{_RUN} --privileged {_STATUS} 'CapEff|Seccomp:' /proc/self/status"),
    Case(f"{_RUN} {_STATUS} 'Seccomp:' /proc/self/status"),
    Case(f"{_RUN} --security-opt seccomp=unconfined {_STATUS} 'Seccomp:' /proc/self/status"),
    Case(f"{_RUN} --security-opt no-new-privileges {_STATUS} NoNewPrivs /proc/self/status"),
    Case(f"{_RUN} --security-opt mask=/proc/cpuinfo busybox wc -c /proc/cpuinfo"),
    Case(f"{_RUN} --device /dev/null:/dev/x busybox ls /dev/x"),
    Case(f"{_RUN} --device /dev/null:/dev/x:r busybox ls /dev/x"),
    Case(f"{_RUN} busybox grep CapEff /proc/self/status", diff="default-capabilities",
         want=(0, "00000000800405fb")),
    Case(f"{_RUN} busybox unshare -U true", "rc", diff="seccomp-namespaces", want=(1, "")),
    Case(f"{_RUN} --security-opt mask=relative busybox true", diff="security-opt-mask",
         want=(125, "is not an absolute path")),
    Case("inspect --format '{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}}"
         " {{.HostConfig.Privileged}} {{json .HostConfig.SecurityOpt}}' {u}",
         setup=("create --name {u} --cap-drop all --cap-add sys_admin,net_raw"
                " --security-opt no-new-privileges busybox true",)),
    Case("inspect --format '{{json .EffectiveCaps}} {{json .BoundingCaps}}' {u}",
         setup=("create --name {u} --cap-drop all --cap-add net_raw,sys_admin busybox true",)),
    Case("inspect --format '{{json .EffectiveCaps}}' {u}",
         setup=("create --name {u} --cap-drop all busybox true",)),
    Case("inspect --format '{{json .HostConfig.Devices}}' {u}",
         setup=("create --name {u} --device /dev/null:/dev/x --device /dev/zero busybox true",)),
    Case("inspect --format '{{json .HostConfig.SecurityOpt}}' {u}",
         setup=("create --name {u} --security-opt seccomp=unconfined --security-opt"
                " label=disable --security-opt mask=/proc/cpuinfo busybox true",)),
    Case("inspect --format '{{.HostConfig.Privileged}} {{json .HostConfig.CapAdd}}"
         " {{json .HostConfig.CapDrop}}' {u}",
         setup=("create --name {u} --privileged busybox true",)),
    Case("container inspect {u}", json=("0.EffectiveCaps", "0.BoundingCaps",
         "0.HostConfig.CapAdd", "0.HostConfig.CapDrop", "0.HostConfig.Privileged",
         "0.HostConfig.SecurityOpt", "0.HostConfig.Devices"),
         setup=("create --name {u} --cap-add sys_admin --device /dev/null busybox true",)),
]

# volumes (issue 14): the volume verbs, -v and --mount (the volume {u} is removed after each)
VOLUME_KEYS = tuple(f"0.{k}" for k in ("Name", "Driver", "Mountpoint", "CreatedAt", "Labels",
                                       "Scope", "Options", "MountCount", "NeedsCopyUp",
                                       "NeedsChown"))
MOUNT_KEYS = tuple(f"0.{k}" for k in ("Type", "Name", "Source", "Destination", "Driver", "Mode",
                                      "Options", "RW", "Propagation"))
NEW_VOLUME = ("volume create --label a=b {u}",)
VOLUMES = [
    Case("volume create {u}"),
    Case("volume create {u}", setup=("volume create {u}",)),
    Case("volume create 'a b'"),
    Case("volume create 'x;y'"),
    Case("volume create ../x"),
    Case("volume create --opt foo=bar {u}"),
    Case("volume create --driver nfs {u}", "rc"),
    Case("volume exists {u}", setup=NEW_VOLUME),
    Case("volume exists nosuch"),
    Case("volume inspect {u}", setup=NEW_VOLUME, json=VOLUME_KEYS),
    Case("volume inspect --format {{.Name}}/{{.Driver}}/{{.Scope}}/{{.Labels}} {u}",
         setup=NEW_VOLUME),
    Case("volume inspect nosuch"),
    Case("volume inspect", "rc"),
    Case("volume ls --filter name={u}", setup=NEW_VOLUME),
    Case("volume ls --filter name={u} --format json", setup=NEW_VOLUME,
         json=VOLUME_KEYS),
    Case("volume ls --filter name={u} --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}}"
         " {{.Options}} {{.MountCount}} {{.CreatedAt}}'", setup=NEW_VOLUME),
    Case("volume ls -q --filter label=a=b --filter name={u}", setup=NEW_VOLUME),
    Case("volume ls -q --filter label=a=c --filter name={u}", setup=NEW_VOLUME,
         diff="volume-filters-and", want=(0, "=")),
    Case("volume ls -q --filter dangling=true --filter name={u}", setup=NEW_VOLUME),
    Case("volume ls -q --filter driver=local --filter name={u}", setup=NEW_VOLUME),
    Case("volume ls --filter bogus=1", "rc"),
    Case("volume rm nosuch"),
    Case("volume rm {u}", setup=NEW_VOLUME),
    Case("volume rm {u}", setup=(*NEW_VOLUME, "create --name {u} -v {u}:/d busybox true")),
    Case("volume rm -f {u}", setup=(*NEW_VOLUME, "create --name {u} -v {u}:/d busybox true")),
    Case("volume prune -f --filter label=a={u}", setup=("volume create --label a={u} {u}",)),
    Case("run --rm -v {u}:/d busybox sh -c 'echo hi > /d/f; cat /d/f; ls /d'"),
    Case("run --rm -v {u}:/etc busybox ls /etc/passwd"),
    Case("run --rm -v {u}:/etc:nocopy busybox ls /etc/passwd", "rc"),
    Case("run --rm -v {u}:/d:ro busybox touch /d/x", "rc"),
    Case("run --rm --mount type=volume,src={u},dst=/d busybox sh -c 'echo m > /d/f; cat /d/f'"),
    Case("run --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m busybox sh -c 'df -k /t | tail -1'",
         "rc"),
    Case("create --name {u} -v 'x;y:/d' busybox true"),
    Case("create --name {u} -v 'a b:/d' busybox true"),
    Case("create --name {u} -v {u}:rel busybox true"),
    Case("create --name {u} -v {u}:/d:bogus busybox true"),
    Case("create --name {u} -v {u}:/d:ro,rw busybox true"),
    Case("create --name {u} --mount type=foo,dst=/m busybox true"),
    Case("create --name {u} --mount type=volume,dst=/m,bogus=1 busybox true"),
    Case("inspect --format '{{json .Mounts}}' {u}",
         setup=("create --name {u} -v {u}:/d:ro busybox true",), json=MOUNT_KEYS),
    Case("inspect --format '{{.HostConfig.Binds}}' {u}",
         setup=("create --name {u} -v {u}:/d:ro busybox true",)),
    Case("inspect --format '{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}} {{.Options}}"
         "{{end}}' {u}", setup=("create --name {u} -v {u}:/d:ro busybox true",)),
    Case("volume export nosuch", "rc"),
]

# Last, as it removes the shared containers: the usual clean-up line of Podman's scripts.
FINAL = [Case("rm --time 0 --force --all --ignore nosuch", "rc")]

# fidelity: inspect keys/values per container shape, ps/images fields and filters, lifecycle
from tests.compat.scenarios_fidelity import FIDELITY, KEY_SKIP  # noqa: E402

ALL: list[Case] = [*NO_SUCH, *EXIT_CODES, *PS, *IMAGES, *INSPECT, *INFO, *GLOBALS, *LOGS,
                   *GENERATE, *MUTATING, *REFUSED, *MORE, *COPY, *SECURITY, *VOLUMES, *FIDELITY,
                   *FINAL]

# pods (issue 15)
from tests.compat.scenarios_pods import PODS  # noqa: E402

# helper "runflags": run/create's process and namespace flags, before FINAL (which must be last)
from tests.compat.scenarios_runflags import RUNFLAGS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *RUNFLAGS, *PODS, *FINAL]

# terminals (helper "tty"): -t with no terminal around, before FINAL
from tests.compat.scenarios_terminal import TERMINAL  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *TERMINAL, *FINAL]
__all__ = ["ALL", "KEY_SKIP", "Case"]

# helper "flags": rmi in use, run/create's remaining flags, the verbs' flags (before FINAL)
from tests.compat.scenarios_flags import FLAGS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *FLAGS, *FINAL]

# events (issue 14), before FINAL
from tests.compat.scenarios_events import EVENTS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *EVENTS, *FINAL]

# blkio (issue 19): the per-device block I/O flags, before FINAL
from tests.compat.scenarios_blkio import BLKIO  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *BLKIO, *FINAL]

# issue 19 (helper s26-runflags): --umask, --unsetenv, --env-merge, --label-file, pid files, -q
from tests.compat.scenarios_runflags2 import RUNFLAGS2  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *RUNFLAGS2, *FINAL]

# misc (issue 19): --read-only-tmpfs, --http-proxy, --memory-swappiness, before FINAL
from tests.compat.scenarios_misc import MISC  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *MISC, *FINAL]

# helper "flags" (issue 19, second round): generate systemd, ps --watch, ... before FINAL
from tests.compat.scenarios_verbflags import VERBFLAGS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *VERBFLAGS, *FINAL]

# issues 17/19: the container's user namespace (--userns, --uidmap, ...), and secrets
# (supervisor/secrets): secret create/ls/inspect/rm, run --secret; before FINAL
from tests.compat.scenarios_secrets import SECRETS  # noqa: E402
from tests.compat.scenarios_userns import USERNS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *USERNS, *SECRETS, *FINAL]

# helper "flags" (issue 19, third round): the last flags of the implemented verbs, before FINAL
from tests.compat.scenarios_verbflags2 import VERBFLAGS2  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *VERBFLAGS2, *FINAL]

# the cleanup verbs: container prune, system prune, untag; before FINAL
from tests.compat.scenarios_cleanup import CLEANUP  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *CLEANUP, *FINAL]

# tables: the verbs' tables, compared exactly (tests/compat/scenarios_tables.py)
from tests.compat.scenarios_tables import TABLES  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *TABLES, *FINAL]

# build (supervisor/build)
from tests.compat.scenarios_build import BUILD  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *BUILD, *FINAL]

# verbs: Podman's verbs scopebox lacked (init, ...), before FINAL
from tests.compat.scenarios_verbs import VERBS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *VERBS, *FINAL]

# Podman's own system tests (bats, test/system) run against scopebox: what they caught
from tests.compat.scenarios_bats import BATS  # noqa: E402

ALL = [*ALL[: -len(FINAL)], *BATS, *FINAL]
