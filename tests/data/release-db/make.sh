#!/bin/sh
# Make the state database of a release (schema 1 containers, as written by 12b1814) that
# tests/unit/test_release_db.py and tests/host/test_release_db_host.py read with today's code.
# Usage (as root, on the bare host, no systemd needed):
#   mkdir /tmp/release && git archive 12b1814 | tar -x -C /tmp/release
#   sh tests/data/release-db/make.sh /tmp/release
# Writes state.db (the release's store), containers.tar.gz (the container dirs create made:
# /etc files and empty overlay dirs) and release.json (what the release's ps and inspect said).
set -eu
release=${1:?usage: make.sh RELEASE_CHECKOUT}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
py=${PYTHON:-$repo/.venv/bin/python}
work=$(mktemp -d /tmp/release-db.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SCOPEBOX_ROOT="$work/root" SCOPEBOX_RUNROOT="$work/run" SCOPEBOX_CGROUP_MANAGER=cgroupfs
sb() { (cd "$release" && "$py" -m supervisor "$@"); }
sh "$repo/packaging/busybox-rootfs.sh" "$work/busybox.tar"
sb import --change 'CMD ["sh"]' "$work/busybox.tar" busybox >/dev/null
mkdir -p "$work/vol" /tmp/scopebox-release-rootfs
tar -C /tmp/scopebox-release-rootfs -xf "$work/busybox.tar"
printf 'FROM_FILE=1\n' > "$work/env"
sb create --name plain busybox >/dev/null
sb create --name labels -l app=web -l tier=front -e A=1 -e B=two --env-file "$work/env" \
    -w /tmp -u nobody -h boxhost busybox sh -c 'echo hi' >/dev/null
sb create --name mounts -v "$work/vol:/data:ro" --tmpfs /scratch:size=1m --read-only \
    busybox >/dev/null
sb create --name limits -m 64m --memory-reservation 32m --cpus 0.5 --cpu-shares 512 \
    --pids-limit 50 --ulimit nofile=1024:2048 --ulimit nproc=100 busybox >/dev/null
sb create --name health --health-cmd 'true' --health-interval 30s --health-retries 2 \
    --health-start-period 1s --restart no busybox sleep 1000 >/dev/null
sb create --name logs --log-driver k8s-file --log-opt max-size=1m --log-opt max-file=2 \
    --log-opt tag=mytag busybox echo logged >/dev/null
sb create --name autorm --rm --stop-signal SIGUSR1 --stop-timeout 3 busybox >/dev/null
sb create --name entry --entrypoint /bin/echo --network host busybox hello >/dev/null
sb create --name rootfs --rootfs /tmp/scopebox-release-rootfs /bin/true >/dev/null
sb create --name exited busybox sh -c 'exit 3' >/dev/null
sb start exited >/dev/null
sb wait exited >/dev/null || true
ids=$(sb ps -aq --no-trunc)
# shellcheck disable=SC2086
sb inspect $ids > "$work/inspect.json"
sb ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}} {{.Command}}' > "$work/ps.txt"
"$py" - "$work" "$here" <<'PY'
import json, sqlite3, sys
work, here = sys.argv[1], sys.argv[2]
db = sqlite3.connect(f"{work}/root/state.db")
db.execute(f"VACUUM INTO '{here}/state.db.new'")
with open(f"{work}/inspect.json") as f, open(f"{work}/ps.txt") as g:
    out = {"root": f"{work}/root", "inspect": json.load(f), "ps": g.read().splitlines()}
with open(f"{here}/release.json", "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
PY
mv "$here/state.db.new" "$here/state.db"
tar --numeric-owner --owner=0 --group=0 -C "$work/root" -czf "$here/containers.tar.gz" containers
sb rm -a -f >/dev/null
rm -rf /tmp/scopebox-release-rootfs
