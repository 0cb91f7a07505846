"""The user's TCP port forwarder (issue 17), Podman's rootlessport for user networks.

slirp4netns's own forwarder runs every published byte through a userspace TCP stack (measured
here: ~22 MiB/s against rootlessport's ~60). This process lives in the user's network
namespace (`rootless/netns.py`), one per user, beside the slirp4netns. It is handed listening
sockets made in the host's namespace (a socket keeps the namespace it was made in) over its
control socket (`SCM_RIGHTS`), accepts there, and connects, from its own namespace, straight
to the container's address and port (no NAT on the way; a table flushed meanwhile does not
matter). Two threads copy each connection's directions, by splice(2). UDP stays with
slirp4netns (a datagram forwarder needs sessions per client).

Control requests, one per connection, JSON: `{"add": [ADDR, PORT], "to": [IP, PORT]}` with
the listening socket attached, `{"remove": [ADDR, PORT]}`; the answer is `ok`. Standard
library only, started as `python3 -I -S` (~4.7 MiB private, one per user).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import sys
import threading

TARGET = "10.0.2.100"  # without "to": tap0's address, DNATed by the namespace's table
BUF = 1 << 18


def _pump(src: socket.socket, dst: socket.socket) -> None:
    """One direction until EOF: splice(2) through a pipe (the bytes stay in the kernel),
    else recv/send."""
    with contextlib.suppress(OSError):
        _splice(src, dst)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def _splice(src: socket.socket, dst: socket.socket) -> None:
    import os

    try:
        r, w = os.pipe2(os.O_CLOEXEC)
    except OSError:
        return _copy(src, dst)
    try:
        while n := os.splice(src.fileno(), w, BUF, flags=os.SPLICE_F_MOVE):
            while n:
                n -= os.splice(r, dst.fileno(), n, flags=os.SPLICE_F_MOVE)
    finally:
        os.close(r)
        os.close(w)
    return None


def _copy(src: socket.socket, dst: socket.socket) -> None:
    buf = bytearray(BUF)
    view = memoryview(buf)
    while n := src.recv_into(buf):
        dst.sendall(view[:n])


def _serve(client: socket.socket, target: tuple[str, int]) -> None:
    try:
        with contextlib.closing(client):
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                out = socket.create_connection(target, timeout=10)
            except OSError:
                return  # nothing there (the container is going): the client sees a close
            with contextlib.closing(out):
                out.settimeout(None)
                out.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                back = threading.Thread(target=_pump, args=(out, client), daemon=True)
                back.start()
                _pump(client, out)
                back.join()
    except Exception:  # one connection's trouble never stops the forwarder
        pass


def main(argv: list[str]) -> None:
    ctl = socket.socket(fileno=int(argv[0]))
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ, None)
    listeners: dict[tuple[str, int], socket.socket] = {}
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if key.data is None:
                _control(ctl, sel, listeners)
                continue
            try:
                client, _ = sock.accept()
            except OSError:
                continue
            client.setblocking(True)
            threading.Thread(target=_serve, args=(client, key.data), daemon=True).start()


def _control(ctl: socket.socket, sel: selectors.BaseSelector,
             listeners: dict[tuple[str, int], socket.socket]) -> None:
    try:
        conn, _ = ctl.accept()
    except OSError:
        return
    with contextlib.closing(conn):
        conn.settimeout(5)
        try:
            msg, fds, _, _ = socket.recv_fds(conn, 4096, 4)
            req = json.loads(msg)
        except (OSError, ValueError):
            return
        if "add" in req and fds:
            where = (str(req["add"][0]), int(req["add"][1]))
            to = req.get("to") or [TARGET, where[1]]
            _drop(where, sel, listeners)
            lis = socket.socket(fileno=fds[0])
            lis.setblocking(False)
            listeners[where] = lis
            sel.register(lis, selectors.EVENT_READ, (str(to[0]), int(to[1])))
        elif "remove" in req:
            _drop((str(req["remove"][0]), int(req["remove"][1])), sel, listeners)
        with contextlib.suppress(OSError):
            conn.sendall(b"ok")


def _drop(where: tuple[str, int], sel: selectors.BaseSelector,
          listeners: dict[tuple[str, int], socket.socket]) -> None:
    old = listeners.pop(where, None)
    if old is not None:
        sel.unregister(old)
        old.close()


if __name__ == "__main__":
    main(sys.argv[1:])
