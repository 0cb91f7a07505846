"""helper "flags": `--all`, `--latest`, `--filter`, `--cidfile` of the verbs that act on
containers, with Podman 4.3's rules for combining them (and its words)."""

from __future__ import annotations

from supervisor.api.targets import Targets
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def add_target_flags(
    p: argparse.ArgumentParser, *, all: str | None = None, latest: bool = True,
    filter: bool = False, cidfile: bool = False, short_filter: bool = True,
) -> None:
    """`all`: the help text of --all (None: no --all here). rm's -f is --force, so its
    --filter has no short form."""
    if all is not None:
        p.add_argument("-a", "--all", action="store_true", help=all)
    if latest:
        p.add_argument("-l", "--latest", action="store_true",
                       help="act on the latest container created")
    if filter:
        p.add_argument(*(("-f",) if short_filter else ()), "--filter", action="append", default=[],
                       help="filter the containers (ps's filters: name=, label=, status=, ...)")
    if cidfile:
        p.add_argument("--cidfile", action="append", default=[],
                       help="read the container id from this file")


def targets(ns: object, refs: list[str], ignore: bool = False) -> Targets:
    t = Targets(refs, getattr(ns, "all", False), getattr(ns, "latest", False),
                getattr(ns, "filter", []), getattr(ns, "cidfile", []), ignore)
    if t.all and t.latest:
        raise UsageError("--all and --latest cannot be used together")
    if t.latest and refs:
        raise UsageError("--latest and containers cannot be used together")
    if t.all and refs:
        raise UsageError("no arguments are needed with --all")
    if t.filters and refs:
        raise UsageError("--filter takes no arguments")
    if not t.selects and not refs:
        raise UsageError("you must provide at least one name or id")
    return t


def one(
    settings: Settings, ns: object, first: str | None, rest: list[str]
) -> tuple[str, list[str]]:
    """A verb of one container and then arguments (exec, top, logs): with --latest the first
    positional is an argument, and the container is the latest created."""
    from supervisor.api.targets import resolve

    if getattr(ns, "latest", False):
        args = [first, *rest] if first is not None else rest
        return resolve(settings, Targets(latest=True))[0], args
    if first is None:
        raise UsageError("you must provide a container name or id (or --latest)")
    return first, rest


def latest_or(settings: Settings, latest: bool, ref: str | None, verb: str) -> str:
    """attach, diff: one container, named or `-l/--latest` (Podman 4.3's rules and words)."""
    from supervisor.api.targets import resolve

    if latest and ref is not None:
        raise UsageError("--latest and containers cannot be used together")
    if latest:
        return resolve(settings, Targets(latest=True))[0]
    if ref is None:
        raise UsageError(f'"scopebox {verb}" requires a name, id, or the "--latest" flag')
    return ref


def check_interval(value: str) -> None:
    """wait's --interval: a Go duration, or a number of milliseconds (Podman 4.3)."""
    if value.isascii() and value.isdigit():
        return
    if value.isascii() and value.endswith("ms") and value[:-2].isdigit():
        return  # the default (250ms) and its like, without the health module (issue 16)
    from supervisor.health import parse_duration

    try:
        parse_duration("--interval", value)
    except UsageError:
        raise UsageError(f'time: invalid duration "{value}"') from None
