"""verbs: Podman 4.3's verbs scopebox lacked (`init`, ...), beside the real podman: output,
status words, exit codes and the state each leaves behind."""

from __future__ import annotations

from tests.compat.scenarios import Case

_MADE = ("create --name {u} busybox sleep 100",)
_INITED = (*_MADE, "init {u}")

INIT = [
    Case("init {u}", setup=_MADE),
    Case("container init {u}", setup=_MADE),
    Case("init {u}", setup=("run --name {u} busybox true",)),  # an exited one again
    Case("init", "rc err"),
    Case("init nosuch", "rc err"),
    Case("init -a -l", "rc err"),
    # Podman's words for the state: ps -a shows it, ps (running ones) does not
    Case("ps -a --filter name={u} --format '{{.Status}}'", setup=_INITED),
    Case("ps --filter name={u} --format '{{.Names}}'", setup=_INITED),
    Case("ps -a --filter status=initialized --filter name={u} --format '{{.Names}}'",
         setup=_INITED),
    Case("inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' {u}",
         "rc", setup=_INITED),
    Case("inspect --format '{{.State.Status}} {{.State.Running}}' {u}", setup=_INITED),
    # once in the runtime, no second init; start starts the process the runtime made
    Case("init {u}", setup=_INITED),
    Case("start {u}", setup=_INITED),
    Case("exec {u} echo started", setup=(*_INITED, "start {u}")),
    Case("init {u}", setup=(*_INITED, "start {u}")),
    Case("inspect --format '{{.State.Status}}' {u}", setup=(*_INITED, "start {u}")),
    # stop, kill and rm of an initialized container
    Case("stop -t 1 {u}", setup=_INITED),
    Case("inspect --format '{{.State.Status}}' {u}", setup=(*_INITED, "stop -t 1 {u}")),
    Case("kill {u}", "rc", setup=_INITED),
    Case("rm {u}", setup=_INITED),
    Case("pause {u}", "rc", setup=_INITED),
]

_BB = "containers-storage:localhost/busybox"
_LIST = ("manifest create {u}",)
_ADDED = (f"manifest create {{u}} {_BB}",)
MANIFEST = [
    Case("manifest create {u}"),
    Case(f"manifest create {{u}} {_BB}"),
    Case("manifest inspect {u}", setup=_LIST),
    Case("manifest inspect {u}", json=("manifests", "manifests.platform"), setup=_ADDED),
    Case(f"manifest add {{u}} {_BB}", setup=_LIST),
    Case("manifest inspect {u}", json=("manifests", "manifests.platform"),
         setup=(*_LIST, f"manifest add --os linux --arch arm64 --variant v8 --os-version 1"
                        f" --annotation a=b {{u}} {_BB}")),
    Case(f"manifest annotate --arch arm64 {{u}} {_BB}", setup=_ADDED),  # a digest, not a name
    Case("manifest annotate --arch arm64 {u} sha256:" + "0" * 64, "rc", setup=_ADDED),
    Case("manifest create {u}", setup=_LIST),
    Case("manifest create --amend {u}", setup=_LIST),
    Case("manifest exists {u}", setup=_LIST),
    Case("manifest exists nosuch"),
    Case("manifest rm {u}", setup=_LIST),
    Case("manifest rm nosuch"),
    Case("manifest inspect {u}", "rc", setup=(*_LIST, "manifest rm {u}")),
    Case("manifest remove {u} sha256:" + "0" * 64, setup=_LIST),
    Case("manifest add {u}", "rc", setup=_LIST),
    Case("manifest annotate --annotation nokey {u} " + _BB, "rc", setup=_ADDED),
    Case("manifest push --format oci {u} localhost:1/{u}", "rc", setup=_ADDED),
    # scopebox: a bare name is a local image; Podman's is a registry's (docker://)
    Case("manifest inspect {u}", diff="manifest-store", want=(0, '"architecture": "amd64"'),
         setup=(*_LIST, "manifest add {u} busybox")),
]

_VOL = ("volume create {u}",)
SMALL = [
    # volume mount|unmount: the mount point (each engine's own root), the name back
    Case("volume mount {u}", "rc", setup=_VOL),
    Case("volume unmount {u}", setup=_VOL),
    Case("volume unmount {u}", setup=(*_VOL, "volume mount {u}")),
    Case("volume umount {u}", "rc", setup=_VOL),  # no such alias in Podman 4.3
    Case("volume mount nosuch"),
    Case("volume unmount nosuch", "rc"),
    Case("volume reload"),
    # the host's signature policy, read; signing and changing it refused
    Case("image trust show"),
    Case("image trust show --json"),
    Case("image trust show -n"),
    Case("image trust show --raw"),
    Case("image trust show nosuch.example.com"),
    Case("image sign busybox"),
    Case("image sign --sign-by nobody@example.com busybox", "rc"),
    # image mount|umount: an unknown image; a container's --mount type=image is no host mount
    Case("image mount nosuch", "rc"),
    Case("image umount nosuch"),
    Case("image umount busybox", diff="image-mount",
         want=(0, ""), setup=("run -d --name {u} --mount type=image,src=busybox,dst=/m busybox"
                              " sleep 100",)),
    # no CRIU here: Podman's line and code
    Case("container checkpoint {u}", setup=("create --name {u} busybox true",)),
    Case("container restore {u}", setup=("create --name {u} busybox true",)),
    Case("container checkpoint nosuch"),
    # nothing to migrate or renumber (Podman's migrate stops every running container)
    Case("system migrate", diff="migrate-keeps-running", want=(0, "=")),
    Case("system renumber"),
]

TREE = [
    Case("image tree busybox"),
    Case("image tree nosuch"),
    Case("image tree localhost/{u}:v1",
         setup=("create --name {u} busybox true", "commit -q {u} localhost/{u}:v1")),
    Case("image tree --whatrequires localhost/{u}:v1",
         setup=("create --name {u} busybox true", "commit -q {u} localhost/{u}:v1")),
]

_LABELED = ("create --name {u} busybox true",
            "commit -q --change 'LABEL ECHO=\"echo image=IMAGE name=$NAME\"' --change"
            " 'LABEL RUN=\"podman run --rm IMAGE echo NAME\"' {u} localhost/{u}:v1",
            "rm {u}")
RUNLABEL = [
    Case("container runlabel ECHO localhost/{u}:v1 a b", setup=_LABELED),
    Case("container runlabel -n other ECHO localhost/{u}:v1", setup=_LABELED),
    Case("container runlabel RUN localhost/{u}:v1", diff="runlabel-same-store",
         want=(0, "={u}\n"), setup=_LABELED),
    Case("container runlabel NOPE localhost/{u}:v1", setup=_LABELED),
    Case("container runlabel --display RUN localhost/{u}:v1", "rc", setup=_LABELED),
    Case("container runlabel", "rc"),
]

_AU = "--label io.containers.autoupdate=local"
_UNIT = "--label PODMAN_SYSTEMD_UNIT={u}.service"
_MADE_AU = ("tag busybox localhost/{u}:v1",
            f"create --name {{u}} {_AU} {_UNIT} localhost/{{u}}:v1 true")
_RUN_AU = ("tag busybox localhost/{u}:v1",
           f"run -d --name {{u}} {_AU} {_UNIT} localhost/{{u}}:v1 sleep 100")
AUTO_UPDATE = [
    Case("auto-update --dry-run"),
    Case("auto-update --dry-run --format json"),
    Case("auto-update --dry-run", setup=(f"create --name {{u}} {_AU} busybox true",)),
    Case("auto-update --dry-run", setup=_MADE_AU),  # not running: not a candidate
    # a candidate: Podman 4.3 connects to systemd first, even for --dry-run
    Case("auto-update --dry-run --format '{{.Unit}} {{.Policy}} {{.Updated}}'",
         diff="auto-update-dry-run", want=(0, "={u}.service local false\n"), setup=_RUN_AU),
    Case("auto-update --dry-run --format '{{.Unit}} {{.Policy}} {{.Updated}}'",
         diff="auto-update-dry-run", want=(0, "={u}.service local pending\n"),
         setup=(*_RUN_AU, "commit -q {u} localhost/{u}:v1")),
]

VERBS = [*INIT, *MANIFEST, *SMALL, *TREE, *RUNLABEL, *AUTO_UPDATE]
