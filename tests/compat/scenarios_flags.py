"""Scenarios of helper "flags" (issue 19): rmi of images in use, the run/create flags
--preserve-fds/--passwd-entry/--hostuser, and the flags of the implemented verbs that were
unknown before (each accepted and honoured, or refused in one line naming the flag).

An image of its own per scenario: `commit` of a {u}-b container, so its id is not busybox's
(the harness removes {u}, {u}-b and the names localhost/{u}:v1 and :V1 afterwards).
"""

from __future__ import annotations

from tests.compat.scenarios import Case

OWN_IMAGE = ("create --name {u}-b busybox true", "commit -q {u}-b localhost/{u}:v1")
IN_USE = (*OWN_IMAGE, "create --name {u} localhost/{u}:v1 true")
TWO_NAMES = (*IN_USE, "tag localhost/{u}:v1 localhost/{u}:V1")
_EXITS_3 = ("create --name {u} busybox sh -c 'exit 3'", "start {u}")

RMI = [
    Case("rmi localhost/{u}:v1", setup=IN_USE),
    Case("image rm localhost/{u}:v1", setup=IN_USE),
    Case("rmi -f localhost/{u}:v1", setup=IN_USE),
    Case("ps -a --filter name=^{u}$ --format {{.Names}}",
         setup=(*IN_USE, "rmi -f localhost/{u}:v1")),
    Case("rmi localhost/{u}:V1", setup=TWO_NAMES),
    Case("rmi -f localhost/{u}:V1", setup=TWO_NAMES),
    Case("ps -a --filter name=^{u}$ --format {{.Names}}",
         setup=(*TWO_NAMES, "rmi -f localhost/{u}:V1")),
    Case("rmi localhost/{u}:v1", setup=OWN_IMAGE),
    # (never `rmi busybox` here: the shared image has two names, that would untag one)
    # every shared image left is in use: nothing of ours removed (the error list depends on
    # which other images each engine holds, e.g. podman's own pause image: rc only)
    Case("rmi -a", "rc"),
    Case("image exists busybox"),
    Case("rmi -a busybox"),
    Case("rmi"),
    Case("rmi nosuch nosuch2"),
    Case("rmi nosuch"),
    Case("rmi --no-prune localhost/{u}:v1", setup=OWN_IMAGE),
    Case("image prune -f", "rc", setup=IN_USE),
    Case("image prune -a -f", "rc", setup=IN_USE),
    Case("image exists localhost/{u}:v1", setup=(*IN_USE, "image prune -a -f")),
]

# Issue 19's two failures of the last full run.
CAPS = [
    # The default set: scopebox's 11 against Podman's compiled-in 14 (default-capabilities).
    Case("inspect --format {{.HostConfig.CapDrop}} {u}", setup=("create --name {u} -u 1000"
         " busybox true",), diff="default-capabilities",
         want=(0, "=[CAP_AUDIT_WRITE CAP_MKNOD CAP_NET_RAW]\n")),
    # The same set made explicit: the same answers, for a user other than root too.
    *[Case("inspect --format '{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{json"
           " .EffectiveCaps}} {{.BoundingCaps}}' {u}",
           setup=(f"create --name {{u}} {user} --cap-drop all --cap-add {caps} busybox true",))
      for user in ("-u 1000", "-u root", "-u 1000:1000")
      for caps in ("chown,kill", "net_raw,sys_admin")],
    Case("run --rm -u 1000 --cap-drop all --cap-add chown,kill busybox grep Cap"
         " /proc/self/status"),
    Case("run --rm --cap-drop all --cap-add chown,kill busybox grep Cap /proc/self/status"),
    # A created or exited container whose namespace is joined is started first (Podman's
    # dependencies: supervisor/depends.py); the join then works while it runs.
    *[Case(f"run --rm --{ns} container:{{u}} busybox true",
           setup=("create --name {u} busybox sleep 100",)) for ns in ("uts", "ipc", "pid")],
    Case("inspect --format {{.State.Status}} {u}",
         setup=("create --name {u} busybox sleep 100", "run --rm --uts container:{u} busybox"
                " true")),
    Case("run --rm --pid container:{u} busybox sh -c 'ps -o args | grep -x \"sleep 100\"'",
         setup=("create --name {u} busybox sleep 100",)),
]

# run/create --preserve-fds, --passwd, --passwd-entry, --hostuser (the harness passes no fds
# beyond 0-2: the passing cases are in tests/host/test_flags_host.py)
_SHOW = "busybox sh -c 'tail -1 /etc/passwd; tail -1 /etc/group; echo HOME=$HOME; id'"
_ENTRY = "'$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false'"
USERS = [
    Case("run --rm --preserve-fds 1 busybox true"),
    Case("run --rm --preserve-fds 0 busybox true"),
    Case("run --rm --preserve-fds -1 busybox true", "rc"),
    Case("run --rm --preserve-fds x busybox true", "rc"),
    Case("create --preserve-fds 1 busybox true", "rc"),
    Case("exec --preserve-fds 1 web true"),
    Case("exec --preserve-fds 0 web true"),
    *[Case(f"run --rm {flags} {_SHOW}") for flags in (
        "-u 1234", "-u 1234:55 -w /tmp", "-u 1234:nogroup", "-u 0", "-u nobody",
        "-u 65534:1234", "-u 1234 --passwd=false", "-u 1234 --passwd=true",
        f"-u 1234 -w /tmp --passwd-entry {_ENTRY}", f"--passwd-entry {_ENTRY}",
        "-u 1234 --read-only", "--hostuser daemon", "--hostuser 1 -w /tmp",
        "--hostuser root", "--hostuser daemon,bin", f"--hostuser daemon --passwd-entry {_ENTRY}",
        "--hostuser daemon -e HOME=/x", "--hostuser daemon -v /tmp:/usr/sbin",
        "--hostuser daemon --passwd=false",
    )],
    Case(f"run --rm --hostuser no-such-user {_SHOW}", "rc err"),
    Case("run --rm -u 1234 --read-only busybox grep -c /etc/passwd /proc/mounts"),
    Case("run --rm -u 1234 busybox grep -c /etc/passwd /proc/mounts", "rc out"),
    Case("logs {u}", setup=("create --name {u} -u 1234 busybox grep -c ^1234: /etc/passwd",
                            "start {u}", "wait {u}", "start {u}", "wait {u}")),
    Case("inspect --format '{{.Config.Passwd}}' {u}",
         setup=("run --name {u} --passwd=false busybox true",)),
    Case("inspect --format '{{.Config.Passwd}}' {u}", setup=("create --name {u} busybox true",)),
    Case("create --passwd=false busybox true", "rc"),
    *[Case(f"run --rm {flags} busybox grep Groups /proc/self/status") for flags in (
        "", "-u root", "-u 0:0", "--group-add 10", "-u nobody", "-u nobody --group-add 10",
        "-u 1234:55 --group-add 10,55",
    )],
]

# --all/--latest/--filter/--cidfile of the verbs that act on containers; never --all on a
# mutating verb here (the shared containers must stay as they are): --filter name=^{u}$ and
# --latest (the scenario's own container is the newest) select the scenario's own.
RUNNING = ("run -d --name {u} busybox sleep 100",)
CREATED = ("create --name {u} busybox true",)
OWN = "--filter name=^{u}$"
TARGETS = [
    *[Case(f"{verb} {sel}", setup=RUNNING) for verb in ("stop -t 0", "pause", "kill",
      "restart -t 0") for sel in ("-l", OWN) if not (verb == "kill" and sel == OWN)],
    Case(f"unpause {OWN}", setup=(*RUNNING, "pause {u}")),
    Case("unpause -l", setup=(*RUNNING, "pause {u}")),
    Case("ps -a --filter name=^{u}$ --format {{.Names}}:{{.Status}}",
         setup=(*RUNNING, f"stop -t 0 {OWN}")),
    Case("rm -l", setup=CREATED),
    Case(f"rm {OWN}", setup=CREATED),
    Case("rm -f -l", "rc out", setup=RUNNING),  # (Podman warns it had to SIGKILL)
    *[Case(f"{verb}") for verb in ("stop", "pause", "unpause", "kill", "restart")],
    *[Case(f"{verb} {bad}") for verb in ("stop", "pause", "unpause", "restart")
      for bad in ("-a web", "-a -l", "-l web", "--filter name=x web")],
    *[Case(f"{verb} {bad}") for verb in ("kill", "rm") for bad in ("-l web", "-a -l")],
    Case("rm --filter name=x web"),
    *[Case(f"{verb} --filter bogus=1", "rc") for verb in ("stop", "pause", "rm")],
    *[Case(f"{verb} --filter name=^zzz$") for verb in ("stop", "pause", "unpause", "rm")],
    *[Case(f"{verb} --cidfile /nonexistent", "rc") for verb in ("kill", "pause", "unpause",
                                                               "restart")],
    Case("wait -l", setup=_EXITS_3),
    # a container of their own: podman 4.3 forgets exit codes after 5 minutes ("done" is older)
    Case("wait --interval 1s {u}", setup=_EXITS_3),
    Case("wait -i 10 {u}", setup=_EXITS_3),
    Case("wait -i 100ms {u}", setup=_EXITS_3),
    Case("wait --interval bogus done", "rc err"),
    Case("wait -l web", "rc err"),
    Case("top -l", "rc", setup=CREATED),
    Case("top -l", "rc", setup=RUNNING),
    Case("top -l pid", "rc", setup=RUNNING),
    Case("logs -l", setup=("run --name {u} busybox sh -c 'echo a; echo b >&2'",)),
    Case("logs --names done"),
    Case("logs --color done"),
    Case("logs --color --names --tail 1 done"),
    Case("logs -l done", "rc err"),
    Case("start -l", setup=CREATED),
    Case("start --sig-proxy {u}", "rc err", setup=CREATED),
    Case("start --sig-proxy=false {u}", setup=CREATED),
    Case("start -a --sig-proxy=false {u}", setup=("create --name {u} busybox echo hi",)),
    Case("start -a --sig-proxy {u}", setup=("create --name {u} busybox echo hi",)),
    Case("start --detach-keys bogus {u}", setup=CREATED),
    Case("start -a --detach-keys ctrl-x {u}", setup=("create --name {u} busybox echo hi",)),
    Case("run --rm --sig-proxy=false busybox echo hi"),
    Case("run --rm --sig-proxy busybox echo hi"),
    Case("run --rm --detach-keys bogus busybox true", "rc err"),
    Case("run --rm --detach-keys '' busybox echo hi"),
    Case("run --rm --detach-keys ctrl-a,x busybox echo hi"),
    Case("exec --env-file tests/compat/env.list -e B=3 web sh -c 'echo $A $B'"),
    Case("exec --env-file /nonexistent web true", "rc"),
    Case("exec --privileged web grep CapEff /proc/self/status"),
    Case("exec -u nobody --privileged web grep CapEff /proc/self/status"),
    Case("exec -l echo hi there", setup=RUNNING),
    Case("exec -l sh -c 'echo $0' x", setup=RUNNING),
    Case("stats -l --no-stream --format {{.Name}}", "rc", setup=RUNNING),
    Case("stats --no-stream -i 0 web", "rc err"),
    Case("stats --no-stream --interval 2 --no-reset --format {{.Name}} web"),
]

# --requires and the dependencies of namespace joins: started first, listed by inspect,
# protected from rm (the dependent is {u}, removed first by the harness, then {u}-b)
NEEDS_B = ("create --name {u}-b busybox sleep 100",)
DEPENDS = [
    Case("create --name {u} --requires nosuch busybox true", "rc err"),
    Case("inspect --format '{{len .Dependencies}}' {u}",
         setup=(*NEEDS_B, "create --name {u} --requires {u}-b busybox true")),
    Case("inspect --format '{{len .Dependencies}}' {u}",
         setup=(*NEEDS_B, "create --name {u} --requires {u}-b,{u}-b --uts container:{u}-b"
                " busybox true")),
    Case("inspect --format '{{.Dependencies}}' {u}", setup=CREATED),
    Case("inspect --format {{.State.Status}} {u}-b",
         setup=(*NEEDS_B, "create --name {u} --requires {u}-b busybox true", "start {u}")),
    Case("rm {u}-b", "rc", setup=(*NEEDS_B, "create --name {u} --requires {u}-b busybox true")),
    Case("rm -f {u}-b", "rc", setup=(*NEEDS_B, "create --name {u} --requires {u}-b busybox"
                                     " true")),
    Case("rm --depend {u}-b", setup=(*NEEDS_B, "create --name {u} --requires {u}-b busybox"
                                     " true")),
    Case("ps -a --filter name=^{u} --format {{.Names}}",
         setup=(*NEEDS_B, "create --name {u} --requires {u}-b busybox true",
                "rm --depend {u}-b")),
]

FLAGS: list[Case] = [*RMI, *CAPS, *USERS, *TARGETS, *DEPENDS]
