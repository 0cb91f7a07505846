"""misc (issue 19): run/create's --read-only-tmpfs, --http-proxy, --memory-swappiness (also
update's) and --personality against Podman 4.3: what the container sees (its mounts, writes,
the kernel's memory.swappiness, uname), what inspect shows, how values are refused.

The proxy variables themselves come from the caller's environment, which a scenario cannot
set per engine: tests/host/test_misc_flags_host.py asserts what the container gets.
"""

from __future__ import annotations

from tests.compat.scenarios import Case

_SCRATCH = "grep -E ' /(run|tmp|var/tmp) ' /proc/mounts | sort"  # Podman's order varies
_SWAPPINESS = "/sys/fs/cgroup/memory/memory.swappiness"
_C = "create --name {u}"
_SHOW = "inspect --format '{{.HostConfig.MemorySwappiness}}' {u}"
# an image whose label holds a seccomp profile that refuses mkdir
_PROFILE = ('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],'
            '"action":"SCMP_ACT_ERRNO"}]}')
_LABELED = ("create --name {u} busybox true",
            f"commit -q --change 'LABEL io.containers.seccomp.profile={_PROFILE}' {{u}}"
            " localhost/{u}:v1")

# an image with a VOLUME that holds a file
_VOLUMED = ("run --name {u} busybox sh -c 'mkdir /data && echo hi > /data/f'",
            "commit -q --change 'VOLUME /data' {u} localhost/{u}:v1")
_DATA = "sh -c \"grep ' /data ' /proc/mounts | cut -d' ' -f1,3,4; stat -c %a /data; cat /data/f\""

MISC = [
    # --read-only-tmpfs: the tmpfs on a read-only root, their modes, writes, a user's tmpfs
    Case(f"run --rm --read-only busybox sh -c \"{_SCRATCH}\""),
    Case("run --rm --read-only busybox stat -c '%n %a %U' /run /tmp /var/tmp"),
    Case("run --rm --read-only busybox sh -c 'echo x > /tmp/f && cat /tmp/f; touch /f'"),
    Case("run --rm --read-only --read-only-tmpfs busybox sh -c 'touch /run/f /var/tmp/f'"),
    Case(f"run --rm --read-only --read-only-tmpfs=false busybox sh -c \"{_SCRATCH}\""),
    Case("run --rm --read-only --read-only-tmpfs=false busybox touch /tmp/f"),
    Case(f"run --rm --read-only-tmpfs busybox sh -c \"{_SCRATCH}\""),
    Case(f"run --rm --read-only --tmpfs /tmp:size=1m busybox sh -c \"{_SCRATCH}\""),
    Case("run --rm --read-only busybox sh -c \"grep ' /etc/host' /proc/mounts | cut -d' ' -f2,4"
         " | cut -d, -f1 | sort\""),
    Case("run --rm --read-only-tmpfs=nope busybox true", "rc out"),
    Case(f"{_C} --read-only --read-only-tmpfs=0 busybox true", "rc out"),
    # --http-proxy: accepted as a Go boolean
    Case("run --rm --http-proxy=false busybox true"),
    Case("run --rm --http-proxy busybox true"),
    Case("run --rm --http-proxy=nope busybox true", "rc out"),
    # --memory-swappiness: the kernel's file, Podman's checks and words
    *[Case(f"run --rm --memory-swappiness {v} busybox cat {_SWAPPINESS}")
      for v in ("0", "100", "50", "-1", "-2")],
    Case("run --rm --memory-swappiness 101 busybox true"),
    Case(f"{_C} --memory-swappiness 1000 busybox true"),
    *[Case(f"run --rm --memory-swappiness {v} busybox true", "rc out")
      for v in ("abc", "1.5", "99999999999999999999")],
    # inspect: Podman's MemorySwappiness (0 without memory limits, -1 with others)
    *[Case(_SHOW, setup=(f"{_C} {flags} busybox true",)) for flags in (
        "", "--memory-swappiness 30", "--memory-swappiness -2", "--memory 64m",
        "--memory 64m --memory-swappiness 10", "--memory-reservation 32m",
        "--memory-swappiness 0")],
    # update: refused values alike; the kernel and inspect (Podman's update ignores it)
    Case("update --memory-swappiness abc {u}", "rc out", setup=(f"{_C} busybox true",)),
    Case(f"exec {{u}} cat {_SWAPPINESS}", diff="swappiness-update", want=(0, "=10\n"),
         setup=("run -d --name {u} busybox sleep 100",
                "update --memory-swappiness 10 {u}")),
    Case(_SHOW, diff="swappiness-update", want=(0, "=10\n"),
         setup=(f"{_C} busybox true", "update --memory-swappiness 10 {u}")),
    Case("update --memory-swappiness 101 {u}", diff="swappiness-update",
         want=(125, "valid memory swappiness range is 0-100"), setup=(f"{_C} busybox true",)),
    # --personality: LINUX alike; LINUX32 applied (runc 1.1 ignores the spec's), words refused
    Case("run --rm --personality LINUX busybox uname -m"),
    Case("run --rm --personality LINUX32 busybox uname -m", diff="personality-runc",
         want=(0, "=i686\n")),
    Case("exec {u} uname -m", diff="personality-runc", want=(0, "=i686\n"),
         setup=("run -d --name {u} --personality LINUX32 busybox sleep 100",)),
    *[Case(f"{verb} --personality {word} busybox true", diff="personality-domain",
           want=(125, f"invalid --personality '{word}'")) for verb, word in (
               ("run --rm", "linux32"), ("run --rm", "foo"), (_C, "PER_LINUX32"))],
    # --seccomp-policy: default, image (the label's profile, or Podman's refusal), others
    Case("run --rm --seccomp-policy default busybox mkdir /x"),
    Case("run --rm --seccomp-policy image busybox true"),
    Case("run --rm --seccomp-policy image --privileged busybox true"),
    Case(f"{_C}-b --seccomp-policy image busybox true"),
    *[Case(f"run --rm --seccomp-policy {p} busybox true") for p in ("foo", "Image", "''")],
    Case("run --rm --seccomp-policy image localhost/{u}:v1 mkdir /x", setup=_LABELED),
    Case("run --rm localhost/{u}:v1 mkdir /x", setup=_LABELED),
    Case("run --rm --seccomp-policy image --privileged localhost/{u}:v1 mkdir /x",
         setup=_LABELED),
    Case("run --rm --seccomp-policy image --security-opt seccomp=unconfined localhost/{u}:v1"
         " mkdir /x", setup=_LABELED),
    # --image-volume: the image's VOLUME as an anonymous volume, a tmpfs (its files copied
    # up) or nothing (the image's directory as it is)
    *[Case(f"run --rm --image-volume {m} localhost/{{u}}:v1 {_DATA}", setup=_VOLUMED)
      for m in ("bind", "tmpfs", "ignore", "''")],
    *[Case("inspect --format '{{len .Mounts}}' {u}-b",
           setup=(*_VOLUMED, f"create --name {{u}}-b --image-volume {m} localhost/{{u}}:v1"))
      for m in ("bind", "ignore")],
    Case("run --rm --image-volume foo busybox true"),
    Case(f"{_C} --image-volume TMPFS busybox true"),
]
