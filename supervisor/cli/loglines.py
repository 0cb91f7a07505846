"""Podman's log lines on stderr (logrus' text form: `time="..." level=info msg="..."`), shown
from the global `--log-level` (default warn) up. Scripts and Podman's own tests look for the
`level=` words, so the form is Podman's; what is logged is scopebox's own."""

from __future__ import annotations

import sys

LEVELS = ("trace", "debug", "info", "warn", "warning", "error", "fatal", "panic")
_RANK = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "warning": 3, "error": 4, "fatal": 5,
         "panic": 6}  # fmt: skip
_threshold = _RANK["warn"]


def set_level(level: str) -> None:
    global _threshold
    _threshold = _RANK[level]


def enabled(level: str) -> bool:
    return _RANK[level] >= _threshold


def log(level: str, message: str) -> None:
    """One line if `level` is shown; `warn` prints as logrus names it, `warning`."""
    if not enabled(level):
        return
    import time

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    name = "warning" if level == "warn" else level
    text = message.replace("\\", "\\\\").replace('"', '\\"')
    print(f'time="{stamp}" level={name} msg="{text}"', file=sys.stderr, flush=True)
