"""`inspect`'s `Mounts` and `HostConfig.Binds` for a container, shaped as Podman 4.3's."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from supervisor.volumes.mounts import _PROPAGATIONS

if TYPE_CHECKING:
    from supervisor.model import ContainerConfig

_MODES = ("ro", "rw")
_BINDS = ("bind", "rbind")


def _split(options: tuple[str, ...]) -> tuple[bool, str, list[str]]:
    """(read-write, propagation, the other options with bind/rbind last)."""
    rw = "ro" not in options
    prop = next((o for o in options if o in _PROPAGATIONS), "rprivate")
    rest = [o for o in options if o not in _MODES and o not in _PROPAGATIONS and o not in _BINDS]
    return rw, prop, rest + [o for o in options if o in _BINDS]


def mounts(volumes: str, cfg: ContainerConfig) -> list[dict[str, Any]]:
    """`volumes`: where the volumes' directories are (Paths.volumes)."""
    out = []
    for v in sorted(cfg.volumes, key=lambda v: v.destination):
        rw, prop, rest = _split(v.options)
        out.append({
            "Type": "volume", "Name": v.name,
            "Source": os.path.join(volumes, v.name, "_data"),
            "Destination": v.destination, "Driver": "local", "Mode": "", "Options": rest,
            "RW": rw, "Propagation": prop,
        })
    for m in cfg.mounts:
        rw, prop, rest = _split(m.options)
        bind = m.type == "bind"
        out.append({
            "Type": m.type, "Source": m.source, "Destination": m.destination, "Driver": "",
            "Mode": "", "Options": rest if bind else list(m.options), "RW": rw,
            "Propagation": prop if bind else "",
        })
    return out


def binds(cfg: ContainerConfig) -> list[str]:
    """`SOURCE:DEST:OPTIONS` of every volume and bind (Podman lists the anonymous ones too)."""
    out = []
    for v in sorted(cfg.volumes, key=lambda v: v.destination):
        rw, prop, rest = _split(v.options)
        out.append(f"{v.name}:{v.destination}:{','.join(['rw' if rw else 'ro', prop, *rest])}")
    for m in cfg.mounts:
        if m.type == "bind":
            rw, prop, rest = _split(m.options)
            out.append(f"{m.source}:{m.destination}:"
                       f"{','.join(['rw' if rw else 'ro', prop, *rest])}")
    return out
