"""helper "flags": the containers a verb's `--all`, `--latest`, `--filter` and `--cidfile` name
(Podman's stop, restart, kill, pause, unpause, rm, start, wait, top, logs, stats, exec).

The face resolves them to ids first, then calls the verb with them, so every verb keeps its
own per-item reports; names given on the command line stay as given (their errors read as
the user wrote them).
"""

from __future__ import annotations

from supervisor.api import session
from supervisor.errors import NotFoundError
from supervisor.records import NamedTuple
from supervisor.settings import Settings

# Which containers `--all` means, per verb (Podman 4.3's choices): stop and restart take
# every container, kill the running and paused ones, pause the running, unpause the paused.
STATES = {
    "any": frozenset(),
    "running": frozenset({"running"}),
    "paused": frozenset({"paused"}),
    "active": frozenset({"running", "paused"}),
    "initable": frozenset({"created", "exited"}),  # `init --all` (state.can_init)
}


class Targets(NamedTuple):
    refs: list[str] = []  # noqa: RUF012
    all: bool = False
    latest: bool = False
    filters: list[str] = []  # noqa: RUF012
    cidfiles: list[str] = []  # noqa: RUF012
    ignore: bool = False  # a missing --cidfile is skipped

    @property
    def selects(self) -> bool:
        return self.all or self.latest or bool(self.filters) or bool(self.cidfiles)


def resolve(settings: Settings, targets: Targets, states: str = "any") -> list[str]:
    """The refs to act on: the names given, then the ids `--cidfile`, `--latest`, `--all`
    (in `states`) and `--filter` select, in creation order."""
    if not targets.selects:  # the names as given (not api.containers: every verb's options)
        return list(targets.refs)
    from supervisor.api.containers import ListOptions, list_containers, parse_filters, read_cidfiles

    out = [*targets.refs, *read_cidfiles(targets.cidfiles, targets.ignore)]
    if targets.filters:
        opts = ListOptions(all=True, filters=parse_filters(targets.filters))
        entries = {e.id for e in list_containers(settings, opts)}
    if targets.latest or targets.all or targets.filters:
        wanted = STATES[states]
        with session(settings) as eng:
            rows = sorted(eng.list(), key=lambda r: r.created)
        if targets.latest:
            if not rows:
                raise NotFoundError("container", "latest")
            out.append(rows[-1].id)
        else:
            out += [r.id for r in rows
                    if (not targets.filters or r.id in entries)
                    and (not targets.all or not wanted or r.status.value in wanted)]
    return out


def check_detach_keys(keys: str) -> None:
    """run/start/exec --detach-keys: checked as attach checks them (Podman's words)."""
    from supervisor.terminal.detach import parse_detach_keys

    parse_detach_keys(keys)
