"""Units for systemd: `generate systemd` (Quadlet lives in `supervisor.quadlet`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.errors import UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.model import ContainerConfig
    from supervisor.unitgen import GenerateOptions


@dataclass(frozen=True)
class GenerateRequest:
    """`generate systemd`'s options (Podman's `GenerateSystemdOptions`)."""

    new: bool = False  # create a fresh container at each start
    use_name: bool = False  # name the unit after the container's name, not its id
    restart_policy: str | None = None  # None: on-failure, or the container's own with --new
    restart_sec: int | None = None
    stop_timeout: int | None = None  # None: the container's
    container_prefix: str = "container"
    separator: str = "-"
    no_header: bool = False
    start_timeout: int | None = None
    template: bool = False  # implies new
    after: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # as given: NAME=VALUE, NAME or PREFIX* (the caller's environment)


@dataclass(frozen=True)
class GeneratedUnit:
    name: str  # without .service
    text: str
    warning: str = ""


def generate_options(req: GenerateRequest) -> GenerateOptions:
    """The renderer's options: `--env` resolved against this process's environment."""
    import os
    from dataclasses import asdict, replace

    from supervisor import unitgen

    opts = unitgen.GenerateOptions(**asdict(req))
    return replace(opts, env=unitgen.resolve_env(req.env, dict(os.environ)))


def generate_systemd(settings: Settings, ref: str, req: GenerateRequest) -> GeneratedUnit:
    from supervisor import unitgen
    from supervisor.api.system import package_version
    from units.unitfile import UnitSyntaxError

    opts = generate_options(req)
    with session(settings) as eng:
        row = eng.find(ref)
        ctr = unitgen.Container(
            id=row.id,
            name=row.name,
            config=row.config,
            runroot=eng.paths.runroot,
            # The unit's scopebox gets the same roots, runtime and manager as we have.
            globals=settings.global_flags(),
        )
    warning = ""
    policy = _restart_policy(row.config)
    if not opts.new and policy != "no":
        # Podman's warning (#15284): two supervisors of one container fight at shutdown
        warning = (
            f"Container {row.id} has restart policy \"{policy}\" which can lead to issues on"
            " shutdown: consider recreating the container without a restart policy and use"
            " systemd's restart mechanism instead"
        )
    try:
        name, text = unitgen.render(ctr, opts, unitgen.scopebox_binary(), package_version())
    except UnitSyntaxError as exc:
        raise UsageError(f"cannot write the unit: {exc}") from exc
    return GeneratedUnit(name, text, warning)


def _restart_policy(config: ContainerConfig) -> str:
    return config.options.restart or "no"


@dataclass(frozen=True)
class QuadletReport:
    units: list[tuple[str, str]]  # (file name, content) of each unit made
    problems: list[str]  # FILE:LINE: MESSAGE


def quadlet(user: bool, output: str | None) -> QuadletReport:
    """What the systemd generator makes of the Quadlet files; written to `output` unless
    None (a dry run)."""
    import os

    from supervisor import quadlet as q
    from supervisor import unitgen

    problems: list[str] = []
    dirs = q.unit_dirs(user, dict(os.environ))
    services = q.convert_all(dirs, [unitgen.scopebox_binary()], problems.append)
    if output is not None:
        q.write(services, output, problems.append)
    return QuadletReport([(s.name, s.unit.render()) for s in services], problems)
