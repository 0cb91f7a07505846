"""blkio (issue 19): run/create/update's per-device block I/O flags against Podman 4.3: how
values are parsed and refused (messages, exit codes), what the kernel gets, what inspect shows.

The device is a loop device node (the machines have /dev/loop0-7; no file need be attached
for the kernel to take a throttle rule). /dev/loop0 is avoided where Podman's inspect is
compared: Podman names a device by looking its numbers up in /dev, and 7:0 is also the
character device /dev/vcs (see `blkio-device-path`).
"""

from __future__ import annotations

from tests.compat.scenarios import Case

DEV = "/dev/loop7"
_C = "create --name {u}"
_THROTTLE = "/sys/fs/cgroup/blkio/blkio.throttle"
_FMT = ("{{range .HostConfig.BlkioDeviceReadBps}}{{.Path}}={{.Rate}} {{end}}"
        "{{range .HostConfig.BlkioDeviceWriteBps}}{{.Path}}={{.Rate}} {{end}}"
        "{{range .HostConfig.BlkioDeviceReadIOps}}{{.Path}}={{.Rate}} {{end}}"
        "{{range .HostConfig.BlkioDeviceWriteIOps}}{{.Path}}={{.Rate}} {{end}}"
        "{{range .HostConfig.BlkioWeightDevice}}{{.Path}}={{.Weight}} {{end}}")
_ALL = (f"--device-read-bps {DEV}:1mb --device-write-bps {DEV}:2k --device-read-iops {DEV}:100"
        f" --device-write-iops {DEV}:200")
_KEYS = tuple(f"0.HostConfig.{k}" for k in (
    "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"))

BLKIO = [
    # rates as Podman parses them (go-units' RAMInBytes: binary units, fractions)
    *[Case(f"{_C} --device-read-bps {DEV}:{rate} busybox true")
      for rate in ("1mb", "1m", "1MB", "1KiB", "1.5mb", "1b", "0", "'1 mb'", "1t")],
    *[Case(f"{_C} --device-write-bps {DEV}:{rate} busybox true")
      for rate in ("abc", "-1", "+5", "", "1.2.3", "1m:2", "18446744073709551615")],
    *[Case(f"{_C} --device-read-iops {DEV}:{rate} busybox true")
      for rate in ("1000", "18446744073709551615", "1.5", "abc", "-3", "", "1k",
                   "18446744073709551616")],
    Case(f"{_C} --device-write-iops {DEV}:+5 busybox true"),
    # formats and device paths
    Case(f"{_C} --device-read-bps {DEV} busybox true"),
    Case(f"{_C} --device-read-bps /tmp:1mb busybox true"),
    Case(f"{_C} --device-read-bps :1m busybox true"),
    Case(f"{_C} --device-read-bps relative:1m busybox true"),
    Case(f"{_C} --device-write-iops /dev/nosuch-blkio:5 busybox true"),
    Case(f"{_C} --device-read-bps {DEV},{DEV}:1k busybox true"),
    # the weight device: format, range, device
    *[Case(f"{_C} --blkio-weight-device {DEV}:{w} busybox true")
      for w in ("5", "1001", "abc", "", "-1")],
    Case(f"{_C} --blkio-weight-device {DEV} busybox true"),
    Case(f"{_C} --blkio-weight-device /tmp:100 busybox true"),
    Case(f"{_C} --blkio-weight-device /dev/nosuch-blkio:300 busybox true"),
    # Podman's order of checks: the weight device first, then read before write
    Case(f"{_C} --device-read-bps {DEV}:1m:2 --blkio-weight-device {DEV}:5 busybox true"),
    Case(f"{_C} --device-write-iops {DEV}:x --device-read-bps {DEV}:y busybox true"),
    # --blkio-weight: an unsigned number; dropped with a warning where the kernel has no
    # weight file (Podman prints the warning bare, scopebox as a `Notice:` line)
    Case(f"{_C} --blkio-weight abc busybox true"),
    Case(f"{_C} --blkio-weight -1 busybox true"),
    Case(f"{_C} --blkio-weight 300 busybox true", "rc out"),
    Case("run --rm --blkio-weight 300 busybox true", "rc out"),
    # what the kernel gets
    *[Case(f"run --rm {flag} {DEV}:{rate} busybox cat {_THROTTLE}.{file}")
      for flag, rate, file in (
          ("--device-read-bps", "1mb", "read_bps_device"),
          ("--device-write-bps", "1m", "write_bps_device"),
          ("--device-read-iops", "1000", "read_iops_device"),
          ("--device-write-iops", "100", "write_iops_device"),
          ("--device-read-iops", f"5,{DEV}:10", "read_iops_device"))],
    Case(f"run --rm {_ALL} busybox sh -c 'cat {_THROTTLE}.*_device'"),
    # inspect: values, keys and types, and a container without them (null lists)
    Case(f"inspect --format '{_FMT}' {{u}}", setup=(f"{_C} {_ALL} busybox true",)),
    Case("inspect {u}", json=_KEYS, setup=(f"{_C} {_ALL} busybox true",)),
    Case("inspect {u}", json=_KEYS, setup=(f"{_C} busybox true",)),
    Case(f"inspect --format '{_FMT}' {{u}}",
         setup=(f"{_C} --device-read-bps {DEV}:1m,{DEV}:2m --device-read-bps {DEV}:0 busybox"
                " true",)),
    Case("inspect --format '{{.HostConfig.BlkioWeight}}' {u}",
         setup=(f"{_C} --blkio-weight 300 busybox true",)),
    # update: refusals as Podman words them (Podman prints the id, scopebox the name given)
    Case(f"update --device-read-bps {DEV}:abc {{u}}", "rc err",
         setup=("run -d --name {u} busybox sleep 100",)),
    Case(f"update --device-read-iops {DEV}:1.5 {{u}}", "rc err",
         setup=("run -d --name {u} busybox sleep 100",)),
    Case(f"update --blkio-weight-device {DEV}:5 {{u}}", "rc err",
         setup=("run -d --name {u} busybox sleep 100",)),
    Case("update --device-write-bps /dev/nosuch-blkio:1m {u}", "rc err",
         setup=("run -d --name {u} busybox sleep 100",)),
    Case(f"update --device-read-bps {DEV}:2m {{u}}", "rc",
         setup=(f"run -d --name {{u}} --device-read-bps {DEV}:1m busybox sleep 100",)),
    # intended differences
    Case("inspect --format '{{range .HostConfig.BlkioDeviceReadBps}}{{.Path}}{{end}}' {u}",
         setup=(f"{_C} --device-read-bps /dev/loop0:1m busybox true",),
         diff="blkio-device-path", want=(0, "=/dev/loop0\n")),
    Case(f"{_C} --device-read-bps /dev/null:1mb busybox true",
         diff="blkio-char-device", want=(125, "/dev/null: not a block device")),
    Case(f"{_C} --device-write-iops /dev/null:3 busybox true",
         diff="blkio-char-device", want=(125, "/dev/null: not a block device")),
    Case(f"run --rm --blkio-weight-device {DEV}:300 busybox true",
         diff="blkio-weight-device-unsupported", want=(0, "Weight-device discarded.")),
    Case(f"{_C} --blkio-weight-device {DEV}:300 busybox true",
         diff="blkio-weight-device-unsupported", want=(0, "Weight-device discarded.")),
    Case("update --blkio-weight 300 {u}", setup=("run -d --name {u} busybox sleep 100",),
         diff="blkio-weight-device-unsupported", want=(0, "Weight discarded.")),
    Case(f"update --blkio-weight-device {DEV}:300 {{u}}",
         setup=("run -d --name {u} busybox sleep 100",),
         diff="blkio-weight-device-unsupported", want=(0, "Weight-device discarded.")),
    Case(f"exec {{u}} cat {_THROTTLE}.read_bps_device",
         setup=(f"run -d --name {{u}} --device-read-bps {DEV}:1m busybox sleep 100",
                f"update --device-read-bps {DEV}:2m {{u}}"),
         diff="blkio-update", want=(0, "=7:7 2097152\n")),
    Case(f"exec {{u}} cat {_THROTTLE}.read_bps_device",
         setup=(f"run -d --name {{u}} --device-read-bps {DEV}:1m busybox sleep 100",
                f"update --device-read-bps {DEV}:2m {{u}}", "update --memory 64m {u}"),
         diff="blkio-update", want=(0, "=7:7 2097152\n")),
    Case(f"inspect --format '{_FMT}' {{u}}",
         setup=(f"run -d --name {{u}} --device-read-bps {DEV}:1m busybox sleep 100",
                f"update --device-read-bps {DEV}:2m --device-write-iops {DEV}:5 {{u}}"),
         diff="update-inspect", want=(0, f"={DEV}=2097152 {DEV}=5 \n")),
]
