"""Volumes: options in, reports out (`volume create/ls/inspect/rm/prune/exists/export/import`).

Definitions live in the store's `volumes` table (`supervisor.volumes.db`), data under
`$ROOT/volumes/<name>/_data` (`supervisor.volumes.local`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from supervisor.api import InspectReport, Report, session
from supervisor.errors import NotFoundError, ScopeboxError, UsageError, mapped
from supervisor.settings import Settings
from supervisor.timefmt import created_before

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.volumes.db import Volume, VolumeDB

FILTER_KEYS = ("name", "driver", "label", "label!", "opt", "scope", "dangling", "anonymous")


@dataclass(frozen=True)
class CreateOptions:
    name: str = ""
    driver: str = "local"
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    ignore: bool = False  # an existing volume of that name is no error


def _db(eng: Engine) -> VolumeDB:
    from supervisor.volumes.db import VolumeDB

    return VolumeDB(eng.store)


def _json(eng: Engine, db: VolumeDB, vol: Volume) -> dict[str, Any]:
    from supervisor.mount import is_mountpoint
    from supervisor.volumes import local

    data = local.data_dir(eng.paths, vol.name)
    count = len(db.users(vol.name)) if vol.needs_mount and is_mountpoint(data) else 0
    return vol.to_json(data, count)


def create(settings: Settings, opts: CreateOptions) -> dict[str, Any]:
    """The new volume's inspect object (`ignore`: the existing one's)."""
    import os

    from supervisor.volumes import local
    from supervisor.volumes.db import Volume
    from supervisor.volumes.mounts import validate_name
    from supervisor.volumes.use import now

    name = validate_name(opts.name) if opts.name else os.urandom(32).hex()
    local.check_options(opts.driver, opts.options)
    with session(settings) as eng:
        db = _db(eng)
        # `--opt nocopy`: the volume is never filled from an image (Quadlet's Copy=false)
        vol = db.add(Volume(name, now(), opts.driver, dict(opts.labels), dict(opts.options),
                            needs_copy_up="nocopy" not in opts.options), ignore=opts.ignore)
        local.make(eng.paths, vol)
        _volume_event(eng, "create", vol.name)  # events (issue 14)
        return _json(eng, db, vol)


def _volume_event(eng: Any, status: str, name: str) -> None:  # events (issue 14)
    from supervisor.events.write import other

    other(eng.settings, eng.paths, "volume", status, name=name)


def list_volumes(settings: Settings, filters: dict[str, list[str]] | None = None,
                 ) -> list[dict[str, Any]]:
    for key in filters or {}:
        if key not in FILTER_KEYS:
            raise UsageError(f'"{key}" is an invalid volume filter')
    with session(settings) as eng:
        db = _db(eng)
        out = []
        for vol in db.all():
            users = db.users(vol.name) if "dangling" in (filters or {}) else []
            if _matches(vol, filters or {}, bool(users)):
                out.append(_json(eng, db, vol))
        return out


def _matches(v: Volume, filters: dict[str, list[str]], in_use: bool) -> bool:
    checks: dict[str, Callable[[str], bool]] = {
        "name": lambda x: re.search(x, v.name) is not None,
        "driver": lambda x: v.driver == x,
        "label": lambda x: _kv(v.labels, x),
        "label!": lambda x: not _kv(v.labels, x),
        "opt": lambda x: _kv(v.options, x),
        "scope": lambda x: x == "local",
        "dangling": lambda x: _truth(x) != in_use,
        "anonymous": lambda x: _truth(x) == v.anonymous,
        "until": lambda x: created_before(v.created, x),
    }
    for key, values in filters.items():
        if key not in checks:
            raise UsageError(f'"{key}" is an invalid volume filter')
        if not any(checks[key](x) for x in values):
            return False
    return True


def _truth(value: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise UsageError(f"{value} is not a valid value for the dangling filter: true or false")


def _kv(items: dict[str, str], want: str) -> bool:
    key, eq, value = want.partition("=")
    return key in items and (not eq or items[key] == value)


def inspect(settings: Settings, refs: list[str], all: bool = False) -> list[InspectReport]:
    out = []
    with session(settings) as eng:
        db = _db(eng)
        if all:
            return [InspectReport(v.name, _json(eng, db, v)) for v in db.all()]
        for ref in refs:
            try:
                with mapped():
                    vol = db.find(ref)
                    if vol is None:  # Podman's wording for inspect
                        raise NotFoundError("volume", ref)
                    out.append(InspectReport(ref, _json(eng, db, vol)))
            except ScopeboxError as exc:
                out.append(InspectReport(ref, err=exc))
    return out


def exists(settings: Settings, name: str) -> bool:
    with session(settings) as eng:
        return _db(eng).find(name) is not None


def remove(settings: Settings, refs: list[str], force: bool = False, all: bool = False,
           ) -> list[Report]:
    """`volume rm`: refused while a container uses the volume; -f removes those first."""
    from supervisor.volumes import local

    reports = []
    with session(settings) as eng:
        db = _db(eng)
        names = [v.name for v in db.all()] if all else refs
        for ref in names:
            try:
                with mapped():
                    db.get(ref)
                    if force:
                        for cid in db.users(ref):
                            eng.remove(cid, force=True)
                    local.remove(eng.paths, db, ref)
                    _volume_event(eng, "remove", ref)  # events (issue 14)
                    reports.append(Report(ref, ref))
            except ScopeboxError as exc:
                reports.append(Report(ref, ref, exc))
    return reports


def prunable(settings: Settings, filters: dict[str, list[str]] | None = None) -> list[str]:
    """The names `prune` would remove now (its question lists them, as Podman's does)."""
    with session(settings) as eng:
        db = _db(eng)
        return [vol.name for vol in db.all()
                if not db.users(vol.name) and _matches(vol, filters or {}, False)]


def prune(settings: Settings, filters: dict[str, list[str]] | None = None) -> list[str]:
    """The names of the volumes removed: every one no container uses (and the filters pass)."""
    from supervisor.volumes import local
    from supervisor.volumes.db import VolumeInUse

    out = []
    with session(settings) as eng:
        db = _db(eng)
        for vol in db.all():
            if db.users(vol.name) or not _matches(vol, filters or {}, False):
                continue
            try:
                local.remove(eng.paths, db, vol.name)
            except VolumeInUse:
                continue  # a container took it meanwhile
            _volume_event(eng, "remove", vol.name)  # events (issue 14): Podman's pair
            _volume_event(eng, "prune", vol.name)
            out.append(vol.name)
    return out


def export(settings: Settings, name: str, out: BinaryIO) -> None:
    """The volume's content as a tar stream."""
    import subprocess

    from supervisor.volumes import local

    with session(settings) as eng:
        vol = _db(eng).get(name)
        data = local.data_dir(eng.paths, vol.name)
        out.flush()
        res = subprocess.run(["tar", "-C", data, "--numeric-owner", "-cf", "-", "."],
                             stdout=out, stderr=subprocess.PIPE, check=False)
        if res.returncode != 0:
            raise UsageError(f"exporting volume {name}: {res.stderr.decode().strip()}")


def import_(settings: Settings, name: str, source: BinaryIO) -> None:
    """A tar stream unpacked into the volume (in a child chrooted into the volume's data:
    no entry can land outside it)."""
    from supervisor.volumes import local

    with session(settings) as eng:
        vol = _db(eng).get(name)
        local.untar_into(local.data_dir(eng.paths, vol.name), source)


def disk_usage(settings: Settings) -> list[dict[str, Any]]:
    """`system df -v`'s volume rows: name, links (containers), size."""
    from supervisor.volumes import local

    with session(settings) as eng:
        db = _db(eng)
        return [{"VolumeName": v.name, "Links": len(db.users(v.name)),
                 "Size": local.size(local.data_dir(eng.paths, v.name))} for v in db.all()]


def mount(settings: Settings, names: list[str]) -> list[Report]:
    """verbs: `volume mount`: each volume's mount point (the report's id); a `type=` volume
    (`--opt`) is mounted on it first, as a container using it would (Podman's local driver)."""
    from supervisor.volumes import local

    out = []
    with session(settings) as eng:
        db = _db(eng)
        for name in names:
            try:
                with mapped():
                    vol = db.get(name)
                    if vol.needs_mount:
                        with local.volume_lock(eng.paths, vol.name):
                            local.mount_volume(eng.paths, vol)
                    out.append(Report(local.data_dir(eng.paths, vol.name), name))
            except ScopeboxError as exc:
                out.append(Report(name, name, exc))
    return out


def unmount(settings: Settings, names: list[str]) -> list[Report]:
    """verbs: `volume unmount`: a `type=` volume's mount goes unless a running container
    uses it; a plain volume has nothing to unmount (Podman's answer: its name)."""
    from supervisor.volumes import local

    out = []
    with session(settings) as eng:
        db = _db(eng)
        active = {r.id for r in eng.list() if r.status.is_active}
        for name in names:
            try:
                with mapped():
                    vol = db.get(name)
                    local.teardown_mounts(eng.paths, db, [vol.name], "", active)
                out.append(Report(name, name))
            except ScopeboxError as exc:
                out.append(Report(name, name, exc))
    return out
