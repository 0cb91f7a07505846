"""Reading k8s-file logs back: CRI line parsing and --tail."""

from __future__ import annotations

from pathlib import Path

from supervisor.logs import LogQuery, parse_cri_line, read_logs
from supervisor.state import Status
from supervisor.store import ContainerRow
from tests.unit.configs import config


def cri(text: str, stream: str = "stdout", flag: str = "F") -> bytes:
    return f"2026-11-23T05:14:24.123456789Z {stream} {flag} {text}\n".encode()


def row() -> ContainerRow:
    return ContainerRow(
        id="c" * 64,
        name="x",
        image_id="",
        image_name="",
        created="",
        status=Status.RUNNING,
        config=config(),
    )


def test_parse_cri_line() -> None:
    rec = parse_cri_line(cri("hello world", "stderr"))
    assert rec is not None and rec.stream == "stderr" and rec.data == b"hello world\n"
    part = parse_cri_line(cri("no-newline", flag="P"))
    assert part is not None and part.partial and part.data == b"no-newline"
    assert parse_cri_line(b"garbage\n") is None


def test_tail_counts_lines_not_partial_records(tmp_path: Path) -> None:
    path = tmp_path / "ctr.log"
    path.write_bytes(cri("a") + cri("b1", flag="P") + cri("b2") + cri("c"))
    recs = list(read_logs(row(), str(path), LogQuery(tail=2), lambda: False, 0))
    assert b"".join(r.data for r in recs) == b"b1b2\nc\n"
