"""conmon.framing: pure line framing (bytes in, records out)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conmon.framing import LineFramer


def test_complete_lines_are_full_records() -> None:
    f = LineFramer("stdout")
    assert f.feed(b"a\nbc\n\n") == [("stdout", b"a", False), ("stdout", b"bc", False),
                                   ("stdout", b"", False)]  # fmt: skip
    assert f.pending == 0
    assert f.finish() == []


def test_line_split_across_chunks_waits_for_newline() -> None:
    f = LineFramer("stderr")
    assert f.feed(b"hel") == []
    assert f.pending == 3
    assert f.feed(b"lo\nwor") == [("stderr", b"hello", False)]
    assert f.finish() == [("stderr", b"wor", True)]  # no newline at EOF: partial
    assert f.finish() == []


def test_overlong_line_is_cut_into_partials() -> None:
    f = LineFramer("stdout", max_line=4)
    assert f.feed(b"abcdefghij") == [("stdout", b"abcd", True), ("stdout", b"efgh", True)]
    assert f.feed(b"\n") == [("stdout", b"ij", False)]


def test_line_of_exactly_max_is_one_full_record() -> None:
    f = LineFramer("stdout", max_line=4)
    assert f.feed(b"abcd") == []  # could still be a full line of max length
    assert f.feed(b"\n") == [("stdout", b"abcd", False)]
    assert f.feed(b"abcde") == [("stdout", b"abcd", True)]
    assert f.feed(b"\n") == [("stdout", b"e", False)]


def test_max_line_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_line"):
        LineFramer("stdout", max_line=0)


@given(st.lists(st.binary(max_size=40), max_size=20), st.integers(min_value=1, max_value=9))
def test_records_reassemble_the_stream(chunks: list[bytes], max_line: int) -> None:
    f = LineFramer("stdout", max_line=max_line)
    records = [r for c in chunks for r in f.feed(c)] + f.finish()
    rebuilt = b"".join(data + (b"" if partial else b"\n") for _s, data, partial in records)
    assert rebuilt == b"".join(chunks)
    assert all(len(data) <= max_line for _s, data, _p in records)
    assert all(b"\n" not in data for _s, data, _p in records)
    assert f.pending == 0


@given(
    chunks=st.lists(st.text(alphabet="ab\n", max_size=40).map(str.encode), max_size=12),
    max_line=st.integers(min_value=1, max_value=9),
)
def test_feed_block_frames_as_feed_does(chunks: list[bytes], max_line: int) -> None:
    """The block path is the same framing, only batched: its records, with each block's
    lines as full records in between, equal feed's, chunk by chunk."""
    slow, fast = LineFramer("stdout", max_line), LineFramer("stdout", max_line)
    for chunk in chunks:
        records, block = fast.feed_block(chunk)
        got = records + [("stdout", line, False) for line in block.split(b"\n")[:-1]]
        assert got == slow.feed(chunk)
        assert fast.pending == slow.pending
    assert fast.finish() == slow.finish()


def test_feed_block_batches_short_lines() -> None:
    f = LineFramer("stdout", max_line=8)
    f.feed(b"he")
    assert f.feed_block(b"llo\nab\ncd\nef\ntail") == ([], b"hello\nab\ncd\nef\n")
    assert f.pending == 4
    # a first line longer than max_line: its pieces as records, then the block
    assert f.feed_block(b"12345\nz\ny\n") == (
        [("stdout", b"tail1234", True), ("stdout", b"5", False)], b"z\ny\n")
    # a line that may be over-long in the middle: the whole chunk goes line by line
    records, block = f.feed_block(b"t\n" + b"x" * 20 + b"\nz\n")
    assert block == b"" and records[0] == ("stdout", b"t", False)
    assert ("stdout", b"x" * 8, True) in records
