"""Signal names and numbers as `kill -s`, `--stop-signal` take them."""

from __future__ import annotations

import signal

from supervisor.errors import UsageError


def parse_signal(value: str | int) -> int:
    """Podman's parsing (its util.ParseSignal over Docker's signal.ParseSignal), and its error
    texts, which its own tests match: a leading dash is dropped, a number must be 1 to 64."""
    raw = str(value).removeprefix("-")
    if raw.isascii() and raw.isdigit():
        num = int(raw)
        if num == 0:
            raise UsageError(f"invalid signal: {raw}")
        if num > 64:
            raise UsageError("valid signals are 1 through 64")
        return num
    name = raw.upper().removeprefix("SIG")
    sig = getattr(signal.Signals, f"SIG{name}", None) if name.isidentifier() else None
    if not isinstance(sig, signal.Signals):
        raise UsageError(f"invalid signal: {raw}")
    return int(sig)
