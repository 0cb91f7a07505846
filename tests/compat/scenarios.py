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
        return self.argv


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
    Case("rm nosuch web", "rc"),
    Case("rm -i nosuch", "rc out err"),
    Case("rm -f nosuch", "rc out err"),
    Case("rm --force --ignore -t 0 nosuch"),
    Case("rm -f -t 0 {u}", setup=("run -d --name {u} busybox sleep 100",)),
    Case("rm -v {u}", setup=("create --name {u} busybox true",)),
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
    Case("run --rm busybox nosuchcmd", "rc"),
    Case("run --rm busybox /etc/passwd", "rc"),
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
    Case("info --format {{.Host.NetworkBackend}}", diff="network-backend", want=(0, "none")),
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
    Case("--log-level bogus ps", "rc"),
    Case("--events-backend file ps -a --filter name=^web$ --format {{.Names}}"),
    Case("--noout ps -a --filter name=^web$ --format {{.Names}}", diff="noout", want=(0, "=")),
    Case("--storage-driver vfs images -q nosuch", "rc", diff="storage-driver",
         want=(125, "this store uses overlay")),
    Case("--storage-driver overlay images -q nosuch", "rc", diff="storage-driver",
         want=(0, "=")),
    Case("--url unix:///nosuch.sock ps", "rc"),
    Case("--remote ps", "rc"),
    Case("--connection foo ps", "rc"),
    Case("--syslog ps -a --filter name=^web$ --format {{.Names}}", diff="syslog", want=(0, "web")),
    Case("--cgroup-manager bogus ps", "rc"),
    Case("--help", "rc"),
    Case("--version", "rc"),
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
    Case("image rm localhost/{u}:v1", setup=("tag busybox localhost/{u}:v1",)),
    Case("tag busybox localhost/{u}:V1"),
]

# Podman's global flags scopebox refuses, each with the reason (no remote API, no hooks...).
REFUSED_GLOBALS = ("--conmon /usr/bin/conmon", "--hooks-dir /nonexistent", "--namespace ns1",
                   "--network-config-dir /tmp", "--runtime-flag debug", "--storage-opt x=y",
                   "--volumepath /tmp", "--network-cmd-path /bin/true")
REFUSED = [Case(f"{flag} ps -q --filter name=^web$", "rc", diff="refused-global",
                want=(125, f"Error: {flag.split()[0]}: ")) for flag in REFUSED_GLOBALS]

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

# Last, as it removes the shared containers: the usual clean-up line of Podman's scripts.
FINAL = [Case("rm --time 0 --force --all --ignore nosuch", "rc")]

ALL: list[Case] = [*NO_SUCH, *EXIT_CODES, *PS, *IMAGES, *INSPECT, *INFO, *GLOBALS, *LOGS,
                   *GENERATE, *MUTATING, *REFUSED, *MORE, *FINAL]
