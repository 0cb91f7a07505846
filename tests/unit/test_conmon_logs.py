"""conmon.logs: CRI lines and k8s-file rotation against the real file system."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from conmon.logs import K8sFileLog, format_cri_line, rotation_renames

T0 = 1_795_411_464 * 10**9


def clock() -> object:
    counter = itertools.count()
    return lambda: T0 + next(counter)


def test_cri_line_format() -> None:
    assert format_cri_line(T0, "stdout", b"hi there", False) == (
        b"2026-11-23T05:24:24.000000000Z stdout F hi there\n"
    )
    assert format_cri_line(T0 + 7, "stderr", b"", True) == (
        b"2026-11-23T05:24:24.000000007Z stderr P \n"
    )


def test_rotation_renames_oldest_first() -> None:
    assert rotation_renames("c.log", 1) == []
    assert rotation_renames("c.log", 2) == [("c.log", "c.log.1")]
    assert rotation_renames("c.log", 4) == [
        ("c.log.2", "c.log.3"),
        ("c.log.1", "c.log.2"),
        ("c.log", "c.log.1"),
    ]


def _lines(path: Path) -> list[bytes]:
    return [line.split(b" ", 3)[3] for line in path.read_bytes().splitlines()]


def test_rotation_keeps_max_file_files(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    line_len = len(format_cri_line(T0, "stdout", b"x00", False))  # 40 bytes
    log = K8sFileLog(str(path), max_size=2 * line_len, max_file=3, clock=clock())  # type: ignore[arg-type]
    for i in range(7):
        log.write("stdout", b"x%02d" % i, False)
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctr.log", "ctr.log.1", "ctr.log.2"]
    assert _lines(path) == [b"x06"]
    assert _lines(tmp_path / "ctr.log.1") == [b"x04", b"x05"]
    assert _lines(tmp_path / "ctr.log.2") == [b"x02", b"x03"]
    assert log.errors == 0
    assert all(p.stat().st_size <= 2 * line_len for p in tmp_path.iterdir())


def test_rotation_never_truncates_the_open_file(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    log = K8sFileLog(str(path), max_size=60, max_file=1, clock=clock())  # type: ignore[arg-type]
    log.write("stdout", b"first", False)
    reader = path.open("rb")  # a `logs -f` reader holding the old file
    log.write("stdout", b"second line that does not fit", False)
    log.close()
    assert reader.read().endswith(b"stdout F first\n")  # old inode intact, not truncated
    reader.close()
    assert _lines(path) == [b"second line that does not fit"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctr.log"]


def test_unlimited_size_never_rotates(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    log = K8sFileLog(str(path), max_size=0, max_file=5)
    for _ in range(100):
        log.write("stderr", b"y" * 100, False)
    log.close()
    assert len(_lines(path)) == 100
    assert [p.name for p in tmp_path.iterdir()] == ["ctr.log"]


def test_appends_to_an_existing_log(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    path.write_bytes(format_cri_line(T0, "stdout", b"before restart", False))
    log = K8sFileLog(str(path), max_size=0)
    log.write("stdout", b"after", False)
    log.close()
    assert _lines(path) == [b"before restart", b"after"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="PREREQUISITE MISSING: /dev/full")
def test_write_errors_are_counted_and_reported(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = K8sFileLog("/dev/full", max_size=0)  # every write fails with ENOSPC
    for _ in range(3):
        log.write("stdout", b"lost", False)
    log.close()
    assert log.errors == 3
    err = capfd.readouterr().err
    assert "log error #1" in err and "log error #2" in err and "No space left" in err
    assert "log error #3" not in err  # rate-limited: powers of two only


def test_a_block_is_its_lines_with_one_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    log = K8sFileLog(str(path), clock=lambda: T0)
    log.write_block("stderr", b"a\n\nbc\n")
    log.close()
    assert path.read_bytes() == b"".join(
        format_cri_line(T0, "stderr", line, False) for line in (b"a", b"", b"bc"))


def test_a_block_that_would_pass_the_size_rotates_between_lines(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    line_len = len(format_cri_line(T0, "stdout", b"x00", False))
    log = K8sFileLog(str(path), max_size=2 * line_len, max_file=3, clock=clock())  # type: ignore[arg-type]
    log.write_block("stdout", b"".join(b"x%02d\n" % i for i in range(5)))
    log.close()
    assert _lines(path) == [b"x04"]
    assert _lines(tmp_path / "ctr.log.1") == [b"x02", b"x03"]
    assert _lines(tmp_path / "ctr.log.2") == [b"x00", b"x01"]


def _files(top: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(top.iterdir())}


@pytest.mark.parametrize("max_size", [1, 45, 100, 333, 4096])
def test_a_block_splits_at_rotations_as_its_lines_would(tmp_path: Path, max_size: int) -> None:
    """One block over several rotations (and lines longer than max_size alone) leaves the
    same files, byte for byte, as its lines written one by one."""
    lines = [b"y" * (i * 37 % 211) for i in range(60)]
    by_line, by_block = tmp_path / "line", tmp_path / "block"
    for top in (by_line, by_block):
        top.mkdir()
        log = K8sFileLog(str(top / "ctr.log"), max_size=max_size, max_file=100, clock=lambda: T0)
        if top is by_line:
            for line in lines:
                log.write("stdout", line, False)
        else:
            log.write_block("stdout", b"".join(line + b"\n" for line in lines))
        log.close()
    assert _files(by_block) == _files(by_line)
    assert len(_files(by_line)) > 1


def test_a_block_whose_rotation_fails_goes_on_in_the_current_file(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctr.log"
    (tmp_path / "ctr.log.1" / "in-the-way").mkdir(parents=True)  # rename onto it fails
    line_len = len(format_cri_line(T0, "stdout", b"x00", False))
    log = K8sFileLog(str(path), max_size=2 * line_len, max_file=2, clock=clock())  # type: ignore[arg-type]
    log.write_block("stdout", b"".join(b"x%02d\n" % i for i in range(5)))
    log.close()
    assert _lines(path) == [b"x%02d" % i for i in range(5)]  # an oversize log, no lost line
    assert log.errors == 1
    assert "rotating" in capfd.readouterr().err
