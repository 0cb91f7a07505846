#!/bin/bash
# Run one of Podman's bats files inside the systemd test bed (tests/testbed.py), against this
# tree's scopebox or, with --podman, against the real podman (the oracle). Some files only mean
# anything where systemd is PID 1 and journald runs (250-systemd, 255-auto-update, 260-sdnotify,
# 270-socket-activation, journald parts of 035-logs and 090-events, 220-healthcheck's timers).
#
#   tools/bats_in_bed.sh [--podman] FILE.bats [BATS ARGS...]     e.g. -f 'template'
#
# Inside the bed (its own mount and network namespaces, `/` an overlay of the host's; nothing
# written there reaches the host):
# - the local registry holding the stand-in quay.io/libpod images is served again on the bed's
#   own loopback from the same data (the host's 127.0.0.1:5055 is in another netns), so bats'
#   prefetch pulls as on the host; /etc/containers/registries.conf maps quay.io/libpod to it
#   (units started by systemd see no environment of ours, so it has to be the system file);
# - scopebox: /usr/local/bin/scopebox is a wrapper running this tree with the checkout's
#   virtualenv, so units that `generate systemd` writes run this tree too; its store is the
#   default /var/lib/scopebox (a tmpfs in the bed); a bare `podman` in a test is scopebox;
# - podman: runc, ulimits within the sandbox's hard limit, storage on a tmpfs (overlayfs cannot
#   have its upper dir on the bed's overlay root), everything else podman's defaults (systemd
#   cgroup manager, journald events and logs), as on a real host.
#
# Environment: BED_AFTER (a shell command run in the bed after bats, e.g. 'journalctl -b'),
# BATS_DIR (the extracted podman test/system), REG_YML (the registry's config),
# VENV (the virtualenv whose python runs scopebox; default the main checkout's),
# BED_PODMAN_RUNTIME (podman's runtime, default runc; crun works in the bed, whose cgroup v2
# hierarchy has no controllers, and some files (260-sdnotify) skip everything but crun).
set -euo pipefail

TREE=$(cd "$(dirname "$0")/.." && pwd)
BATS_DIR=${BATS_DIR:-/work/scratch/bats/test/system}
REG_YML=${REG_YML:-/work/scratch/reg.yml}
VENV=${VENV:-/work/main/.venv}
BED_PODMAN_RUNTIME=${BED_PODMAN_RUNTIME:-runc}
export BATS_DIR REG_YML VENV BED_PODMAN_RUNTIME

if [[ ${1:-} != --inside ]]; then
    cd "$TREE"
    exec "$VENV/bin/python" tests/testbed.py run -- bash "$TREE/tools/bats_in_bed.sh" --inside "$@"
fi
shift

engine=scopebox
if [[ ${1:-} == --podman ]]; then
    engine=podman
    shift
fi
file=${1:?usage: bats_in_bed.sh [--podman] FILE.bats [BATS ARGS...]}
shift

# The registry: same data, same address as on the host, on the bed's loopback.
addr=$(sed -n 's/^ *addr: *//p' "$REG_YML")
docker-registry serve "$REG_YML" >/tmp/registry.log 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "http://$addr/v2/" >/dev/null && break
    sleep 0.1
done
cat >/etc/containers/registries.conf <<EOF
unqualified-search-registries = ["quay.io"]

[[registry]]
prefix = "quay.io/libpod"
location = "$addr/libpod"
insecure = true
EOF

if [[ $engine == podman ]]; then
    PODMAN=/usr/bin/podman
    cat >/etc/containers/containers.conf <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "$BED_PODMAN_RUNTIME"
EOF
    cat >/etc/containers/storage.conf <<EOF
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/scopebox/podman-storage"
EOF
else
    PODMAN=/usr/local/bin/scopebox
    rm -f "$PODMAN"  # never write through a link to the host
    cat >"$PODMAN" <<EOF
#!/bin/sh
# this tree's scopebox (tools/bats_in_bed.sh); units written by 'generate systemd' run it too
export PYTHONPATH=$TREE SCOPEBOX_BINARY=$PODMAN
exec $VENV/bin/python -m supervisor "\$@"
EOF
    chmod 755 "$PODMAN"
    # Some tests call `podman` itself, not $PODMAN (220's `podman wait`, 255's `podman
    # commit`): with scopebox under test that is scopebox too, as `alias podman=scopebox`.
    mkdir -p /tmp/bats-bin
    ln -sf "$PODMAN" /tmp/bats-bin/podman
    export PATH=/tmp/bats-bin:$PATH
    # The units Podman's package ships (podman-kube@.service, podman-auto-update.service) run
    # /usr/bin/podman: on a host where podman is scopebox that is scopebox too. Only on the
    # bed's overlay root, never the host's.
    if [[ $(findmnt -n -o FSTYPE /) == overlay ]]; then
        rm -f /usr/bin/podman
        ln -s "$PODMAN" /usr/bin/podman
    fi
fi
export PODMAN

echo "# bats_in_bed: $file with $PODMAN ($engine)" >&2
cd "$BATS_DIR"
rc=0
bats "$file" "$@" || rc=$?
# BED_AFTER: a shell command run in the bed once bats is done (the journal, say), to debug.
if [[ -n ${BED_AFTER:-} ]]; then
    bash -c "$BED_AFTER" || true
fi
exit $rc
