#!/bin/sh
# Inside the lane's VM (systemd as PID 1, pure cgroup v2): check the hierarchy, run the selected
# tests with each runtime, bring recordings back, and end with "LANE-EXIT <status>". Output goes
# to ttyS1, which qemu writes to a file on the host (tests/vm/lane.py).
set -u
stty -F /dev/ttyS1 raw -echo 2>/dev/null || true
cd /opt/scopebox
export SCOPEBOX_VM=1 CI=true PYTHONUNBUFFERED=1 HOME=/root SCOPEBOX_TIMEOUT_SCALE=10
status=0
fail() { echo "LANE FAILED: $*"; status=1; }
now() { cut -d' ' -f1 /proc/uptime; }

echo "== v2 lane: $(uname -r), $(crun --version | head -1), $(runc --version | head -1)"
echo "== booted: $(now) s since the kernel started, $(systemd-analyze 2>/dev/null | head -1)"
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "/sys/fs/cgroup is not cgroup2"
controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
echo "== cgroup.controllers: $controllers"
for c in memory cpu pids io cpuset; do
    case " $controllers " in *" $c "*) ;; *) fail "controller $c missing" ;; esac
done
# The default store on a real block device: io.stat has something to count.
modprobe virtio_blk
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.5; done
if mkfs.ext4 -q -F /dev/vda && mkdir -p /var/lib/scopebox && mount /dev/vda /var/lib/scopebox
then echo "== /var/lib/scopebox on /dev/vda (ext4)"
else fail "could not mount the scratch disk"
fi

if [ -n "${LANE_SH:-}" ]; then
    echo "== sh: $(echo "$LANE_SH" | base64 -d)"
    bash -c "$(echo "$LANE_SH" | base64 -d)" </dev/null 2>&1 || fail "the --sh command"
fi

# First, as the tests may take long: real files of a container's cgroup, for the parser tests.
if [ -n "${LANE_RECORD:-}" ]; then
    python3 tests/vm/record.py || fail "recording cgroup files"
fi

# tier: host (cgroupfs manager) or systemd; $1 runtime; the rest: pytest arguments.
tier() {
    name=$1 runtime=$2
    shift 2
    t0=$(now)
    echo "== $name tier, $runtime: $*"
    if [ "$name" = host ]; then
        SCOPEBOX_RUNTIME=$runtime SCOPEBOX_CGROUP_MANAGER=cgroupfs \
            python3 -m pytest -p no:cacheprovider --color=no -v --durations=0 -rA -m host "$@" </dev/null 2>&1
    else
        SCOPEBOX_RUNTIME=$runtime python3 -m pytest -p no:cacheprovider --color=no -v --durations=0 -rA -m systemd "$@" \
            </dev/null 2>&1
    fi
    rc=$?
    echo "== $name tier, $runtime: exit $rc after $(awk "BEGIN { print $(now) - $t0 }") s"
    [ $rc -eq 0 ] || fail "$name tier with $runtime exited $rc"
}

if [ -n "${LANE_PYTEST_ARGS:-}" ]; then
    for runtime in $LANE_RUNTIMES; do
        # shellcheck disable=SC2086
        tier "${LANE_TIER:-systemd}" "$runtime" $LANE_PYTEST_ARGS
    done
else
    for runtime in $LANE_RUNTIMES; do
        for name in systemd host; do
            # shellcheck disable=SC2046
            tier "$name" "$runtime" $(python3 tests/vm/selection.py "$name" "$runtime")
        done
    done
fi
echo "LANE-EXIT $status"
