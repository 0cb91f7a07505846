"""Units for systemd: `generate systemd` (Quadlet lives in `supervisor.quadlet`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.errors import UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.unitgen import GenerateOptions


@dataclass(frozen=True)
class GeneratedUnit:
    name: str  # without .service
    text: str
    warning: str = ""


def generate_systemd(settings: Settings, ref: str, opts: GenerateOptions) -> GeneratedUnit:
    from supervisor import unitgen
    from supervisor.api.system import package_version
    from units.unitfile import UnitSyntaxError

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
            f"container {row.name} has restart policy {policy!r}: recreate it without"
            " one and let systemd restart it (Restart= in the unit)"
        )
    try:
        name, text = unitgen.render(ctr, opts, unitgen.scopebox_binary(), package_version())
    except UnitSyntaxError as exc:
        raise UsageError(f"cannot write the unit: {exc}") from exc
    return GeneratedUnit(name, text, warning)


def _restart_policy(config: dict[str, object]) -> str:
    options = config["options"]
    assert isinstance(options, dict)
    return str(options.get("restart") or "no")
