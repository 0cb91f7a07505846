"""misc (issue 19): `run --personality` (OCI `linux.personality`). runc 1.1 ignores the spec's
domain, but a process's execution domain is inherited across fork and exec: the runtime started
under it hands it to the container's processes. So the monitor (and exec) set it around the
runtime's start and put their own back. Standard library only, ctypes loaded only when used."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

# <linux/personality.h>
DOMAINS = {"LINUX": 0x0000, "LINUX32": 0x0008}
_QUERY = 0xFFFFFFFF


def _call(value: int) -> int:
    import ctypes
    import os

    libc = ctypes.CDLL(None, use_errno=True)
    libc.personality.argtypes = [ctypes.c_ulong]
    result = int(libc.personality(value))
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return result


def set_domain(domain: str) -> Callable[[], None]:
    """This process (and what it starts) runs in `domain` from now; returns what restores."""
    old = _call(_QUERY)
    _call((old & ~0xFF) | DOMAINS[domain])

    def restore() -> None:
        _call(old)

    return restore


@contextmanager
def execution_domain(domain: str) -> Iterator[None]:
    """Within: this process (and what it starts) runs in `domain` ("": left as it is)."""
    if not domain:
        yield
        return
    restore = set_domain(domain)
    try:
        yield
    finally:
        restore()
