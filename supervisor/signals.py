"""Signal names and numbers as `kill -s`, `--stop-signal` take them."""

from __future__ import annotations

import signal

from supervisor.errors import UsageError


def parse_signal(value: str | int) -> int:
    text = str(value).strip().upper()
    if text.isdigit():
        num = int(text)
        if 0 < num < signal.NSIG:
            return num
        raise UsageError(f"invalid signal {value!r}")
    name = text if text.startswith("SIG") else f"SIG{text}"
    sig = getattr(signal.Signals, name, None) if name.isidentifier() else None
    if not isinstance(sig, signal.Signals):
        raise UsageError(f"invalid signal {value!r}")
    return int(sig)
