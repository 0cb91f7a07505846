"""`generate systemd POD` (helper podsx): the pod's unit and its members' (see
`supervisor/pods/unitgen.py`). `api/units.py` does containers; the CLI asks this one when
the name is not a container's (Podman's order)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.api.units import GeneratedUnit, GenerateRequest
from supervisor.errors import NotFoundError, UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.store import ContainerRow


def is_pod(settings: Settings, ref: str) -> bool:
    """No container of that name or id, but a pod."""
    from supervisor.pods.db import PodDB

    with session(settings) as eng:
        try:
            eng.find(ref)
            return False
        except NotFoundError:
            pass
        try:
            PodDB(eng.store).find(ref)
        except NotFoundError:
            return False
        return True


def generate_pod_systemd(settings: Settings, ref: str, req: GenerateRequest,
                         pod_prefix: str = "pod") -> list[GeneratedUnit]:
    from supervisor import unitgen
    from supervisor.api.system import package_version
    from supervisor.api.units import generate_options
    from supervisor.pods import ops
    from supervisor.pods.unitgen import Pod, render_pod
    from units.unitfile import UnitSyntaxError

    if req.template:
        raise UsageError("--template is not supported for pods")
    opts = generate_options(req)
    flags = settings.global_flags()
    with session(settings) as eng:
        row = ops.find(eng, ref)
        rows = ops.containers(eng, row)
        runroot = eng.paths.runroot

        def ctr(r: ContainerRow) -> unitgen.Container:
            return unitgen.Container(id=r.id, name=r.name, config=r.config, runroot=runroot,
                                     globals=flags)

        infra = next((ctr(r) for r in rows if r.id == row.infra_id), None)
        pod = Pod(row.id, row.name, row.config, infra,
                  [ctr(r) for r in rows if r.id != row.infra_id])
    warnings = []
    if opts.new and (row.config.cpus or row.config.memory):
        warnings.append(f"pod {row.name} has --cpus/--memory: with --new its members run in "
                        "their own units (systemd supervises them), outside the pod's slice; "
                        "the limits bind its infra container only")
    try:
        units = render_pod(pod, opts, unitgen.scopebox_binary(), package_version(), runroot,
                           flags, pod_prefix)
    except UnitSyntaxError as exc:
        raise UsageError(f"cannot write the unit: {exc}") from exc
    out = [GeneratedUnit(name, text) for name, text in units]
    if warnings:
        out[0] = GeneratedUnit(out[0].name, out[0].text, "; ".join(warnings))
    return out
