"""Dependencies between containers, as Podman keeps them: a container depends on those whose
namespaces it joins (`--pid/--ipc/--uts/--cgroupns/--network/--userns container:X`) and on those
`--requires` names. `start` starts them first (so joining a created or exited container's
namespace works, as in Podman); `rm` refuses to remove a container another depends on,
unless `--depend` removes the dependents first; `inspect` lists them as `Dependencies`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from supervisor.errors import NotFoundError, ScopeboxError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow


def dependencies(row: ContainerRow, find: Callable[[str], str]) -> list[str]:
    """The ids `row` depends on, without repeats (`find`: a reference to an id)."""
    cfg = row.config
    rf = cfg.runflags
    out = [ns.target for ns in (rf.pid, rf.ipc, rf.uts, rf.cgroupns) if ns.mode == "container"]
    if cfg.userns.mode == "container":  # issues 17/19: --userns container:X
        out.append(cfg.userns.target)
    if cfg.net.mode == "container" and cfg.net.target:
        with contextlib.suppress(NotFoundError):  # gone: the network's check says so
            out.append(find(cfg.net.target))
    out += list(cfg.requires)
    return list(dict.fromkeys(out))


def _finder(rows: list[ContainerRow]) -> Callable[[str], str]:
    """A reference (name, id, unique id prefix) to an id, among `rows`."""
    names = {r.name: r.id for r in rows}
    ids = {r.id for r in rows}

    def find(ref: str) -> str:
        if ref in ids or ref in names:
            return names.get(ref, ref)
        hits = [i for i in ids if i.startswith(ref)]
        if len(hits) != 1:
            raise NotFoundError("container", ref)
        return hits[0]

    return find


def dependents(ctx: Context, cid: str) -> list[str]:
    """The ids of the containers that depend on `cid`."""
    rows = ctx.store.list_containers()
    find = _finder(rows)
    return [r.id for r in rows if cid in dependencies(r, find)]


def dependents_outside(ctx: Context, cids: list[str]) -> dict[str, list[str]]:
    """Of `cids`, those that a container not among them depends on, with those containers'
    ids (one reading of the store for all: `pod rm`)."""
    rows = ctx.store.list_containers()
    find = _finder(rows)
    out: dict[str, list[str]] = {}
    for row in rows:
        if row.id in cids:
            continue
        for dep in dependencies(row, find):
            if dep in cids:
                out.setdefault(dep, []).append(row.id)
    return out


def start_dependencies(ctx: Context, row: ContainerRow) -> None:
    """Start what `row` depends on and is not running (each starts its own first)."""
    for dep in dependencies(row, lambda ref: ctx.find(ref).id):
        try:
            other = ctx.refresh(ctx.find(dep))
        except NotFoundError:
            continue  # the join itself reports a missing container
        if not other.status.is_active:
            ctx.start(other.id)


def check_removable(ctx: Context, row: ContainerRow) -> None:
    """Podman's refusal (even with -f; `rm --depend` removes the dependents first)."""
    users = dependents(ctx, row.id)
    if users:
        raise_dependents(row.id, users)


def raise_dependents(cid: str, users: list[str]) -> None:
    raise ScopeboxError(f"container {cid} has dependent containers which must be removed"
                        f" before it: {','.join(users)}: container already exists")


def removal_order(ctx: Context, ids: list[str], with_dependents: bool) -> list[str]:
    """`ids` with every dependent before what it depends on (`rm --all`); with
    `with_dependents` (`rm --depend`) their dependents are added too."""
    out: list[str] = []

    def visit(cid: str, trail: tuple[str, ...]) -> None:
        if cid in out or cid in trail:
            return
        for user in dependents(ctx, cid):
            if with_dependents or user in ids:
                visit(user, (*trail, cid))
        out.append(cid)

    for cid in ids:
        visit(cid, ())
    return out
