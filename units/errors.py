"""The exceptions `units` raises.

Tree::

    UnitsError
    ├── BusConnectionError      the socket failed or closed under us
    ├── BusTimeoutError         no reply / no JobRemoved within the deadline
    ├── BusError                systemd (or the bus) answered with a D-Bus error
    │   ├── UnitExistsError         org.freedesktop.systemd1.UnitExists
    │   ├── NoSuchUnitError         org.freedesktop.systemd1.NoSuchUnit
    │   ├── AccessDeniedError       org.freedesktop.DBus.Error.AccessDenied
    │   ├── NoSuchProcessError      org.freedesktop.DBus.Error.UnixProcessIdUnknown
    │   └── InvalidArgumentsError   org.freedesktop.DBus.Error.InvalidArgs, PropertyReadOnly
    ├── JobFailedError          the job finished with a result other than "done"
    └── JournalError            the journal could not be opened or read

Invalid input from our own caller (a malformed unit name) is a `ValueError`, not one of
these: that is a bug in the caller, these are the system refusing.
"""

from __future__ import annotations


class UnitsError(Exception):
    """Base of everything `units` raises on purpose."""


class BusConnectionError(UnitsError):
    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"D-Bus connection to {address!r} failed: {reason}")


class BusTimeoutError(UnitsError):
    def __init__(self, what: str, timeout: float) -> None:
        self.what = what
        self.timeout = timeout
        super().__init__(f"{what}: no answer from systemd within {timeout:g} s")


class BusError(UnitsError):
    """A D-Bus error reply; `name` is the D-Bus error name, `detail` its message."""

    def __init__(self, name: str, detail: str, method: str = "") -> None:
        self.name = name
        self.detail = detail
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{detail or name} ({name})")


class UnitExistsError(BusError):
    pass


class NoSuchUnitError(BusError):
    pass


class AccessDeniedError(BusError):
    pass


class NoSuchProcessError(BusError):
    """A pid given to a scope had already exited (and been reaped)."""


class InvalidArgumentsError(BusError):
    pass


class JobFailedError(UnitsError):
    def __init__(self, unit: str, job: str, result: str) -> None:
        self.unit = unit
        self.job = job
        self.result = result
        super().__init__(f"systemd job {job!r} for unit {unit!r} finished with result {result!r}")


class JournalError(UnitsError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read the journal at {path!r}: {reason}")


# The one place D-Bus error names become our exceptions.
_BY_NAME: dict[str, type[BusError]] = {
    "org.freedesktop.systemd1.UnitExists": UnitExistsError,
    "org.freedesktop.systemd1.NoSuchUnit": NoSuchUnitError,
    "org.freedesktop.DBus.Error.AccessDenied": AccessDeniedError,
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired": AccessDeniedError,
    "org.freedesktop.DBus.Error.UnixProcessIdUnknown": NoSuchProcessError,
    "org.freedesktop.DBus.Error.InvalidArgs": InvalidArgumentsError,
    # What systemd answers for a transient property the unit type does not have.
    "org.freedesktop.DBus.Error.PropertyReadOnly": InvalidArgumentsError,
}


def error_from_dbus(name: str, detail: str, method: str = "") -> BusError:
    """The exception for a D-Bus error reply named `name`."""
    return _BY_NAME.get(name, BusError)(name, detail, method)
