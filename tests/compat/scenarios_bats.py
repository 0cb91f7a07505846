"""Scenarios found by running Podman 4.3.1's own bats system tests (test/system) against
scopebox: each is a difference those tests caught, kept here so our suite keeps it fixed."""

from __future__ import annotations

from tests.compat.scenarios import Case

BATS = [
    # 030-run: --pull=never with the image absent names it as Podman does
    Case("run --rm --pull=never localhost/nosuch-bats:v9 true"),
    Case("create --pull=never localhost/nosuch-bats:v9"),
    # 030-run: --memory=0 is "no limit"
    Case("run --rm --memory=0 busybox echo hello"),
    # 030-run: --kernel-memory is a hidden no-op (its warning: tests/host/test_bats_host.py)
    Case("run --rm --kernel-memory 100 busybox true", "rc out"),
    # 030-run: the "none" log driver keeps nothing; logs says so in Podman's words
    Case("logs {u}", setup=("run --name {u} --log-driver none busybox echo hi",)),
    # 040-ps: "stopped" is Podman's other name for exited
    Case("ps --filter status=stopped --filter name={u} --format {{.Names}}",
         setup=("run --name {u} busybox true",)),
    # 080-pause: a paused container's status is "Paused"; ps without -a shows none
    *[Case(f"ps{a} --filter name={{u}} --format {{{{.Status}}}}",
           setup=("run -d --name {u} busybox sleep 100", "pause {u}")) for a in ("", " -a")],
    # 130-kill: signals as Podman parses them (a leading dash dropped, 1 to 64), checked
    # before any container or pod is looked up
    *[Case(f"kill -s {s} nosuch", "rc err") for s in ("0", "-0", "BADSIG", "-SIGBADSIG", "65",
                                                      "-65", "99999999", "-INT", "-1")],
    *[Case(f"pod kill -s {s} nosuch", "rc err") for s in ("0", "SIG", "-BADSIG")],
    Case("create --stop-signal=99 busybox", "rc err"),
    # 045-start: --all with names, and --filter as ps's filters (restart-policy=none: none
    # given; a bad policy in Podman's words)
    Case("start --all nosuch", "rc err"),
    Case("start --filter restart-policy=fakepolicy {u}", "rc err",
         setup=("create --name {u} busybox true",)),
    Case("start --filter restart-policy=always {u}", setup=("create --name {u} busybox true",)),
    Case("start --filter restart-policy=none {u}", "rc",
         setup=("create --name {u} busybox true",)),
    Case("ps -a --filter restart-policy=none --filter name={u} --format {{.Names}}",
         setup=("create --name {u} busybox true",)),
    # 160-volumes: rm -f of a missing volume is no error
    Case("volume rm -f nosuch"),
    Case("volume rm -f nosuch {u}", setup=("volume create {u}",)),
    # 160-volumes: the same mount twice is one; two different ones at a place are an error
    *[Case(f"run --rm {flags} busybox true") for flags in (
        "--tmpfs /vol1 --tmpfs /vol1", "--tmpfs /vol1 --tmpfs /vol1:ro",
        "-v /tmp:/vol1 -v /tmp:/vol1", "-v {u}:/vol1 -v {u}:/vol1")],
    # 160-volumes: a bind volume's device must exist (Podman's words)
    Case("volume create -o type=bind -o device=/bogus {u}"),
    Case("run --rm -v {u}:/vol busybox ls /vol/passwd",
         setup=("volume create -o type=bind -o device=/etc {u}",)),
    # 160-volumes: a copy-up stays owed while the image has nothing at the mount point
    *[Case("volume inspect --format '{{.NeedsCopyUp}} {{.NeedsChown}}' {u}",
           setup=("volume create {u}", f"run --rm -v {{u}}:{dest} busybox true"))
      for dest in ("/nonesuch", "/etc")],
    # 065-cp: a relative container path is from the container's working directory, and an
    # error names it as given
    Case("cp {u}:/tmp/readme -", "rc",
         setup=("create --name {u} --workdir /tmp busybox true", "cp README.md {u}:readme")),
    Case("cp {u}:readme -", "rc",
         setup=("create --name {u} --workdir /tmp busybox true", "cp README.md {u}:.")),
    Case("cp {u}:nosuch* /dev/null", "rc err", setup=("create --name {u} busybox true",)),
    # 065-cp: --pause (Podman's, default true) is taken, =false too
    *[Case(f"cp {flag} README.md {{u}}:/tmp/x", setup=("create --name {u} busybox true",))
      for flag in ("--pause", "--pause=false")],
    # 065-cp: a file copied onto a dangling symlink is written where the link points
    Case("exec {u} sh -c 'wc -c < /tmp/nonesuch1; test -L /tmp/x && echo link'",
         setup=("run -d --name {u} busybox sleep 100", "exec {u} ln -s /tmp/nonesuch1 /tmp/x",
                "cp README.md {u}:/tmp/x")),
    # 030-run: /run/.containerenv is empty, privileged it names the container
    Case("run --rm busybox stat -c %s /run/.containerenv"),
    Case("run --rm --privileged --name {u} busybox sh -c '. /run/.containerenv; echo $name"
         " ${#id} ${#imageid} $rootless'"),
    # 030-run: a --workdir the image lacks is an error at start, unless on or above a mount
    Case("run --rm --workdir /i/do/not/exist busybox pwd", "rc"),
    Case("run --rm --workdir /mnt/new -v /tmp:/mnt/new/sub busybox pwd"),
    # 030-run: .Image is the bare id; .ImageName the name the container was created with
    Case("inspect --format '{{len .Image}} {{.ImageName}}' {u}",
         setup=("create --name {u} localhost/extra:v1 true",)),
    # 030-run: LogConfig.Size shows --log-opt max-size (decimal units, as Podman reads it)
    Case("inspect --format '{{.HostConfig.LogConfig.Size}}' {u}",
         setup=("create --name {u} --log-opt max-size=9.057m busybox true",)),
    # 030-run: --runtime after the verb (Podman's global flag); a path given stays a path
    Case("run --rm --runtime runc busybox true"),
    Case("inspect --format '{{.OCIRuntime}}' {u}",
         setup=("create --name {u} --runtime /usr/sbin/runc busybox true",)),
    # 030-run (docker-archive): commit keeps the container's --entrypoint or command
    *[Case("image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "
           "localhost/{u}:v1", setup=(f"create --name {{u}} {flags}", "commit -q {u} {u}:v1"))
      for flags in ("--entrypoint '[\"/bin/echo\",\"x\"]' busybox", "busybox echo y")],
    # 030-run: a privileged systemd container gets none of the host's /dev/tty*
    Case("run --rm --privileged --systemd=always busybox sh -c 'ls /dev/tty*'"),
]
