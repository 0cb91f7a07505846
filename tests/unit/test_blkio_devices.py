"""blkio (issue 19): the per-device block I/O flags, parsed and checked as Podman 4.3 does
(its messages, read from the real podman on the test bed), turned into OCI's blockIO, shown
by inspect, merged by update, rendered back by `generate systemd --new`, and the kernel's
file formats (cgroupfs.blkio)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

import pytest

from cgroupfs import blkio
from supervisor import notices, unitgen
from supervisor.cli.common import add_create_flags, resource_options
from supervisor.errors import UsageError
from supervisor.options import CreateOptions
from supervisor.resources import (
    NO_WEIGHT,
    NO_WEIGHT_DEVICE,
    NOT_BLOCK,
    BlkioSupport,
    ResourceOptions,
    device_numbers,
    discard_unsupported,
    oci_resources,
    parse_device_rate,
    parse_weight_device,
)
from supervisor.update import io_max_rules, merge, rules
from supervisor.views_podman import _blkio_devices

LOOP = "/dev/loop0"
DEVICES = {LOOP: (7, 0), "/dev/sdb": (8, 16), "/dev/null": NOT_BLOCK,
           "/dev/nosuch": "no such file or directory"}  # fmt: skip
BPS_HELP = (". The correct format is <device-path>:<number>[<unit>]. Number must be a positive"
            " integer. Unit is optional and can be kb, mb, or gb")
IOPS_HELP = ". The correct format is <device-path>:<number>. Number must be a positive integer"


@pytest.mark.parametrize(("rate", "value"), [
    ("1mb", 1 << 20), ("1m", 1 << 20), ("1MB", 1 << 20), ("1mib", 1 << 20), ("1KiB", 1024),
    ("1 mb", 1 << 20), ("1.5mb", 3 << 19), ("1b", 1), ("7", 7), ("0", 0), ("1t", 1 << 40),
    ("2g", 2 << 30),
])  # fmt: skip
def test_bps_units_as_podman(rate: str, value: int) -> None:
    assert parse_device_rate("device_read_bps", f"{LOOP}:{rate}") == (LOOP, value)


@pytest.mark.parametrize("rate", ["abc", "-1", "+5", "", "1.2.3", "1m:2", "1  mb", "1x",
                                  "18446744073709551615", "١"])
def test_bad_bps_has_podmans_message(rate: str) -> None:
    item = f"{LOOP}:{rate}"
    with pytest.raises(UsageError) as exc:
        parse_device_rate("device_write_bps", item)
    assert str(exc.value) == f"invalid rate for device: {item}{BPS_HELP}"


@pytest.mark.parametrize("rate", ["1.5", "abc", "-3", "+5", "", "1k", "18446744073709551616"])
def test_bad_iops_has_podmans_message(rate: str) -> None:
    item = f"{LOOP}:{rate}"
    with pytest.raises(UsageError) as exc:
        parse_device_rate("device_read_iops", item)
    assert str(exc.value) == f"invalid rate for device: {item}{IOPS_HELP}"


def test_iops_is_a_plain_count() -> None:
    assert parse_device_rate("device_write_iops", f"{LOOP}:1000") == (LOOP, 1000)
    assert parse_device_rate("device_write_iops", f"{LOOP}:{2**64 - 1}") == (LOOP, 2**64 - 1)


@pytest.mark.parametrize(("item", "message"), [
    (LOOP, f"bad format: {LOOP}"),
    ("/tmp:1m", "bad format for device path: /tmp:1m"),
    (":1m", "bad format for device path: :1m"),
    ("relative:1m", "bad format for device path: relative:1m"),
])  # fmt: skip
def test_bad_format(item: str, message: str) -> None:
    for name in ("device_read_bps", "device_write_iops"):
        with pytest.raises(UsageError, match=f"^{message}$"):
            parse_device_rate(name, item)
    with pytest.raises(UsageError, match=f"^{message.replace('1m', '300')}$"):
        parse_weight_device(item.replace("1m", "300"))


@pytest.mark.parametrize("weight", ["5", "1001", "abc", "", "-1", "9"])
def test_bad_weight_device(weight: str) -> None:
    with pytest.raises(UsageError, match=f"^invalid weight for device: {LOOP}:{weight}$"):
        parse_weight_device(f"{LOOP}:{weight}")


def test_weight_device_range() -> None:
    assert [parse_weight_device(f"{LOOP}:{w}")[1] for w in ("0", "10", "1000")] == [0, 10, 1000]


def test_oci_block_io_has_the_numbers_and_the_last_rate_per_device() -> None:
    opts = ResourceOptions(
        device_read_bps=(f"{LOOP}:1m", "/dev/sdb:2k", f"{LOOP}:2m"),
        device_write_bps=(f"{LOOP}:1k",), device_read_iops=(f"{LOOP}:100",),
        device_write_iops=("/dev/sdb:5",), blkio_weight_device=(f"{LOOP}:300",),
        blkio_weight=200,
    )
    block = oci_resources(opts, {0}, {0}, DEVICES)["blockIO"]
    assert block == {
        "weight": 200,
        "weightDevice": [{"major": 7, "minor": 0, "weight": 300}],
        "throttleReadBpsDevice": [{"major": 7, "minor": 0, "rate": 2 << 20},
                                  {"major": 8, "minor": 16, "rate": 2048}],
        "throttleWriteBpsDevice": [{"major": 7, "minor": 0, "rate": 1024}],
        "throttleReadIOPSDevice": [{"major": 7, "minor": 0, "rate": 100}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 5}],
    }  # fmt: skip
    assert "blockIO" not in oci_resources(ResourceOptions(), {0}, {0}, {})


@pytest.mark.parametrize(("opts", "message"), [
    (ResourceOptions(device_read_bps=("/dev/nosuch:1m",)),
     "could not parse throttle device at /dev/nosuch: no such file or directory"),
    (ResourceOptions(device_write_iops=("/dev/null:3",)),
     "could not parse throttle device at /dev/null: not a block device"),
    (ResourceOptions(blkio_weight_device=("/dev/nosuch:300",)),
     "failed to inspect '/dev/nosuch' in --blkio-weight-device: no such file or directory"),
    # Podman's order: the weight device first, then read bps before write iops
    (ResourceOptions(device_write_iops=(f"{LOOP}:x",), device_read_bps=(f"{LOOP}:y",)),
     f"invalid rate for device: {LOOP}:y{BPS_HELP}"),
    (ResourceOptions(device_read_bps=(f"{LOOP}:1m:2",), blkio_weight_device=(f"{LOOP}:5",)),
     f"invalid weight for device: {LOOP}:5"),
])  # fmt: skip
def test_device_refused(opts: ResourceOptions, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        oci_resources(opts, {0}, {0}, DEVICES)
    assert str(exc.value) == message


def test_device_numbers_from_the_host() -> None:
    found = device_numbers({"/dev/null", "/dev/nosuch-blkio", "/dev"})
    assert found == {"/dev/null": NOT_BLOCK, "/dev/nosuch-blkio": "no such file or directory",
                     "/dev": NOT_BLOCK}  # fmt: skip


def parse(argv: list[str]) -> ResourceOptions:
    p = argparse.ArgumentParser(add_help=False)
    add_create_flags(p)
    return resource_options(p.parse_args([*argv, "busybox"]))


def test_flags_split_at_commas_as_podmans_strings_except_the_weight_device() -> None:
    opts = parse(["--device-read-bps", f"{LOOP}:1m,{LOOP}:2m", "--device-read-bps", "/dev/sdb:1k",
                  "--device-write-iops", f"{LOOP}:5", "--blkio-weight-device", f"{LOOP}:300"])
    assert opts.device_read_bps == (f"{LOOP}:1m", f"{LOOP}:2m", "/dev/sdb:1k")
    assert opts.device_write_iops == (f"{LOOP}:5",)
    assert opts.blkio_weight_device == (f"{LOOP}:300",)
    with pytest.raises(UsageError, match=f"^bad format: {LOOP}$"):
        oci_resources(parse(["--device-read-bps", f"{LOOP},{LOOP}:1k"]), {0}, {0}, DEVICES)


@pytest.mark.parametrize(("value", "why"), [("abc", "invalid syntax"), ("-1", "invalid syntax"),
                                            (str(2**64), "value out of range")])
def test_blkio_weight_is_podmans_unsigned_number(value: str, why: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse(["--blkio-weight", value])
    assert str(exc.value) == (
        f'invalid value for blkio-weight: strconv.ParseUint: parsing "{value}": {why}'
    )
    assert parse(["--blkio-weight", "300"]).blkio_weight == 300


def test_weights_the_kernel_cannot_apply_are_dropped_with_podmans_warning() -> None:
    heard: list[str] = []
    notices.listen(heard.append)
    notices._said.clear()
    try:
        opts = ResourceOptions(blkio_weight=5, blkio_weight_device=(f"{LOOP}:300",),
                               device_read_bps=(f"{LOOP}:1m",))
        kept = discard_unsupported(opts, BlkioSupport(False, False), DEVICES)
        assert kept == ResourceOptions(device_read_bps=(f"{LOOP}:1m",))
        assert heard == [NO_WEIGHT, NO_WEIGHT_DEVICE]
        assert discard_unsupported(opts, BlkioSupport(True, True), DEVICES) == opts
        # a weight device is still checked before it is dropped
        with pytest.raises(UsageError, match=r"^failed to inspect '/dev/nosuch'"):
            discard_unsupported(ResourceOptions(blkio_weight_device=("/dev/nosuch:300",)),
                                BlkioSupport(False, False), DEVICES)
    finally:
        notices._sink = None
        notices._said.clear()


def test_inspect_shows_path_and_rate_or_null() -> None:
    opts = ResourceOptions(device_read_bps=(f"{LOOP}:1m", f"{LOOP}:2k"),
                           blkio_weight_device=(f"{LOOP}:300",))
    shown = _blkio_devices(opts)
    assert shown == {
        "BlkioWeightDevice": [{"Path": LOOP, "Weight": 300}],
        "BlkioDeviceReadBps": [{"Path": LOOP, "Rate": 2048}],
        "BlkioDeviceWriteBps": None, "BlkioDeviceReadIOps": None, "BlkioDeviceWriteIOps": None,
    }  # fmt: skip


def test_update_replaces_only_the_devices_it_names() -> None:
    stored = ResourceOptions(device_read_bps=(f"{LOOP}:1m", "/dev/sdb:1k"), memory="64m",
                             device_write_iops=(f"{LOOP}:5",))
    merged = merge(stored, ResourceOptions(device_read_bps=(f"{LOOP}:2m",)))
    assert merged.device_read_bps == ("/dev/sdb:1k", f"{LOOP}:2m")
    assert merged.device_write_iops == (f"{LOOP}:5",) and merged.memory == "64m"
    assert merge(stored, ResourceOptions(memory="128m")).device_read_bps == stored.device_read_bps


def test_generate_new_renders_each_device_as_a_flag_run_accepts() -> None:
    """The options' tuples come back as one flag each (not a Python tuple's text)."""
    res = ResourceOptions(device_read_bps=(f"{LOOP}:1mb", "/dev/sdb:2k"),
                          device_write_iops=(f"{LOOP}:5",), blkio_weight_device=(f"{LOOP}:300",))
    args = unitgen.run_args(asdict(CreateOptions(image="busybox", network="", resources=res)), [])
    assert args == [f"--blkio-weight-device={LOOP}:300", f"--device-read-bps={LOOP}:1mb",
                    "--device-read-bps=/dev/sdb:2k", f"--device-write-iops={LOOP}:5", "busybox"]
    assert parse(args[:-1]) == res


V1_FILE = "7:0 1048576\n8:16 2048\n"
IO_MAX = "7:0 rbps=1048576 wbps=max riops=max wiops=50\n8:16 rbps=max wbps=2048 riops=7 wiops=max\n"


def test_kernel_formats() -> None:
    assert blkio.parse_v1_device_values(V1_FILE) == {(7, 0): 1048576, (8, 16): 2048}
    assert blkio.parse_v1_device_values("default 100\n7:0 300\n") == {(7, 0): 300}
    assert blkio.parse_io_max(IO_MAX) == {
        (7, 0): {"rbps": 1048576, "wbps": None, "riops": None, "wiops": 50},
        (8, 16): {"rbps": None, "wbps": 2048, "riops": 7, "wiops": None},
    }
    assert blkio.v1_line((7, 0), 0) == "7:0 0"
    assert blkio.io_max_line((7, 0), {"rbps": 10, "wiops": 0}) == (
        "7:0 rbps=10 wbps=max riops=max wiops=max"
    )


def test_update_rules_for_the_kernel_files() -> None:
    """What update writes after the runtime's update: every wanted rule, and "no limit" for
    a device the file holds that is no longer wanted."""
    assert rules(V1_FILE, {(7, 0): 2 << 20}) == ["8:16 0", "7:0 2097152"]
    assert rules("default 100\n8:16 300\n", {}, "default") == ["8:16 default"]
    block = {"throttleReadBpsDevice": [{"major": 7, "minor": 0, "rate": 5}],
             "throttleWriteIOPSDevice": [{"major": 7, "minor": 0, "rate": 9}]}
    assert io_max_rules(IO_MAX, block) == [
        "7:0 rbps=5 wbps=max riops=max wiops=9",
        "8:16 rbps=max wbps=max riops=max wiops=max",
    ]

