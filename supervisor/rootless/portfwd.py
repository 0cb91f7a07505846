"""The user's TCP port forwarder (issue 17), Podman's rootlessport for user networks.

slirp4netns's own forwarder runs every published byte through a userspace TCP stack (measured
here: ~22 MiB/s against rootlessport's ~60). This process lives in the user's network
namespace (`rootless/netns.py`), one per user, beside the slirp4netns. It is handed listening
sockets made in the host's namespace (a socket keeps the namespace it was made in) over its
control socket (`SCM_RIGHTS`), accepts there, and connects, from its own namespace, to
10.0.2.100:PORT, which the table's `output` chain DNATs to the container (the same element
as a forwarded packet's). Two threads copy each connection's directions. UDP stays with
slirp4netns (a datagram forwarder needs sessions per client).

Control requests, one per connection, JSON: `{"add": [ADDR, PORT]}` with the listening
socket attached, `{"remove": [ADDR, PORT]}`; the answer is `ok`. Standard library only,
started as `python3 -I -S` (a few MiB, like the monitor).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import sys
import threading

TARGET = "10.0.2.100"  # slirp4netns's tap0 address: local in the namespace, DNATed there
BUF = 1 << 18


def _pump(src: socket.socket, dst: socket.socket) -> None:
    buf = bytearray(BUF)
    view = memoryview(buf)
    try:
        while n := src.recv_into(buf):
            dst.sendall(view[:n])
    except OSError:
        pass
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def _serve(client: socket.socket, port: int) -> None:
    try:
        with contextlib.closing(client):
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                out = socket.create_connection((TARGET, port), timeout=10)
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
            _drop(where, sel, listeners)
            lis = socket.socket(fileno=fds[0])
            lis.setblocking(False)
            listeners[where] = lis
            sel.register(lis, selectors.EVENT_READ, where[1])
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
