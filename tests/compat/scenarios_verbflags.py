"""Scenarios of helper "flags" (issue 19, second round): flags of implemented verbs that were
refused before: generate systemd --after/--requires/--wants/--env/--start-timeout/--template/
--format, ps --watch; pull/run/create --arch/--os/--variant (pull --all-tags and --cert-dir
need a registry: tests/host/test_verbflags_host.py). The units' text names each engine's own
command, so the generate cases compare exit codes, errors and the JSON's shape;
tests/unit/test_unitgen.py checks the text."""

from __future__ import annotations

from tests.compat.scenarios import Case

GENERATE = [
    Case("generate systemd --after a.service --after b.target --requires c.service"
         " --wants d.service web", "rc"),
    Case("generate systemd -e A=1 --env HOME --env 'PAT*' --start-timeout 5 web", "rc"),
    Case("generate systemd --start-timeout -1 web", "rc"),
    Case("generate systemd --start-timeout x web", "rc"),
    Case("generate systemd --template --name web", "rc"),
    Case("generate systemd --template --new --name --no-header web", "rc"),
    Case("generate systemd --template --new=false web", "rc err"),
    Case("generate systemd --format yaml web", "rc err"),
    Case("generate systemd --format json --name web", json=("container-web",)),
    Case("generate systemd --format json --new --template --name web",
         json=("container-web",)),
    Case("generate systemd --template {u}", "rc err", setup=("pod create --name {u}",)),
    Case("generate systemd --template --files --name web", diff="template-file-name",
         want=(0, "/container-web@.service\n")),
    Case("generate systemd --template --files --format json --name web",
         diff="template-file-name", want=(0, '"container-web": "/')),
]

PS_WATCH = [
    Case("ps --watch 0 -a --filter name=^web$ --format {{.Names}}"),
    Case("ps -w 1 -l", "rc err"),
    Case("ps -w -1", "rc"),
]

PLATFORM = [
    Case("pull --arch arm64 --platform linux/arm64 busybox", "rc err"),
    Case("run --rm --os linux --platform linux/amd64 busybox true", "rc err"),
    Case("create --name {u} --arch amd64 --os linux --pull never busybox true", "rc"),
    Case("create --name {u} --arch arm64 --pull never busybox true", "rc"),
    Case("pull --cert-dir /nonexistent --all-tags --tls-verify=false 127.0.0.1:1/x", "rc"),
]

_RT = "--format {{.HostConfig.CpuRealtimePeriod}}/{{.HostConfig.CpuRealtimeRuntime}}"
REALTIME = [
    Case(f"inspect {_RT} {{u}}", setup=(
        "create --name {u} --cpu-rt-period 100000 --cpu-rt-runtime 5000 busybox true",)),
    Case(f"inspect {_RT} {{u}}", setup=("create --name {u} busybox true",)),
    Case("run --rm --cpu-rt-period 100000 --cpu-rt-runtime 0 busybox true"),
    Case("create --cpu-rt-period -5 busybox true", "rc"),
    Case("create --cpu-rt-runtime x busybox true", "rc"),
]

_MODE = "--format {{.Config.SystemdMode}}/{{.Config.StopSignal}}"
_SD_MOUNTS = ("for d in /run /run/lock /tmp /var/log/journal; do grep \" $d tmpfs \""
              " /proc/mounts; done; grep -c container_uuid= /proc/1/environ")
SYSTEMD = [
    Case(f"inspect {_MODE} {{u}}", setup=("create --name {u} --systemd=always busybox true",)),
    Case(f"inspect {_MODE} {{u}}", setup=("create --name {u} busybox /sbin/init",)),
    Case(f"inspect {_MODE} {{u}}", setup=("create --name {u} busybox /usr/lib/systemd/systemd",)),
    Case(f"inspect {_MODE} {{u}}", setup=("create --name {u} --systemd=false busybox /sbin/init",)),
    Case(f"inspect {_MODE} {{u}}", setup=(
        "create --name {u} --stop-signal 9 --systemd=always busybox true",)),
    Case(f"inspect {_MODE} {{u}}", setup=("create --name {u} busybox sh -c /sbin/init",)),
    Case("create --systemd=bogus busybox true", "rc err"),
    Case(f"run --rm --systemd=always busybox sh -c '{_SD_MOUNTS}'"),
    Case(f"run --rm --systemd=always --tmpfs /tmp:size=1m busybox sh -c '{_SD_MOUNTS}'"),
    Case("run --rm --systemd=false busybox sh -c 'grep -c \" /run tmpfs \" /proc/mounts'"),
]

CHROOTDIRS = [
    Case("run --rm --chrootdirs /srv busybox sh -c"
         " 'grep -c \" /srv/etc/hosts \" /proc/mounts; cmp /etc/hosts /srv/etc/hosts'"),
    Case("run --rm --chrootdirs /a,/b --chrootdirs /c busybox sh -c"
         " 'grep -c \"/etc/hosts \" /proc/mounts'"),
    Case("inspect --format {{.Config.ChrootDirs}} {u}",
         setup=("create --name {u} --chrootdirs /srv --chrootdirs /x busybox true",)),
]

_INFRA = ("--format {{.InfraConfig.DNSSearch}}/{{.InfraConfig.DNSOption}}/"
          "{{.InfraConfig.NoManageHosts}}")
POD_CREATE = [
    Case(f"pod inspect {_INFRA} {{u}}", setup=(
        "pod create --name {u} --dns-search example.com --dns-option ndots:2 --no-hosts",)),
    Case("run --rm --pod {u} busybox sh -c"
         " 'cat /proc/sys/net/ipv4/ip_forward; df -h /dev/shm | tail -1'",
         setup=("pod create --name {u} --sysctl net.ipv4.ip_forward=1 --shm-size 10m",)),
    Case("pod inspect --format {{.Labels}} {u}", setup=(
        "pod create --name {u} --label-file tests/compat/labels.list -l extra=1",)),
    Case("pod create --name {u} --ip 10.88.0.50", "rc"),
    Case("pod create --name {u} --mac-address 92:d0:c6:0a:29:33", "rc"),
    Case("pod create --name {u} --network-alias x", "rc"),
    Case("pod create --name {u} --label-file /nonexistent", "rc"),
    Case("pod create --name {u} --shm-size 1x", "rc"),
]

_POD = "pod create --name {u}"
INIT_CTR = [
    Case("create --init-ctr once busybox true", "rc err"),
    Case("create --init-ctr bogus --pod {u} busybox true", "rc err", setup=(_POD,)),
    Case("ps -a --filter pod={u} --format {{.Names}}", setup=(
        _POD, "create --name {u}-b --init-ctr once --pod {u} busybox true", "pod start {u}")),
    Case("pod start {u}", "rc err", setup=(
        _POD, "create --name {u}-b --init-ctr always --pod {u} busybox sh -c 'exit 3'")),
    Case("create --init-ctr always --pod {u} busybox true", "rc err",
         setup=(_POD, "pod start {u}")),
]

POD_CLONE = [
    Case("run --rm --pod {u}-b busybox sh -c"
         " 'cat /proc/sys/net/ipv4/ip_forward; df -h /dev/shm | tail -1'", setup=(
             "pod create --name {u} --sysctl net.ipv4.ip_forward=1 --shm-size 10m",
             "pod clone --sysctl net.ipv4.ip_forward=0 {u} {u}-b")),
    Case("run --rm --pod {u}-b busybox sh -c"
         " 'cat /proc/sys/net/ipv4/ip_forward; df -h /dev/shm | tail -1'", setup=(
             "pod create --name {u} --sysctl net.ipv4.ip_forward=1",
             "pod clone --shm-size 20m {u} {u}-b")),
]

VERBFLAGS = [*GENERATE, *PS_WATCH, *PLATFORM, *REALTIME, *SYSTEMD, *CHROOTDIRS, *POD_CREATE,
             *POD_CLONE, *INIT_CTR]
