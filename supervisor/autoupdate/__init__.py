"""verbs: `auto-update`: containers labelled io.containers.autoupdate (registry or image:
the registry's image is newer; local: the local image of that name is another) and run by a
systemd unit (their PODMAN_SYSTEMD_UNIT label) get the new image and a restart of the unit;
with rollback, a unit that fails to restart gets the old image back (Podman 4.3's rules)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, NamedTuple

from supervisor.errors import NotFoundError, ScopeboxError, UsageError

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.store import ContainerRow

from supervisor.autoupdate.policy import LABEL, POLICIES

UNIT_LABEL = "PODMAN_SYSTEMD_UNIT"


class Candidate(NamedTuple):
    row: ContainerRow
    unit: str
    policy: str  # registry | local

    @property
    def image(self) -> str:
        """The image as the container was created with it (Podman's raw image name)."""
        return self.row.config.options.image or self.row.image_name


class Update(NamedTuple):
    """One row of the report (Podman's `AutoUpdateReport`)."""

    unit: str
    container_id: str
    container_name: str
    image: str
    policy: str
    updated: str  # true | false | pending | failed


def candidates(eng: Engine, errors: list[str] | None = None) -> list[Candidate]:
    """`errors`: where a container's unknown policy is told (Podman's: the others are still
    updated, the errors come after the report); without it the first one raises."""
    from supervisor.state import Status

    out = []
    for row in eng.list():
        if eng.refresh(row).status is not Status.RUNNING:  # Podman's: running ones only
            continue
        labels = row.config.options.labels or {}
        wanted = labels.get(LABEL)
        unit = labels.get(UNIT_LABEL, "")
        # not run by a unit: nothing to restart (skipped, as Podman does)
        if wanted is None or wanted in ("", "disabled") or not unit:
            continue
        if wanted not in POLICIES:  # Podman's words
            message = (f'invalid auto-update policy "{wanted}": valid policies are'
                       ' ["disabled" "image" "local" "registry"]')
            if errors is None:
                raise UsageError(message)
            errors.append(message)
            continue
        out.append(Candidate(row, unit, POLICIES[wanted]))
    return out


def newer_local(eng: Engine, c: Candidate) -> bool:
    """local: the image the container's name resolves to now is not the one it runs."""
    from supervisor.imageref import resolve

    try:
        return resolve(eng.store, c.image).id != c.row.image_id
    except NotFoundError:  # the name is gone: nothing to update to
        return False


def remote_digest(ref: str) -> str:
    """The digest the registry has for `ref` now (a manifest or a list)."""
    from supervisor.registry import auth, conf
    from supervisor.registry.client import Repository, Session
    from supervisor.registry.reference import parse

    parsed = parse(ref)
    if parsed.domain is None:
        raise UsageError(f"auto-update: {ref!r} names no registry")
    ep = conf.load().endpoints(parsed.qualify(parsed.domain), None)[-1]
    session = Session(ep.ref.domain, ep.insecure, auth.lookup(ep.ref.repository, None))
    try:
        return Repository(session, ep.ref.path).get_manifest(ep.ref.manifest_ref).digest
    finally:
        session.close()


def newer_in_registry(eng: Engine, c: Candidate) -> bool:
    from supervisor.imageref import resolve

    img = resolve(eng.store, c.row.image_id)
    digest = remote_digest(c.image)
    return digest != img.digest and not any(d.endswith("@" + digest) for d in img.repo_digests)


def run(eng: Engine, dry_run: bool, rollback: bool,
        errors: list[str] | None = None) -> list[Update]:
    out = []
    for c in candidates(eng, errors):
        try:
            newer = newer_local(eng, c) if c.policy == "local" else newer_in_registry(eng, c)
        except ScopeboxError as exc:
            if errors is None:
                raise
            # Podman's: that container fails, the others go on (the error after the report)
            errors.append(f"checking image updates for container {c.row.id}: {exc}")
            out.append(Update(c.unit, c.row.id, c.row.name, c.image, c.policy, "failed"))
            continue
        state = "false"
        if newer and dry_run:
            state = "pending"
        elif newer:
            state = _update(eng, c, rollback)
        out.append(Update(c.unit, c.row.id, c.row.name, c.image, c.policy, state))
    return out


def _update(eng: Engine, c: Candidate, rollback: bool) -> str:
    """Pull (registry), restart the unit; with rollback the old image takes the name back
    and the unit is restarted on it when the new one fails."""
    from supervisor import images
    from units.errors import UnitsError

    sd = eng.systemd()
    if sd is None:
        raise UsageError(f"auto-update: cannot restart {c.unit}: systemd is not running here")
    if c.policy == "registry":
        from supervisor.registry.pull import PullOptions, pull

        pull(eng.store, PullOptions(c.image))
    try:
        sd.restart_unit(c.unit)
        return "true"
    except UnitsError:
        if not rollback:
            return "failed"
    images.tag(eng.store, c.row.image_id, [c.image])
    with contextlib.suppress(UnitsError):  # the old image fails too: the unit says why
        sd.restart_unit(c.unit)
    return "rolled back"
