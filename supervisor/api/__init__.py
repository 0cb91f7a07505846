"""The engine's API: typed options in, typed reports out, one module per concept.

`supervisor.cli` is one face over it (parse flags, call, print); a REST server will be another.
Every call runs under `errors.mapped()`, so only the engine's own errors (`supervisor.errors`)
leave it. Modules import the engine lazily, inside the calls: the CLI's cold start pays only
for the verb it runs.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from supervisor.errors import ScopeboxError, mapped
from supervisor.records import NamedTuple
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from supervisor.engine import Engine


class Report(NamedTuple):
    """What happened to one item of a multi-item request (Podman's `StopReport{Id, RawInput,
    Err}`): the verb does what it can and the face reports each item."""

    id: str  # the container's (or image's) id, or the input when it was not found
    raw_input: str  # what the user gave
    err: ScopeboxError | None = None


def report_of(ref: str, action: Callable[[], Any], ignore: bool = False) -> Report | None:
    """One item of a multi-item verb: its id when `action` succeeds (the id of what it
    returns, else the input), its error otherwise; nothing for a missing one with `ignore`."""
    from supervisor.errors import NotFoundError

    try:
        with mapped():
            result = action()
    except NotFoundError as exc:
        return None if ignore else Report(ref, ref, exc)
    except ScopeboxError as exc:
        return Report(ref, ref, exc)
    rid = result if isinstance(result, str) else getattr(result, "id", None)
    return Report(rid if isinstance(rid, str) else ref, ref, None)


def group_filters(items: list[str]) -> dict[str, list[str]]:
    """`--filter KEY=VALUE` items by key (networks', volumes', system prune's)."""
    from supervisor.errors import UsageError

    out: dict[str, list[str]] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid filter {item!r}: must be KEY=VALUE")
        out.setdefault(key, []).append(value)
    return out


class InspectReport(NamedTuple):
    """One `inspect` argument: its JSON document, or why there is none."""

    raw_input: str
    data: dict[str, Any] | None = None
    err: ScopeboxError | None = None


def enter(settings: Settings) -> None:
    """Rootless (issue 17): a user who is not root works inside their user namespace
    (`supervisor/rootless/userns.py`), joined before anything touches the store."""
    if os.geteuid() != 0:
        from supervisor.rootless.userns import ensure_joined

        ensure_joined(settings.paths.runroot)


@contextmanager
def session(settings: Settings) -> Iterator[Engine]:
    """An engine for one request, errors mapped, closed afterwards."""
    with mapped():
        enter(settings)
        from supervisor.engine import Engine

        eng = Engine(settings=settings)
        try:
            yield eng
        finally:
            eng.close()


class _Kept:
    """Each thread's kept engine (with its settings and database identity): the main
    thread's in a plain attribute (the service's quick start has no other thread and does not
    import `threading`), the others' in a `threading.local` (a sqlite connection belongs to
    the thread that opened it; a thread's goes with it)."""

    def __init__(self) -> None:
        import _thread

        self.ident = _thread.get_ident
        self.main_ident = _thread.get_ident()
        self.main: Any = None
        self.local: Any = None

    def get(self) -> Any:
        if self.ident() == self.main_ident:
            return self.main
        if self.local is None:
            import threading

            self.local = threading.local()
        return getattr(self.local, "held", None)

    def set(self, held: Any) -> None:
        if self.ident() == self.main_ident:
            self.main = held
        else:
            self.get()
            self.local.held = held


_kept: _Kept | None = None  # once a long-lived process asked for it


def keep_read_sessions() -> None:
    """For a long-lived process (the API service): each of its threads keeps the engine of
    its listings (`read_session`) from one to the next. Opening the store (its database and
    schema check) is nearly all of a small listing: ~2 ms against ~0.05 ms kept, measured."""
    global _kept
    if _kept is None:
        _kept = _Kept()


def _db_identity(eng: Engine) -> tuple[int, int] | None:
    try:
        st = os.stat(eng.paths.db)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@contextmanager
def read_session(settings: Settings) -> Iterator[Engine]:
    """`session` for the listings; where `keep_read_sessions` was called, the thread's kept
    engine, opened again when its database file is no longer the one it opened (a `system
    reset`, a store moved) or after an error in it (nothing half-done stays open)."""
    if _kept is None:
        with session(settings) as eng:
            yield eng
        return
    with mapped():
        enter(settings)
        from supervisor.engine import Engine

        held: tuple[Engine, Settings, tuple[int, int] | None] | None = _kept.get()
        if held is not None and (held[1] != settings or _db_identity(held[0]) != held[2]):
            held[0].close()
            held = None
        if held is None:
            eng = Engine(settings=settings)
            held = (eng, settings, _db_identity(eng))
            _kept.set(held)
        try:
            yield held[0]
        except BaseException:
            _kept.set(None)
            held[0].close()
            raise
