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
        super().__init__(f"no such {kind}: {ref!r}")


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
