"""Scenarios of helper "flags" (issue 19, third round): the last Podman 4.3 flags of the
implemented verbs but pod create/clone's: -l/--latest (attach, diff, mount, umount, pod rm,
network reload), mount --all, network ls --noheading, container exists --external, images
--history, image prune --filter/--external, commit --iidfile/--include-volumes, import
--arch/--os/--variant, save's, pull's and push's, unshare --rootless-netns, and kube play's
(tests/compat/kube-flags.yaml: pod "kubeflags", replaced by each play, removed by the last
case). Several flags per case: each costs two engines' CLI calls. The calls that need a
registry compare exit codes only (127.0.0.1:1 refuses the connection)."""

from __future__ import annotations

from tests.compat.scenarios import Case

_NEW = ("create --name {u} busybox true",)
LATEST = [
    Case("diff --latest", setup=_NEW),
    Case("umount --latest", setup=(*_NEW, "mount {u}")),
    Case("mount --latest", "rc", setup=_NEW),
    Case("attach --latest --no-stdin", "rc err", setup=_NEW),
    Case("diff -l {u}", "rc err"),
    Case("attach -l {u}", "rc err"),
    Case("diff", "rc"),
    Case("mount --all {u}", "rc err"),
    Case("mount -a -l", "rc err"),
    Case("umount -l {u}", "rc err"),
    Case("pod rm --latest", setup=("pod create --name {u}",)),
    Case("pod rm -l -a", "rc err"),
    Case("pod rm -l {u}", "rc err"),
    Case("network reload --latest", "rc err", setup=_NEW),
    Case("network reload -l -a", "rc err"),
    Case("network reload", "rc err"),  # a container, --all or --latest is needed
    Case("network reload nosuch", "rc err"),
    Case("network reload --all {u}", "rc err", setup=_NEW),
    Case("network reload {u}", "rc err", setup=_NEW),  # created: no network set up yet
]

LISTS = [
    # (podman's kube play makes podman-default-kube-network: left out)
    Case("network ls --noheading --filter name=^podman$"),
    Case("network ls --noheading --filter name=^podman$ --format 'table {{.Name}}\t{{.Driver}}'"),
    Case("images --noheading --filter reference=localhost/extra"),
    Case("container exists --external web"),
    Case("container exists --external nosuch"),
]

_COMMITTED = (*_NEW, "commit -q {u} localhost/{u}:v1", "tag localhost/{u}:v1 localhost/{u}:v2",
              "rmi localhost/{u}:v2")
_LABELLED = (*_NEW, "commit -q -c 'LABEL k={u}' {u} localhost/{u}:v1")
IMAGES = [
    Case("images --history localhost/{u}", setup=_COMMITTED),
    Case("image inspect --format '{{.NamesHistory}}' localhost/{u}:v1", setup=_COMMITTED),
    Case("image prune -a -f --external --filter label=k={u}", setup=_LABELLED),
    Case("image prune -a -f --filter label=k={u} --filter until=1h", setup=_LABELLED),
    Case("image prune -f --filter bogus=1", "rc err"),
    Case("image prune -f --filter until=never", "rc err"),
    Case("image inspect --format '{{json .Config.Volumes}}' localhost/{u}:v1", setup=(
        "create --name {u} -v /data -v {u}:/srv --mount type=tmpfs,dst=/t busybox true",
        "commit -q --include-volumes {u} localhost/{u}:v1")),
    Case("image inspect --format '{{json .Config.Volumes}}' localhost/{u}:v1", setup=(
        "create --name {u} -v /data -v {u}:/srv busybox true",
        "commit -q {u} localhost/{u}:v1")),
    # the same line and exit code; no image is made (tests/host/test_verbflags3_host.py)
    Case("commit -q --iidfile /nonexistent-dir/x {u} localhost/{u}:v1", setup=_NEW,
         diff="iidfile-unwritable",
         want=(125, "failed to write image ID: open /nonexistent-dir/x: no such file")),
    Case("image inspect --format '{{.Os}}/{{.Architecture}}' localhost/{u}:v1", setup=(
        "import -q --arch arm64 --os freebsd --variant v8 tests/compat/rootfs-tiny.tar"
        " localhost/{u}:v1",)),
    Case("save --compress -o /dev/null busybox", "rc err"),
    Case("save --uncompressed --format oci-archive -o /dev/null busybox", "rc out"),
]

REGISTRY = [
    Case("pull --disable-content-trust --tls-verify=false 127.0.0.1:1/x", "rc"),
    Case("push --compress --disable-content-trust --remove-signatures --compression-format gzip"
         " --tls-verify=false busybox 127.0.0.1:1/x", "rc"),
    Case("push --format bogus busybox 127.0.0.1:1/x", "rc err"),
    Case("push --compression-format bogus busybox 127.0.0.1:1/x", "rc err"),
    # what scopebox cannot do is refused before any connection (Podman tries to)
    Case("push --sign-by key@example.com busybox 127.0.0.1:1/x", diff="push-refused",
         want=(125, "--sign-by: scopebox does not sign images")),
    Case("push --compression-format zstd busybox 127.0.0.1:1/x", diff="push-refused",
         want=(125, "does not recompress them")),
    Case("push --format v2s2 busybox 127.0.0.1:1/x", diff="push-refused",
         want=(125, "does not convert manifests")),
    Case("unshare --rootless-netns true", "rc err"),
]

_YAML = "tests/compat/kube-flags.yaml"
_ROOT = "--seccomp-profile-root tests/compat/seccomp"  # the YAML's localhost/no-mkdir.json
_PLAY = f"kube play --replace --start=false {_ROOT} {_YAML}"
_ALL_FLAGS = ("kube play --replace --start=false --annotation a=b --annotation c=d --userns host"
              " --no-hosts --tls-verify=false --creds u:p --cert-dir /tmp --build=false"
              f" {_ROOT} {_YAML}")
KUBE = [
    Case("inspect --format '{{index .Config.Annotations \"a\"}} {{index .Config.Annotations"
         " \"c\"}} {{.State.Status}}' kubeflags-c", setup=(_ALL_FLAGS,)),
    Case("pod inspect --format '{{.InfraConfig.NoManageHosts}}' kubeflags",
         setup=(_ALL_FLAGS.replace("kube play", "play kube"),)),
    # the profile the annotation names (localhost/no-mkdir.json) under --seccomp-profile-root
    Case("start -a kubeflags-s", setup=(_ALL_FLAGS,)),
    Case(f"kube play --context-dir /tmp {_YAML}", "rc err"),
    Case(f"kube play --authfile /nonexistent/auth.json {_YAML}", "rc err"),
    Case(f"kube play --annotation a={'v' * 64} {_YAML}", "rc err"),  # checked before a pull
    Case(f"kube play --annotation nokey {_YAML}", diff="kube-annotation",
         want=(125, "annotations must be formatted KEY=VALUE")),
    # the YAML's image has a build directory: built (FROM busybox alone) and tagged first
    Case("image inspect --format '{{len .History}}' localhost/busybox:latest",
         setup=(f"kube play --replace --start=false --build --context-dir tests/compat/kube-build"
                f" {_ROOT} {_YAML}",)),
    Case("pod inspect --format '{{.InfraConfig.StaticIP}} {{.InfraConfig.StaticMAC}}' kubeflags",
         setup=(f"kube play --replace --start=false --ip 10.88.0.250"
                f" --mac-address 92:d0:c6:0a:29:33 {_ROOT} {_YAML}",),
         diff="kube-static-address", want=(0, "=10.88.0.250 92:d0:c6:0a:29:33\n")),
    Case(f"kube down {_YAML}", setup=(_PLAY,)),  # last: the pod goes
]

# verbs with no scenario of their own before (their error paths; nothing is changed: logout
# and login read the default auth file only)
COVERAGE = [
    Case("logout nosuch.example", "rc err"),
    Case("login --get-login nosuch.example", "rc err"),
    Case("volume import {u} /nonexistent", "rc err"),
    Case("network inspect nosuch"),
    Case("network exists nosuch"),
    Case("network rm nosuch"),
    Case("network rm --force nosuch", "rc out err"),  # -f: a missing network is no error
    Case("generate kube nosuch", "rc err"),
    Case("system service --time bogus", "rc"),
    Case("system service localhost:9292", "rc err"),  # a scheme Podman does not serve
    Case("system service myunix.sock", "rc err"),
]

# network create/inspect/ls/connect/disconnect/prune (issue 13): definitions only, no
# container joins them (the tier never touches this host's network; podman's CNI files go
# to its own --network-config-dir). DNSEnabled is left out: this host's Podman has CNI
# without dnsname (DIFFERENCES.md, "Network DNS").
_NET = "network create --subnet 10.77.{n}.0/24 --label t={u} {u}"
NETWORKS = [
    Case("network create --subnet 10.77.1.0/24 --gateway 10.77.1.9 --label a=b {u}"),
    Case("network inspect --format '{{.Name}} {{.Driver}} {{.Internal}} {{.IPv6Enabled}}"
         " {{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels}}' {u}",
         setup=(_NET.format(n=2, u="{u}"),)),
    Case("network inspect {u}", "rc keys", setup=(_NET.format(n=3, u="{u}"),)),
    Case("network ls --filter label=t={u} --format '{{.Name}} {{.Driver}}'",
         setup=(_NET.format(n=4, u="{u}") + " --internal",)),
    Case("network create {u}", "rc err", setup=(_NET.format(n=5, u="{u}"),)),
    Case("network create --subnet 10.77.6.0/24 --ip-range 10.77.7.0/24 {u}", "rc"),
    Case("network connect {u} nosuch", "rc err", setup=(_NET.format(n=8, u="{u}"),)),
    Case("network disconnect {u} nosuch", "rc err", setup=(_NET.format(n=9, u="{u}"),)),
    Case("network connect nosuch {u}", "rc", setup=("create --name {u} busybox true",)),
    Case("network prune -f --filter label=t={u}", setup=(_NET.format(n=10, u="{u}"),)),
    Case("network rm {u}", setup=(_NET.format(n=11, u="{u}"),)),
]

VERBFLAGS2 = [*LATEST, *LISTS, *IMAGES, *REGISTRY, *KUBE, *COVERAGE, *NETWORKS]
