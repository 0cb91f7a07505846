"""Secrets in containers: resolved and copied at create, mounted and set at start.

Podman 4.3's lifetimes: a mount-type secret's data is copied into the container's own dir
at create (`<container dir>/secrets/<n>`, with the asked owner and mode), so removing or
replacing the secret later changes nothing for the container; an env-type secret is read
when the container starts, and a start after its removal fails as Podman's does."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from supervisor.errors import SystemError_
from supervisor.secrets.spec import SECRETS_DIR, SecretRef

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.spec import Mount
    from supervisor.store import ContainerRow


def resolve(ctx: Context, refs: tuple[SecretRef, ...]) -> tuple[SecretRef, ...]:
    """Each `--secret` (parsed by the model) found: its id and real name recorded."""
    if not refs:
        return ()
    from dataclasses import replace

    from supervisor.secrets.db import SecretDB

    db = SecretDB(ctx.store)
    out = []
    for ref in refs:
        found = db.get(ref.name)
        out.append(replace(ref, name=found.name, id=found.id))
    return tuple(out)


def _dir(cdir: str) -> str:
    return os.path.join(cdir, "secrets")


def copy_into(ctx: Context, cdir: str, refs: tuple[SecretRef, ...]) -> None:
    """The mount-type secrets' data, each a file of the container's own."""
    mounted = [r for r in refs if r.type == "mount"]
    if not mounted:
        return
    from supervisor.secrets import data
    from supervisor.secrets.db import SecretDB

    db = SecretDB(ctx.store)
    base = _dir(cdir)
    try:
        os.makedirs(os.path.join(base, "run"), mode=0o700)
        os.chmod(os.path.join(base, "run"), 0o755)
        for i, ref in enumerate(mounted):
            secret = db.get(ref.id)
            content = data.read(secret.options.get("path", ""), secret.id)
            path = os.path.join(base, str(i))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, content)
                os.fchown(fd, ref.uid, ref.gid)
                os.fchmod(fd, ref.mode)
            finally:
                os.close(fd)
    except OSError as exc:
        raise SystemError_(f"cannot copy the container's secrets into {base!r}:"
                           f" {exc.strerror}") from exc


def run_mounts(ctx: Context, row: ContainerRow) -> list[Mount]:
    """/run/secrets (the container's own dir) and each mount-type secret at its place."""
    from supervisor.spec import Mount

    mounted = [r for r in row.config.secrets if r.type == "mount"]
    if not mounted:
        return []
    base = _dir(ctx.paths.container_dir(row.id))
    out = [Mount(SECRETS_DIR, os.path.join(base, "run"), "bind", ("rbind", "rprivate"))]
    out += [Mount(ref.destination, os.path.join(base, str(i)), "bind", ("bind", "rprivate"))
            for i, ref in enumerate(mounted)]
    return out


def env(ctx: Context, row: ContainerRow) -> list[str]:
    """The env-type secrets' variables, read now (Podman reads them at each start)."""
    wanted = [r for r in row.config.secrets if r.type == "env"]
    if not wanted:
        return []
    from supervisor.errors import NotFoundError, ScopeboxError
    from supervisor.secrets import data
    from supervisor.secrets.db import SecretDB

    db = SecretDB(ctx.store)
    out = []
    for ref in wanted:
        try:
            secret = db.get(ref.name)
        except NotFoundError as exc:
            raise ScopeboxError(f"unable to start container {row.id}: {exc}") from exc
        value = data.read(secret.options.get("path", ""), secret.id)
        out.append(f"{ref.variable}={value.decode('utf-8', 'replace')}")
    return out
