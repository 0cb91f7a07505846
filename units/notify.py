"""sd_notify(3) in a few lines: tell the service manager about our state.

Builtin modules only (``_socket``): the container's monitor imports this and lives as long as
the container.
"""

from __future__ import annotations

import _socket


def sd_notify(state: str, address: str | None = None) -> bool:
    """Send `state` ("READY=1", "MAINPID=N", "STATUS=...") to $NOTIFY_SOCKET (or `address`).

    Returns False if no one asked for notifications (the variable is unset); a socket that
    is set but unusable raises OSError, as a misconfigured supervisor should be noticed.
    """
    if address is None:
        import os  # the monitor passes `address` and never loads `os`

        address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address[0] == "@":  # abstract namespace: a leading NUL byte on the wire
        address = "\0" + address[1:]
    elif address[0] != "/":
        raise OSError(f"unsupported NOTIFY_SOCKET address {address!r}")
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
    try:
        sock.sendto(state.encode(), address)
    finally:
        sock.close()
    return True
