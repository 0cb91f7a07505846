"""terminals: the pure parts: the monitor's `ctl` lines and where the detach keys come from."""

from __future__ import annotations

import pytest

from conmon.terminal import parse_ctl
from supervisor.terminal.detach import DetachKeysError, resolve_detach_keys


def test_ctl_lines_are_conmons_resize_and_nothing_else_matters() -> None:
    assert parse_ctl(b"1 24 80\n1 41 123\n") == [(24, 80), (41, 123)]
    # Other kinds (conmon's 2 = reopen the log), junk and out-of-range sizes are ignored.
    assert parse_ctl(b"2 0 0\nhello\n1 x 80\n1 70000 1\n1 -1 5\n\n1 5 6") == [(5, 6)]


def test_detach_keys_flag_then_containers_conf_then_podmans_default() -> None:
    assert resolve_detach_keys(None, None) == b"\x10\x11"
    assert resolve_detach_keys(None, "ctrl-x") == b"\x18"
    assert resolve_detach_keys(None, "") == b""  # containers.conf turns detaching off
    assert resolve_detach_keys("ctrl-a,d", "") == b"\x01d"
    with pytest.raises(DetachKeysError):
        resolve_detach_keys("ctrl-zz", None)
