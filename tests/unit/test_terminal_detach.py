"""Detach keys: Podman's parsing and errors, and the pure matcher."""

from __future__ import annotations

import pytest

from supervisor.terminal.detach import (
    DEFAULT_DETACH_KEYS,
    DetachKeysError,
    DetachMatcher,
    parse_detach_keys,
)


def test_default_keys_are_ctrl_p_ctrl_q() -> None:
    assert parse_detach_keys(DEFAULT_DETACH_KEYS) == b"\x10\x11"


@pytest.mark.parametrize(
    ("spec", "keys"),
    [("", b""), ("a", b"a"), ("ctrl-a,x", b"\x01x"), ("ctrl-@,ctrl-_", b"\x00\x1f"),
     ("ctrl-[,ctrl-\\,ctrl-],ctrl-^", b"\x1b\x1c\x1d\x1e")],
)
def test_parse(spec: str, keys: bytes) -> None:
    assert parse_detach_keys(spec) == keys


@pytest.mark.parametrize("spec", ["bogus", "ctrl-zz", "ctrl-1", "a,,b"])
def test_bad_keys_are_podmans_error(spec: str) -> None:
    with pytest.raises(DetachKeysError) as err:
        parse_detach_keys(spec)
    assert str(err.value).startswith("invalid detach keys: Unknown character: '")


def test_sequence_detaches_and_drops_what_follows() -> None:
    m = DetachMatcher(b"\x10\x11")
    assert m.feed(b"ab\x10") == (b"ab", False)
    assert m.held == b"\x10"
    assert m.feed(b"\x11zz") == (b"", True)


def test_broken_sequence_passes_held_bytes_on_in_order() -> None:
    m = DetachMatcher(b"\x10\x11")
    assert m.feed(b"\x10") == (b"", False)
    assert m.feed(b"x") == (b"\x10x", False)
    assert m.held == b""


def test_repeated_first_key_restarts_the_match() -> None:
    m = DetachMatcher(b"\x10\x11")
    assert m.feed(b"\x10\x10\x11") == (b"\x10", True)


def test_single_key_and_disabled() -> None:
    assert DetachMatcher(b"q").feed(b"abqc") == (b"ab", True)
    assert DetachMatcher(b"").feed(b"\x10\x11") == (b"\x10\x11", False)
