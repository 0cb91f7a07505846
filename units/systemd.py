"""Talk to systemd (PID 1) over D-Bus: transient scopes, stop/kill, unit state.

The messages come from the pure `units.dbus`; this module is the small blocking I/O layer
around them. One `Systemd` is one socket, used by one thread at a time.

As root the peer-to-peer socket `/run/systemd/private` is preferred: it needs no bus
daemon, takes no `Hello`, and systemd sends every signal on it unconditionally. Without
it, the system bus; there `JobRemoved` reaches us through an `AddMatch` rule, which must
be in place *before* the call that creates the job, or a fast job finishes unseen.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Self, TypeVar

from jeepney import HeaderFields, Message, Parser
from jeepney.auth import BEGIN, AuthenticationError, make_auth_external
from jeepney.bus import get_connectable_addresses

from units import dbus
from units.errors import (
    BusConnectionError,
    BusTimeoutError,
    JobFailedError,
    NoSuchUnitError,
    UnitsError,
    error_from_dbus,
)

PRIVATE_SOCKET = "/run/systemd/private"
SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket"
# systemd creates this directory early at boot when it is PID 1 (sd_booted()).
BOOTED_MARKER = "/run/systemd/system"

# systemd's DefaultTimeoutStopSec (90 s) plus a margin: a stop job may legitimately take that.
STOP_TIMEOUT = 100.0
CALL_TIMEOUT = 25.0  # sd-bus's default method call timeout
# Signals kept while nobody has asked for them yet (the private socket gets all of them).
_MAX_PENDING = 4096

Transport = Literal["private", "bus"]
T = TypeVar("T")
PropertyArg = dict[str, tuple[str, Any]] | Iterable[dbus.Property]


class _Connection:
    """An authenticated D-Bus socket: send calls, collect replies and JobRemoved signals."""

    def __init__(self, sock: socket.socket, address: str, transport: Transport) -> None:
        self._sock = sock
        self.address = address
        self.transport: Transport = transport
        self._parser = Parser()
        self._serial = 0
        self._jobs: dict[str, dbus.JobRemoved] = {}
        self._removed_units: dict[str, None] = {}  # an ordered set, oldest first
        # systemd sends every signal on its private socket; on the bus we must ask.
        self._watching_jobs = self._watching_units = transport == "private"

    @classmethod
    def open(cls, address: str, transport: Transport, timeout: float,
             uid: int | None = None) -> _Connection:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            rest = _authenticate(sock, time.monotonic() + timeout, uid)
            sock.settimeout(None)
        except (OSError, AuthenticationError) as exc:
            sock.close()
            raise BusConnectionError(address, str(exc) or type(exc).__name__) from exc
        conn = cls(sock, address, transport)
        conn._parser.add_data(rest)
        if transport == "bus":
            try:
                conn.call(dbus.hello(), timeout)
            except BaseException:
                conn.close()
                raise
        return conn

    def close(self) -> None:
        self._sock.close()

    def call(self, msg: Message, timeout: float) -> Message:
        """Send a method call and return its reply; a D-Bus error reply is raised."""
        deadline = time.monotonic() + timeout
        self._serial += 1
        serial = self._serial
        try:
            self._sock.sendall(msg.serialise(serial=serial))
        except OSError as exc:
            raise BusConnectionError(self.address, str(exc)) from exc
        method = dbus.method_name(msg)
        while True:
            reply = self._receive(deadline, method, timeout)
            if reply.header.fields.get(HeaderFields.reply_serial) != serial:
                continue
            error = dbus.parse_error(reply)
            if error is not None:
                raise error_from_dbus(error.name, error.detail, method)
            return reply

    def watch_jobs(self, timeout: float) -> None:
        """Make sure JobRemoved signals reach this connection (idempotent)."""
        if not self._watching_jobs:
            self.call(dbus.add_match(dbus.job_removed_rule()), timeout)
            self._watching_jobs = True

    def watch_unit_removals(self, timeout: float) -> None:
        """Make sure UnitRemoved signals reach this connection (idempotent)."""
        if not self._watching_units:
            self.call(dbus.add_match(dbus.unit_removed_rule()), timeout)
            # Unlike JobRemoved (sent to the job's requester), UnitRemoved reaches the bus
            # only while a client is subscribed; the subscription ends with our connection.
            self.call(dbus.subscribe(), timeout)
            self._watching_units = True

    def wait_job_removed(self, job: str, deadline: float, what: str) -> dbus.JobRemoved:
        timeout = max(deadline - time.monotonic(), 0.0)
        while job not in self._jobs:
            self._receive(deadline, what, timeout)
        return self._jobs.pop(job)

    def forget_unit_removed(self, unit: str) -> None:
        self._removed_units.pop(unit, None)

    def wait_unit_removed(self, unit: str, deadline: float, what: str) -> None:
        timeout = max(deadline - time.monotonic(), 0.0)
        while unit not in self._removed_units:
            self._receive(deadline, what, timeout)
        del self._removed_units[unit]

    def _receive(self, deadline: float, what: str, timeout: float) -> Message:
        """The next message; JobRemoved and UnitRemoved signals are filed on the way."""
        while (msg := self._parser.get_next_message()) is None:
            self._read_some(deadline, what, timeout)
        if (removed := dbus.parse_job_removed(msg)) is not None:
            _file(self._jobs, removed.job, removed)
        elif (unit := dbus.parse_unit_removed(msg)) is not None:
            _file(self._removed_units, unit, None)
        return msg

    def _read_some(self, deadline: float, what: str, timeout: float) -> None:
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLIN)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise BusTimeoutError(what, timeout)
        try:
            data = self._sock.recv(65536)
        except OSError as exc:
            raise BusConnectionError(self.address, str(exc)) from exc
        if not data:
            raise BusConnectionError(self.address, "closed by the other side")
        self._parser.add_data(data)


def _file(pending: dict[str, T], key: str, value: T) -> None:
    """Keep a signal until asked for, dropping the oldest beyond _MAX_PENDING."""
    pending.pop(key, None)
    if len(pending) >= _MAX_PENDING:
        del pending[next(iter(pending))]
    pending[key] = value


def _authenticate(sock: socket.socket, deadline: float, uid: int | None = None) -> bytes:
    """SASL EXTERNAL (the server checks our uid with SO_PEERCRED), pipelined like sd-bus.
    Returns what came after the server's OK line: the first messages.

    `uid` is the uid the server sees: a process in a user namespace (rootless scopebox is
    root of the user's) must claim its outer uid, which SO_PEERCRED reports to the server.

    AUTH and BEGIN go out in one write. Sent separately after the OK, BEGIN can reach
    systemd's (252) server in the same read as our first message, which it then never
    answers (seen here on about one private connection in three).

    systemd's private socket broadcasts every signal to every connection from BEGIN on, so
    the OK line may arrive with signals behind it in one read: they belong to the message
    parser. Reading until the buffer *ends* with the line's CRLF waited for ever while units
    kept changing (a unit restarting beside a health check: inspect hung in the test bed).
    The deadline is for the whole exchange, not for each read.
    """
    auth = make_auth_external() if uid is None else (
        b"AUTH EXTERNAL " + str(uid).encode("ascii").hex().encode("ascii") + b"\r\n")
    sock.sendall(b"\0" + auth + BEGIN)
    received = b""
    while b"\r\n" not in received:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AuthenticationError(received, "no answer to the authentication in time")
        sock.settimeout(remaining)
        data = sock.recv(256)
        if not data:
            raise AuthenticationError(received, "connection closed during authentication")
        received += data
    line, _, rest = received.partition(b"\r\n")
    if not line.startswith(b"OK "):
        raise AuthenticationError(line + b"\r\n")
    return rest


class Systemd:
    """systemd's Manager API over one connection. A context manager: closes the socket."""

    def __init__(self, conn: _Connection, *, call_timeout: float = CALL_TIMEOUT) -> None:
        self._conn = conn
        self.call_timeout = call_timeout

    @property
    def transport(self) -> Transport:
        """Either "private" (peer-to-peer with PID 1) or "bus" (through dbus-daemon)."""
        return self._conn.transport

    @property
    def address(self) -> str:
        return self._conn.address

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def start_transient_scope(
        self,
        name: str,
        pids: Sequence[int],
        *,
        slice: str = "machine.slice",
        description: str = "",
        delegate: bool = True,
        properties: PropertyArg = (),
        timeout: float = 10.0,
    ) -> None:
        """Create scope `name` around `pids` and wait until systemd's job for it is done."""
        props = dbus.scope_properties(
            pids,
            slice=slice,
            description=description,
            delegate=delegate,
            extra=dbus.properties_from(properties),
        )
        msg = dbus.start_transient_unit(name, "fail", props)
        self._run_job(msg, name, timeout)

    def start_transient_unit(
        self, name: str, properties: PropertyArg, *, timeout: float = 10.0, wait: bool = True
    ) -> str:
        """Create and start transient unit `name` (a service, say) and wait for its job: for
        Type=notify until the main process sent READY=1. JobFailedError if it did not.

        With `wait=False` return the job's path at once; `wait_job` waits for it later.
        """
        msg = dbus.start_transient_unit(name, "fail", dbus.properties_from(properties))
        if wait:
            self._run_job(msg, name, timeout)
            return ""
        self._conn.watch_jobs(timeout)  # before the call: a fast job must not finish unseen
        return str(self._conn.call(msg, timeout).body[0])

    def wait_job(self, job: str, unit: str, *, timeout: float = 10.0) -> None:
        """Wait for JobRemoved of `job` (from start_transient_unit(wait=False))."""
        deadline = time.monotonic() + timeout
        removed = self._conn.wait_job_removed(job, deadline, f"the job of {unit!r}")
        if removed.result != "done":
            raise JobFailedError(unit, job, removed.result)

    def stop_unit(
        self, name: str, mode: str = "replace", wait: bool = True, timeout: float = STOP_TIMEOUT
    ) -> None:
        """Stop `name`; with `wait`, return once the stop job is done (the processes are gone)."""
        msg = dbus.stop_unit(name, mode)
        if wait:
            self._run_job(msg, name, timeout)
        else:
            self._conn.call(msg, timeout)

    def restart_unit(self, name: str, timeout: float = STOP_TIMEOUT) -> None:
        """Restart `name` and wait for its job (`auto-update`); JobFailedError if it failed."""
        self._run_job(dbus.restart_unit(name), name, timeout)

    def kill_unit(self, name: str, who: str = "all", signal: int = 15) -> None:
        self._conn.call(dbus.kill_unit(name, who, signal), self.call_timeout)

    def set_unit_properties(
        self, name: str, properties: dict[str, tuple[str, Any]], *, runtime: bool = True
    ) -> None:
        """Change properties of a loaded unit (runtime: until the next boot only)."""
        msg = dbus.set_unit_properties(name, runtime, dbus.properties_from(properties))
        self._conn.call(msg, self.call_timeout)

    def reset_failed_unit(self, name: str) -> None:
        self._conn.call(dbus.reset_failed_unit(name), self.call_timeout)

    def unit_path(self, name: str) -> str | None:
        """The object path of loaded unit `name`, or None if systemd has not loaded it."""
        try:
            reply = self._conn.call(dbus.get_unit(name), self.call_timeout)
        except NoSuchUnitError:
            return None
        return str(reply.body[0])

    def get_unit_property(self, name: str, interface: str, prop: str) -> Any:
        """Property `prop` of `interface` on loaded unit `name` (NoSuchUnitError if none)."""
        reply = self._conn.call(dbus.get_unit(name), self.call_timeout)
        return self._get(str(reply.body[0]), interface, prop)

    def get_unit_state(self, name: str) -> str | None:
        """ActiveState ("active", "inactive", "failed", ...), or None if not loaded."""
        path = self.unit_path(name)
        if path is None:
            return None
        return str(self._get(path, dbus.UNIT_INTERFACE, "ActiveState"))

    def unit_control_group(self, name: str) -> str | None:
        """The unit's cgroup path as systemd reports it ("/machine.slice/x.scope"), or None."""
        interface = dbus.CGROUP_INTERFACES.get(os.path.splitext(name)[1])
        if interface is None:
            raise ValueError(f"unit {name!r} has no control group (not a cgroup unit type)")
        path = self.unit_path(name)
        if path is None:
            return None
        return str(self._get(path, interface, "ControlGroup")) or None

    def wait_unit_gone(self, name: str, *, timeout: float = 10.0) -> None:
        """Return once systemd has unloaded `name` (garbage-collected it after it stopped).

        Waits for the UnitRemoved signal, not a timer; returns at once if it is not loaded.
        """
        deadline = time.monotonic() + timeout
        self._conn.watch_unit_removals(timeout)  # before looking, or the removal may pass unseen
        self._conn.forget_unit_removed(name)
        if self.unit_path(name) is None:
            return
        self._conn.wait_unit_removed(name, deadline, f"waiting for {name!r} to be unloaded")

    def _get(self, path: str, interface: str, prop: str) -> Any:
        reply = self._conn.call(dbus.get_property(path, interface, prop), self.call_timeout)
        return dbus.parse_variant(reply)

    def _run_job(self, msg: Message, unit: str, timeout: float) -> None:
        """Call a job-returning method and wait for that job's JobRemoved."""
        deadline = time.monotonic() + timeout
        self._conn.watch_jobs(timeout)
        reply = self._conn.call(msg, max(deadline - time.monotonic(), 0.0))
        job = str(reply.body[0])
        what = f"{dbus.method_name(msg)}({unit!r})"
        removed = self._conn.wait_job_removed(job, deadline, what)
        if removed.result != "done":
            raise JobFailedError(unit, job, removed.result)


def system_bus_address() -> str:
    """The system bus socket: $DBUS_SYSTEM_BUS_ADDRESS if set, else the standard path."""
    env = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "")
    if not env:
        return SYSTEM_BUS_SOCKET
    return str(next(get_connectable_addresses(env)))


def booted() -> bool:
    """True if systemd is PID 1 (sd_booted()'s test)."""
    return os.path.isdir(BOOTED_MARKER)


def open_private(path: str = PRIVATE_SOCKET, *, timeout: float = 5.0) -> Systemd:
    """Connect peer-to-peer to systemd (root only). Raises BusConnectionError."""
    return Systemd(_Connection.open(path, "private", timeout))


def open_user(path: str, uid: int, *, timeout: float = 5.0) -> Systemd:
    """Connect peer-to-peer to a user's manager (`$XDG_RUNTIME_DIR/systemd/private`, only
    that user may), as `uid` outside any user namespace. Raises BusConnectionError."""
    return Systemd(_Connection.open(path, "private", timeout, uid))


def open_system_bus(address: str | None = None, *, timeout: float = 5.0) -> Systemd:
    """Connect through the system bus daemon. Raises BusConnectionError."""
    return Systemd(_Connection.open(address or system_bus_address(), "bus", timeout))


def connect(*, timeout: float = 5.0) -> Systemd | None:
    """A connection to systemd, or None if systemd is not PID 1 or does not answer."""
    if not booted():
        return None
    if os.geteuid() == 0:
        try:
            return open_private(timeout=timeout)
        except UnitsError:
            pass
    try:
        return open_system_bus(timeout=timeout)
    except UnitsError:
        return None


__all__ = [
    "PRIVATE_SOCKET",
    "SYSTEM_BUS_SOCKET",
    "Systemd",
    "booted",
    "connect",
    "open_private",
    "open_system_bus",
    "open_user",
    "system_bus_address",
]
