"""The engine's settings: one typed, frozen object built once per process.

Global flags (`--root --runroot --runtime --cgroup-manager`) win over the
environment (`SCOPEBOX_ROOT`, ...), which wins over the defaults. Nothing writes `os.environ`:
child processes that need the same settings (the monitor's exit command, generated units) get
them as command-line flags from `global_flags()`.

Standard library only, no heavy imports: the CLI builds this before it knows the verb.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from supervisor.errors import UsageError

if TYPE_CHECKING:
    from supervisor.paths import Paths

CGROUP_MANAGERS = ("systemd", "cgroupfs")
LOG_DRIVERS = ("journald", "k8s-file", "none")

# flag -> (field, environment variable)
FLAGS: dict[str, tuple[str, str]] = {
    "--root": ("root", "SCOPEBOX_ROOT"),
    "--runroot": ("runroot", "SCOPEBOX_RUNROOT"),
    "--runtime": ("runtime", "SCOPEBOX_RUNTIME"),
    "--cgroup-manager": ("cgroup_manager", "SCOPEBOX_CGROUP_MANAGER"),
}
ENV_ONLY: dict[str, str] = {"log_driver": "SCOPEBOX_LOG_DRIVER"}  # containers.conf's log_driver


class Settings(NamedTuple):
    """Immutable and typed; a NamedTuple, not a dataclass: `dataclasses` costs the CLI's cold
    start ~6 ms (inspect, ast) for verbs that need nothing else."""

    root: str = "/var/lib/scopebox"
    runroot: str = "/run/scopebox"
    runtime: str | None = None  # a name or path; None: the best one found (crun, runc)
    cgroup_manager: str | None = None  # None: systemd when it runs here, else cgroupfs
    log_driver: str | None = None  # None: journald with systemd, else k8s-file
    debug: bool = False  # SCOPEBOX_DEBUG: unexpected errors show their traceback

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for name, var in [*FLAGS.values(), *ENV_ONLY.items()]:
            if env.get(var):
                values[name] = env[var]
        debug = env.get("SCOPEBOX_DEBUG", "") not in ("", "0", "false")
        return cls(**values, debug=debug).checked()

    def with_flags(self, flags: Mapping[str, str]) -> Settings:
        """These settings with global flags (`{"--root": "/srv"}`) over them."""
        unknown = set(flags) - set(FLAGS)
        if unknown:
            raise UsageError(f"unknown global option {sorted(unknown)[0]}")
        changes: dict[str, Any] = {FLAGS[flag][0]: value for flag, value in flags.items()}
        return self._replace(**changes).checked()

    def checked(self) -> Settings:
        if self.cgroup_manager is not None and self.cgroup_manager not in CGROUP_MANAGERS:
            raise UsageError("--cgroup-manager must be systemd or cgroupfs")
        if self.log_driver is not None and self.log_driver not in LOG_DRIVERS:
            raise UsageError(f"SCOPEBOX_LOG_DRIVER must be one of {', '.join(LOG_DRIVERS)}")
        for name in ("root", "runroot"):
            if not getattr(self, name):
                raise UsageError(f"--{name} must not be empty")
        return self

    @property
    def paths(self) -> Paths:
        from supervisor.paths import Paths

        # Canonical paths: runc refuses symlinks, and mountinfo lists resolved paths.
        return Paths(root=os.path.realpath(self.root), runroot=os.path.realpath(self.runroot))

    def global_flags(self, paths: bool = True) -> list[str]:
        """The flags that give a child `scopebox` these settings (only what differs from the
        defaults, so generated units stay short); `paths=False`: without --root/--runroot."""
        default = Settings()
        out: list[str] = []
        for flag, (name, _) in FLAGS.items():
            if not paths and name in ("root", "runroot"):
                continue
            value = getattr(self, name)
            if value is not None and value != getattr(default, name):
                out += [flag, value]
        return out

    def environ(self) -> dict[str, str]:
        """The same settings as environment variables, for children that read those."""
        return {
            var: getattr(self, name)
            for name, var in [*FLAGS.values(), *ENV_ONLY.items()]
            if getattr(self, name) is not None
        }
