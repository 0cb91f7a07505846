"""sd_notify(3) in a few lines of stdlib: tell the service manager about our state."""

from __future__ import annotations

import os
import socket


def sd_notify(state: str) -> bool:
    """Send `state` ("READY=1", "STATUS=...") to $NOTIFY_SOCKET.

    Returns False if no one asked for notifications (the variable is unset); a socket that
    is set but unusable raises OSError, as a misconfigured supervisor should be noticed.
    """
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address[0] == "@":  # abstract namespace: a leading NUL byte on the wire
        address = "\0" + address[1:]
    elif address[0] != "/":
        raise OSError(f"unsupported NOTIFY_SOCKET address {address!r}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        sock.sendto(state.encode(), address)
    return True
