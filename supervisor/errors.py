"""The engine's exceptions: one small tree, messages written for the user.

Library code raises these; only `supervisor.cli` prints them. `exit_code` follows Docker and
Podman: 125 engine error, 126 the command cannot be invoked, 127 the command was not found.
"""

from __future__ import annotations


class ScopeboxError(Exception):
    """Base class: something the user should read. Exit code 125."""

    exit_code = 125


class UsageError(ScopeboxError):
    """The caller asked for something malformed or unsupported (bad flag value, bad name)."""


class NotFoundError(ScopeboxError):
    """A container or image that does not exist."""

    def __init__(self, kind: str, ref: str) -> None:
        self.kind = kind
        self.ref = ref
        super().__init__(_NOT_FOUND.get(kind, "no such {kind}: {ref!r}").format(kind=kind, ref=ref))


# Podman's own wording where scripts match on it (`grep "no such container"`).
_NOT_FOUND = {
    "container": 'no container with name or ID "{ref}" found: no such container',
    "object": 'inspecting object: no such object: "{ref}"',
    "container object": "inspecting object: no such container {ref}",
    "volume": "inspecting object: no such volume {ref}",  # volumes (issue 14)
    "image to remove": "{ref}: image not known",  # rmi's (helper "flags")
    "manifest list": "{ref}: image not known",  # verbs: Podman's manifest words
    "image to show": "{ref}: image not known",  # verbs: image tree
    "local image": "{ref}: image not known",  # run/create --pull=never
    "image for filter": "could not find local image for filter filter {ref}: image not known",
    "network": "unable to find network with name or ID {ref}: network not found",
    "network object": "inspecting object: network {ref}: unable to find network with name or"
                      " ID {ref}: network not found",
}


class ConflictError(ScopeboxError):
    """The request conflicts with existing state (name in use, image in use)."""


class StateError(ScopeboxError):
    """The container is in the wrong state for the request (rm of a running container)."""


class RuntimeFailed(ScopeboxError):
    """The OCI runtime refused or failed."""


class CommandNotFound(ScopeboxError):
    """The container's command does not exist. Exit code 127."""

    exit_code = 127


class CommandCannotRun(ScopeboxError):
    """The container's command exists but cannot be invoked. Exit code 126."""

    exit_code = 126


class SystemError_(ScopeboxError):
    """The system refused something we needed (mount, cgroup, systemd)."""


class RegistryError(ScopeboxError):
    """A registry refused a request, failed, or sent something wrong (network, protocol)."""


class AuthError(RegistryError):
    """The registry rejected the credentials, or wants some and none were given."""


def start_failure(exc: ScopeboxError) -> ScopeboxError:
    """Podman's `run` once the container is made (ContainerRun, define.ExitCode): an engine
    error starting it exits 127 when it says something is not found, else 126. The monitor's
    own failures (RuntimeFailed: a pid file it cannot write) stay the engine's 125
    (docs/DIFFERENCES.md, pidfile-unwritable)."""
    if exc.exit_code != 125 or isinstance(exc, RuntimeFailed):
        return exc
    text = str(exc).lower()
    missing = ("not found", "no such file", "executable path is empty")
    cls = CommandNotFound if any(w in text for w in missing) else CommandCannotRun
    return cls(str(exc))


# The one mapping point ------------------------------------------------------------------------
# Errors of the layers below (D-Bus, cgroups, the OS, sqlite, layers, templates) become the
# engine's own here and nowhere else; the API applies it at its boundary (`mapped()`), the CLI
# once more around the verb for whatever has no API yet. Types are recognised by module name so
# that nothing (sqlite3, units, cgroupfs) is imported just to check.


def translate(exc: BaseException) -> ScopeboxError | None:
    """The engine error a lower layer's exception means, or None for a bug (unexpected)."""
    if isinstance(exc, ScopeboxError):
        return exc
    modules = {cls.__module__ for cls in type(exc).__mro__}
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "units.errors" in modules:
        return SystemError_(f"systemd: {exc}")
    if "cgroupfs.errors" in modules:
        return SystemError_(f"cgroup: {exc}")
    if "sqlite3" in modules:
        return _sqlite_error(exc)
    if "LayerError" in names:
        return UsageError(f"invalid layer: {exc}")
    if "TemplateError" in names:
        return UsageError(f"template parsing error: {exc}")
    if "QuadletError" in names or "UnitSyntaxError" in names:
        return UsageError(str(exc))
    if isinstance(exc, OSError):
        return SystemError_(os_error_text(exc))
    return None


def os_error_text(exc: OSError, doing: str = "") -> str:
    what = exc.strerror or str(exc)
    where = " ".join(repr(f) for f in (exc.filename, exc.filename2) if f is not None)
    text = f"{what}: {where}" if where else what
    return f"{doing}: {text}" if doing else text


def _sqlite_error(exc: BaseException) -> ScopeboxError:
    text = str(exc)
    if "disk is full" in text:
        return SystemError_("the state database cannot be written: the disk is full")
    if "unable to open" in text:
        return SystemError_(f"cannot open the state database: {text}")
    return SystemError_(f"the state database failed: {text}")


class _Mapped:
    """`with mapped():` lower layers' errors leave as the engine's (see `translate`)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, ScopeboxError):
            return
        err = translate(exc)
        if err is not None:
            raise err from exc


def mapped() -> _Mapped:
    return _Mapped()
